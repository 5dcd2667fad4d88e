"""The one HTTP boundary: httpx calls go through here and httpx errors stop here.

Transport failures and HTTP error statuses become `RouteError`s (transient or
permanent) carrying the status, the API's error code and message, and the
request id; the original exception is kept as ``__cause__``.

Every answer is untrusted (SPEC section 10). `exchange` is the one way a route
asks for an answer: it bounds the whole exchange by a deadline (httpx's read
timeout is per read, so a body that trickles one byte a second would never
time out), reads the body through a size cap counted after decompression,
refuses redirects, and parses JSON so that no malformed body
(cut off, not UTF-8, nested 200,000 deep) escapes as anything but a RouteError.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import httpx

from assetgen.core.secrets import redact, scrub_api_message
from assetgen.core.waits import parse_retry_after
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
        value = clean_id(response.headers.get(header))
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
    except (ValueError, RecursionError):
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


# Caps on what a server may send (README "Security model", "Server answers").
MAX_JSON_BYTES = 64 * 1024 * 1024  # an image answer: a 3840x2160 PNG is ~44 MB of base64
MAX_ERROR_BODY_BYTES = 64 * 1024  # an error or a task status: only a message is read
MAX_TASK_BODY_BYTES = 1024 * 1024  # a gateway task (result images come as URLs or b64)
MAX_REDIRECTS = 5  # the shared client's, for downloads (API calls follow none)
OFF_LOOP_BYTES = 1 << 20


@contextlib.contextmanager
def transport_errors(route: str, action: str) -> Iterator[None]:
    """Turn httpx failures inside the block into RouteErrors (from the httpx error).

    The one place httpx exceptions are caught: `send`, `exchange` and the gateway's
    size-capped download use it. Timeouts and dropped connections are worth another
    attempt; a body that does not decode (`Content-Encoding: gzip` over plain bytes), a
    redirect loop or any other malformed exchange is not.
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
    except httpx.DecodingError as exc:
        raise PermanentError(f"{action}: the body does not decode as its Content-Encoding "
                             "says", route=route, code="bad_encoding") from exc
    except httpx.TooManyRedirects as exc:
        raise PermanentError(f"{action}: more than {MAX_REDIRECTS} redirects (a loop?)",
                             route=route, code="redirect_loop") from exc
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
        raise PermanentError(f"{action} failed ({type(exc).__name__})", route=route,
                             code="bad_exchange") from exc


async def send(client: httpx.AsyncClient, method: str, url: str, *, route: str,
               **kwargs: Any) -> httpx.Response:
    """Send one request, reading the whole body (for small answers, e.g. `doctor`'s);
    HTTP error statuses and transport failures become RouteErrors."""
    with transport_errors(route, f"the request {method} {url.split('?', 1)[0]}"):
        response = await client.request(method, url, follow_redirects=False, **kwargs)
    refused = redirect_refusal(response, route)
    if refused is not None:
        raise refused
    raise_for_status(response, route)
    return response


class Answer(NamedTuple):
    """A successful answer, read whole within the caps."""

    status: int
    headers: httpx.Headers
    body: bytearray
    request_id: str | None

    async def json(self, route: str) -> dict[str, Any]:
        """The JSON object of the body, parsed off the event loop when it is large (a
        2048x2048 image is ~17 MB of base64 in JSON)."""
        if len(self.body) < OFF_LOOP_BYTES:
            return json_bytes(self.body, route, self.status, self.request_id)
        return await asyncio.to_thread(json_bytes, self.body, route, self.status,
                                       self.request_id)


async def exchange(client: httpx.AsyncClient, method: str, url: str, *, route: str,
                   timeout_s: float, max_bytes: int = MAX_JSON_BYTES,
                   **kwargs: Any) -> Answer:
    """One API request and its whole answer, within `timeout_s` overall and `max_bytes`
    (counted after decompression); a redirect is refused (API calls follow none).

    Error statuses become RouteErrors as in `raise_for_status` (their bodies read up to
    MAX_ERROR_BODY_BYTES); every other failure is a RouteError too.
    """
    action = f"the request {method} {url.split('?', 1)[0]}"
    try:
        async with asyncio.timeout(timeout_s):
            with transport_errors(route, action):
                return await _exchange(client, method, url, route=route, timeout_s=timeout_s,
                                       max_bytes=max_bytes, action=action, **kwargs)
    except TimeoutError as exc:
        raise TransientError(f"{action} timed out (no whole answer within {timeout_s:g}s)",
                             route=route, code="timeout") from exc


async def _exchange(client: httpx.AsyncClient, method: str, url: str, *, route: str,
                    timeout_s: float, max_bytes: int, action: str, **kwargs: Any) -> Answer:
    request = client.build_request(method, url, timeout=timeout_s, **kwargs)
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        refused = redirect_refusal(response, route)
        if refused is not None:
            raise refused
        if response.status_code >= 400:
            raise_for_status(await error_copy(response), route)
        body = await read_capped(response, max_bytes, what=f"the answer to {action}",
                                 route=route)
        return Answer(response.status_code, response.headers, body, request_id_of(response))
    finally:
        await response.aclose()


