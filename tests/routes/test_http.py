"""The HTTP boundary: statuses, error bodies and transport failures become RouteErrors."""

from __future__ import annotations

import httpx
import pytest

from assetgen.errors import PermanentError, TransientError
from assetgen.routes.http import (
    error_fields,
    raise_for_status,
    retry_after_of,
    transport_errors,
)


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


def test_usage_counts_outside_whole_numbers_0_to_1e9_drop_the_block() -> None:
    from assetgen.routes.http import clean_usage

    good = {"output_tokens": 196, "input_tokens_details": {"text_tokens": 50}}
    notes: list[str] = []
    assert clean_usage(good, notes) == good and notes == []
    for bad in ("196", float("nan"), float("inf"), -5, 10**400, 10**40, True, 1.5,
                [1], {"deeper": {"x": 1}}):
        notes = []
        assert clean_usage({"output_tokens": bad}, notes) is None, bad
        assert notes and notes[0].startswith("usage dropped: output_tokens"), (bad, notes)
    assert clean_usage("usage", notes := []) is None and notes == ["usage dropped: not an object"]


def test_ids_and_texts_are_clamped() -> None:
    from assetgen.routes.http import clean_id, clean_text

    assert clean_id("req_" + "\x1b[2J$(id);" * 100) == "req_" + "2Jid" * 49
    assert clean_id(None) is None and clean_id({"a": 1}) is None and clean_id("\x1b") is None
    notes: list[str] = []
    assert clean_text("r" * 5000, notes, field="revised_prompt") == "r" * 4000
    assert notes == ["revised_prompt cut to 4,000 of its 5,000 characters"]


def test_exchange_caps_decoded_bytes_and_translates_bad_encodings() -> None:
    import asyncio
    import gzip

    from assetgen.routes.http import exchange

    bomb = gzip.compress(bytes(5_000_000))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/bomb":
            return httpx.Response(200, content=bomb, headers={"content-encoding": "gzip"})
        if request.url.path == "/lie":
            return httpx.Response(200, content=b'{"a": 1}', headers={"content-encoding": "gzip"})
        return httpx.Response(302, headers={"location": "https://elsewhere.test/x"})

    async def ask(path: str) -> object:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            return await exchange(client, "POST", f"https://api.test{path}", route="images",
                                  timeout_s=5, max_bytes=1_000_000)

    with pytest.raises(PermanentError, match="larger than the cap of 1,000,000") as info:
        asyncio.run(ask("/bomb"))
    assert info.value.code == "too_large"
    with pytest.raises(PermanentError, match="Content-Encoding") as info:
        asyncio.run(ask("/lie"))
    assert isinstance(info.value.__cause__, httpx.DecodingError)
    with pytest.raises(PermanentError, match="redirect"):
        asyncio.run(ask("/moved"))


def test_deep_json_is_a_permanent_failure_and_a_cut_body_a_transient_one() -> None:
    from assetgen.routes.http import json_bytes

    with pytest.raises(PermanentError, match="nested too deeply"):
        json_bytes(b"[" * 200_000, "images")
    with pytest.raises(TransientError, match="not complete JSON"):
        json_bytes(b'{"data": [', "images")
    with pytest.raises(PermanentError, match="not a JSON object"):
        json_bytes(b"[1]", "images")

