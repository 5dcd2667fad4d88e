"""The HTTP boundary: statuses, error bodies and transport failures become RouteErrors."""

from __future__ import annotations

import httpx
import pytest

from assetgen.errors import PermanentError, TransientError
from assetgen.routes.http import error_fields, raise_for_status, retry_after_of, transport_errors


def _response(status: int, **kwargs: object) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "https://x/v1"), **kwargs)


def test_openai_error_body() -> None:
    body = {"error": {"message": "No such model", "type": "invalid_request_error",
                      "code": "model_not_found"}}
    assert error_fields(_response(404, json=body)) == ("model_not_found", "No such model")


def test_provider_envelope_numeric_code_is_not_an_error_code() -> None:
    assert error_fields(_response(401, json={"code": 401, "msg": "bad token",
                                             "error_code": "invalid_token"})) == \
        ("invalid_token", "bad token")
    assert error_fields(_response(401, json={"code": 401, "msg": "bad token"})) == \
        (None, "bad token")


def test_html_error_pages_become_a_short_message() -> None:
    code, message = error_fields(_response(502, text="<html>Bad gateway</html>"))
    assert code is None and "Bad gateway" in message


def test_echoed_key_fragments_are_hidden() -> None:
    body = {"error": {"message": "Incorrect API key provided: sk-proj-***cdef. See docs.",
                      "code": "invalid_api_key"}}
    with pytest.raises(PermanentError) as info:
        raise_for_status(_response(401, json=body), "images")
    assert "cdef" not in str(info.value) and "[key hidden]" in str(info.value)


def test_retry_after_forms() -> None:
    assert retry_after_of(_response(429, headers={"retry-after": "3"})) == 3
    assert retry_after_of(_response(429, headers={"retry-after-ms": "1500"})) == 1.5
    assert retry_after_of(_response(429)) is None


def test_transport_errors_are_transient_and_keep_the_cause() -> None:
    request = httpx.Request("GET", "https://x/v1")
    with pytest.raises(TransientError) as info, transport_errors("gateway", "downloading x"):
        raise httpx.ReadTimeout("slow", request=request)
    assert info.value.code == "timeout" and "downloading x timed out" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    with pytest.raises(TransientError) as info, transport_errors("images", "the request"):
        raise httpx.RemoteProtocolError("peer closed", request=request)
    assert info.value.code == "connection_error"