async def read_capped(response: httpx.Response, max_bytes: int, *, what: str,
                      route: str) -> bytearray:
    """A streamed body, stopping once more than ``max_bytes`` (decoded) have come."""
    declared = response.headers.get("content-length", "")
    encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
    if declared.isdigit() and not encoded and int(declared) > max_bytes:
        raise too_large(what, int(declared), max_bytes, route=route,
                        request_id=request_id_of(response))
    body = bytearray()
    async for chunk in response.aiter_bytes():
        if len(body) + len(chunk) > max_bytes:
            raise too_large(what, len(body) + len(chunk), max_bytes, route=route,
                            request_id=request_id_of(response))
        body += chunk
    return body


def too_large(what: str, size: int, cap: int, *, route: str, request_id: str | None = None,
              hint: str | None = None) -> PermanentError:
    return PermanentError(f"{what} is larger than the cap of {cap:,} bytes ({size:,}+)",
                          route=route, code="too_large", request_id=request_id, hint=hint)


async def error_copy(response: httpx.Response) -> httpx.Response:
    """An error answer with its body read up to MAX_ERROR_BODY_BYTES (cut, not refused),
    as a plain response `raise_for_status` can read."""
    body = bytearray()
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in response.aiter_bytes():
            body += chunk[: MAX_ERROR_BODY_BYTES - len(body)]
            if len(body) >= MAX_ERROR_BODY_BYTES:
                break
    headers = [(k, v) for k, v in response.headers.multi_items()
               if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    return httpx.Response(response.status_code, headers=headers, content=bytes(body),
                          request=response.request)


def json_bytes(body: bytes | bytearray, route: str, status: int = 200,
               request_id: str | None = None) -> dict[str, Any]:
    """The JSON object in ``body``. A cut-off body is transient (the next attempt may come
    whole); anything else malformed fails the asset."""
    try:
        parsed = json.loads(body)
    except RecursionError as exc:
        raise PermanentError("the response body is JSON nested too deeply to read",
                             route=route, status=status, code="invalid_json",
                             request_id=request_id) from exc
    except ValueError as exc:  # includes UnicodeDecodeError
        raise TransientError("the response body is not complete JSON (truncated?)",
                             route=route, status=status, code="invalid_json",
                             request_id=request_id) from exc
    if not isinstance(parsed, dict):
        raise PermanentError("the response is not a JSON object", route=route, status=status,
                             code="invalid_json", request_id=request_id)
    return parsed


def json_body(response: httpx.Response, route: str) -> dict[str, Any]:
    """The JSON object of a successful response read whole (see `json_bytes`)."""
    return json_bytes(response.content, route, response.status_code, request_id_of(response))

# --------------------------------------------------------------------------- answer fields
# What a server says about an image is recorded in a committed sidecar: clamp it.

MAX_TOKENS = 10**9  # more tokens than any image could cost: a count past it is not believed
MAX_REVISED_PROMPT_CHARS = 4_000
MAX_ID_CHARS = 200
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._:/+=@-]")
_USAGE_KEYS = 32


def clean_id(value: object) -> str | None:
    """A server-given id (request, response, task) as at most 200 safe characters."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = _UNSAFE_ID_CHARS.sub("", str(value))[:MAX_ID_CHARS]
    return text or None


def clean_usage(usage: object, notes: list[str]) -> dict[str, Any] | None:
    """A `usage` block whose every count is an int in [0, 10**9] (or a dict of those);
    anything else drops the whole block, with a note saying why."""
    if usage is None:
        return None
    problem = _usage_problem(usage, depth=0)
    if problem is None:
        assert isinstance(usage, dict)
        return usage
    notes.append(f"usage dropped: {problem}")
    return None


def _usage_problem(node: object, depth: int) -> str | None:
    if not isinstance(node, dict):
        return "not an object"
    if len(node) > _USAGE_KEYS:
        return f"more than {_USAGE_KEYS} fields"
    for key, value in node.items():
        name = _UNSAFE_ID_CHARS.sub("", str(key))[:40]
        if isinstance(value, dict) and depth == 0:
            problem = _usage_problem(value, depth + 1)
            if problem is not None:
                return f"{name}: {problem}"
        elif isinstance(value, bool) or not isinstance(value, int):
            return f"{name} is not a whole number ({type(value).__name__})"
        elif not 0 <= value <= MAX_TOKENS:
            return f"{name} is out of range (not in 0..{MAX_TOKENS:,})"
    return None


def clean_text(value: object, notes: list[str], *, field: str,
               limit: int = MAX_REVISED_PROMPT_CHARS) -> str | None:
    """A server-given text field, cut to ``limit`` characters (noted when cut)."""
    if not isinstance(value, str):
        return None
    if len(value) > limit:
        notes.append(f"{field} cut to {limit:,} of its {len(value):,} characters")
        return value[:limit]
    return value


def is_official(base_url: str) -> bool:
    return httpx.URL(base_url).host in ("api.openai.com",)
