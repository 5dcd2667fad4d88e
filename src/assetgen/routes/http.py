"""The one HTTP boundary: httpx calls go through here and httpx errors stop here.

Transport failures and HTTP error statuses become `RouteError`s (transient or
permanent) carrying the status, the API's error code and message, and the
request id; the original exception is kept as ``__cause__``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from assetgen.build.scheduler import parse_retry_after
from assetgen.core.secrets import redact, scrub_api_message
from assetgen.errors import PermanentError, RateLimited, TransientError
from assetgen.routes.url_policy import redirect_refusal

OFFICIAL_BASE_URL = "https://api.openai.com/v1"
TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
_HINTS = {
    401: "check that the key is valid and belongs to this base URL",
    403: "your organization or project may lack access to this model "
         "(organization verification); run `assetgen doctor`",
    404: "the model or endpoint is not available here; run `assetgen doctor` "
         "to tell an access problem from a provider mapping problem",
}


def request_id_of(response: httpx.Response | None) -> str | None:
    if response is None:
        return None
    for header in ("x-request-id", "request-id", "x-amzn-requestid", "cf-ray"):
        value = response.headers.get(header)
        if value:
            return value
    return None


def retry_after_of(response: httpx.Response) -> float | None:
    """The server's suggested wait in seconds, capped; None when absent or unusable."""
    return parse_retry_after(response.headers.get("retry-after-ms"),
                             response.headers.get("retry-after"))


def error_fields(response: httpx.Response) -> tuple[str | None, str]:
    """(code, message) from an OpenAI-shaped or provider-shaped error body.

    Providers often send `{"code": 401, "msg": ..., "error_code": ...}`: a numeric
    `code` only repeats the HTTP status, so it is not reported as the error code.
    """
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip().replace("\n", " ")
        return None, text[:300] or response.reason_phrase or "no error message"
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping):
            code = next((value for value in (error.get("error_code"), error.get("code"),
                                             error.get("type"))
                         if value and not isinstance(value, int | float)), None)
            message = error.get("message") or error.get("msg") or body.get("msg")
            return (str(code) if code is not None else None,
                    str(message) if message else json.dumps(body)[:300])
        if isinstance(error, str):
            return None, error
    return None, json.dumps(body)[:300]


def raise_for_status(response: httpx.Response, route: str) -> None:
    if response.status_code < 400:
        return
    code, message = error_fields(response)
    status = response.status_code
    kwargs: dict[str, Any] = {
        "route": route, "status": status, "code": code,
        "request_id": request_id_of(response), "hint": _HINTS.get(status),
    }
    message = scrub_api_message(message)
    if status == 429:
        raise RateLimited(message, retry_after=retry_after_of(response), **kwargs)
    if status in TRANSIENT_STATUSES:
        raise TransientError(message, retry_after=retry_after_of(response), **kwargs)
    raise PermanentError(message, **kwargs)


@contextlib.contextmanager
def transport_errors(route: str, action: str) -> Iterator[None]:
    """Turn httpx transport failures inside the block into TransientError (from the httpx error).

    The one place httpx exceptions are caught: `send` uses it, and so does any
    route that must stream a body (e.g. a size-capped download).
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        raise TransientError(f"{type(exc).__name__}: {action} timed out",
                             route=route, code="timeout") from exc
    except httpx.TransportError as exc:
        detail = redact(str(exc)) or type(exc).__name__
        raise TransientError(f"{action} failed ({type(exc).__name__}: {detail})",
                             route=route, code="connection_error") from exc


async def send(client: httpx.AsyncClient, method: str, url: str, *, route: str,
               **kwargs: Any) -> httpx.Response:
    """Send one request; HTTP error statuses and transport failures become RouteErrors."""
    with transport_errors(route, f"the request {method} {url.split('?', 1)[0]}"):
        response = await client.request(method, url, follow_redirects=False, **kwargs)
    refused = redirect_refusal(response, route)
    if refused is not None:
        raise refused
    raise_for_status(response, route)
    return response


OFF_LOOP_BYTES = 1 << 20


async def json_body_off_loop(response: httpx.Response, route: str) -> dict[str, Any]:
    """`json_body`, parsed in a worker thread when the body is large: a 2048x2048 image is
    ~17 MB of base64 in JSON, and parsing that on the event loop holds back every other
    request's sending and receiving."""
    if len(response.content) < OFF_LOOP_BYTES:
        return json_body(response, route)
    return await asyncio.to_thread(json_body, response, route)


def json_body(response: httpx.Response, route: str) -> dict[str, Any]:
    """The JSON object of a successful response; a cut-off body is transient."""
    try:
        body = response.json()
    except ValueError as exc:
        raise TransientError("the response body is not complete JSON (truncated?)",
                             route=route, status=response.status_code, code="invalid_json",
                             request_id=request_id_of(response)) from exc
    if not isinstance(body, dict):
        raise PermanentError("the response is not a JSON object", route=route,
                             status=response.status_code, request_id=request_id_of(response))
    return body


def is_official(base_url: str) -> bool:
    return httpx.URL(base_url).host in ("api.openai.com",)
