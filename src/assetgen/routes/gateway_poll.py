"""The gateway's asynchronous tasks: reading a task, polling it, downloading its image.

Providers differ in the details, so the reader is liberal: a task may come bare
(`{"id", "status", ...}`) or wrapped (`{"code": 0, "msg": "ok", "data": {...}}`);
statuses have several spellings; result images may be a URL string, a list of
URLs or base64, under `result.images`, `images`, `data`, `output`, ...

Once a task is submitted it has (probably) been paid for, so nothing here asks
the engine to retry: transient poll and download failures (429, 5xx, dropped
connections) are retried inside the poll loop until the task's deadline, and
whatever finally fails is a `PermanentError` naming the task id.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from assetgen.core.secrets import redact
from assetgen.core.waits import MAX_WAIT_S
from assetgen.errors import PermanentError, RateLimited, RouteError, TransientError
from assetgen.routes.http import (
    error_copy,
    error_fields,
    exchange,
    raise_for_status,
    read_capped,
    request_id_of,
    too_large,
    transport_errors,
)
from assetgen.routes.openai_config import decode_b64_image
from assetgen.routes.url_policy import HostPolicy

ROUTE = "gateway"
MAX_TEXT_CHARS = 300  # a task's id, status and error text: enough to say what happened
MAX_COST_USD = 100.0  # no single image costs more; a provider saying so is not believed
POLL_REQUEST_TIMEOUT_S = 30.0
DOWNLOAD_TIMEOUT_S = 120.0
MAX_REDIRECTS = 5  # result downloads only; each hop is checked against the host policy
STATUS_WORDS = {
    "queued": ("queued", "pending", "submitted", "waiting", "created", "in_queue",
               "not_started", "not_start"),
    "running": ("in_progress", "processing", "running", "generating", "started"),
    "completed": ("completed", "complete", "succeeded", "success", "succeed", "done",
                  "finished"),
    "failed": ("failed", "failure", "error", "errored", "expired", "timeout"),
    "cancelled": ("cancelled", "canceled", "aborted"),
}
_STATUS = {word: norm for norm, words in STATUS_WORDS.items() for word in words}
_OK_CODES = (0, 200, "0", "200", "ok", "OK", "success", "SUCCESS")
_RESULT_KEYS = ("result", "results", "output", "outputs", "data", "images", "image")
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
_XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)


@dataclass
class Task:
    id: str
    status: str  # queued | running | completed | failed | cancelled | unknown
    raw_status: str
    progress: Any = None
    images: list[tuple[str, str]] = field(default_factory=list)  # ("url"|"b64", value)
    error_code: str | None = None
    error_message: str | None = None
    cost_usd: float | None = None
    notes: list[str] = field(default_factory=list)  # what was not believed, for the record

    def describe(self) -> str:
        progress = f", {self.progress}%" if isinstance(self.progress, int | float) else ""
        return f"{self.raw_status or 'no status'}{progress}"


# --------------------------------------------------------------------------- reading


def unwrap(body: Mapping[str, Any], request_id: str | None) -> dict[str, Any]:
    """The task object of a bare or `{"code", "msg", "data"}`-wrapped answer."""
    wrapped = "status" not in body and "data" in body and any(
        key in body for key in ("code", "msg", "message", "success"))
    if not wrapped:
        return dict(body)
    code = body.get("code")
    message = str(body.get("msg") or body.get("message") or "no message")
    data = body.get("data")
    if isinstance(data, list) and len(data) == 1:
        data = data[0]  # some providers wrap one task in a list
    failed = (code is not None and code not in _OK_CODES) or body.get("success") is False
    if failed or not isinstance(data, dict):
        error_code = str(body.get("error_code") or code or "provider_error")
        kwargs: dict[str, Any] = {"route": ROUTE, "code": error_code, "request_id": request_id}
        numeric = code if isinstance(code, int) else None
        if numeric == 429:
            raise RateLimited(redact(message), **kwargs)
        if numeric is not None and 500 <= numeric <= 599:
            raise TransientError(redact(message), **kwargs)
        raise PermanentError(redact(message), **kwargs)
    return dict(data)


def parse_task(body: Mapping[str, Any], request_id: str | None) -> Task:
    data = unwrap(body, request_id)
    task_id = data.get("id") or data.get("task_id") or data.get("taskId")
    raw = str(data.get("status") or data.get("state") or "")
    images = find_images(data)
    status = _STATUS.get(raw.lower(), "unknown")
    if not raw and images:
        status = "completed"  # a synchronous provider answered with the image directly
    if not task_id and status != "completed":
        raise PermanentError("the provider's answer has neither a task id nor an image",
                             route=ROUTE, code="no_task_id", request_id=request_id)
    code, message = _task_error(data)
    notes: list[str] = []
    return Task(id=str(task_id or "sync")[:MAX_TEXT_CHARS], status=status,
                raw_status=raw[:MAX_TEXT_CHARS], progress=data.get("progress"), images=images,
                error_code=code[:MAX_TEXT_CHARS] if code else None,
                error_message=message[:MAX_TEXT_CHARS] if message else None,
                cost_usd=_cost(data, notes), notes=notes)


def find_images(node: Any, depth: int = 0) -> list[tuple[str, str]]:
    """Result images anywhere a provider is known to put them (first shape found wins)."""
    if depth > 5:
        return []
    if isinstance(node, str):
        if node.startswith(("http://", "https://", "/")):
            return [("url", node)]
        return []
    if isinstance(node, list):
        found: list[tuple[str, str]] = []
        for item in node:
            found += find_images(item, depth + 1)
        return found
    if not isinstance(node, Mapping):
        return []
    for key in ("b64_json", "b64", "base64", "image_base64"):
        if isinstance(node.get(key), str) and node[key]:
            return [("b64", node[key])]
    for key in ("url", "urls", "image_url", "image_urls"):
        found = find_images(node.get(key), depth + 1)
        if found:
            return found
    for key in _RESULT_KEYS:
        found = find_images(node.get(key), depth + 1) if key in node else []
        if found:
            return found
    return []


def _task_error(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    error = data.get("error")
    if isinstance(error, Mapping):
        code = error.get("code") or error.get("type")
        message = error.get("message") or error.get("msg")
        return (str(code) if code else None), (str(message) if message else None)
    message = error if isinstance(error, str) and error else None
    for key in ("fail_reason", "failure_reason", "error_message", "reason", "message"):
        if message is None and isinstance(data.get(key), str) and data[key]:
            message = data[key]
    code = data.get("error_code")
    return (str(code) if code else None), message


def _cost(data: Mapping[str, Any], notes: list[str]) -> float | None:
    """A USD cost the provider itself reports (never derived from OpenAI prices); one
    that is not a sane number for an image is dropped, with a note."""
    usage = data.get("usage")
    reported = usage.get("cost_usd") if isinstance(usage, Mapping) else None
    for value in (data.get("cost_usd"), reported):
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and math.isfinite(value) and 0 <= value <= MAX_COST_USD:
            return float(value)
        notes.append(f"cost_usd dropped: not a number in 0..{MAX_COST_USD:g}")
        return None
    return None


# --------------------------------------------------------------------------- polling


@dataclass
class Poller:
    client: httpx.AsyncClient
    base_url: str
    headers: dict[str, str]
    timeout_s: float
    intervals: Sequence[float]
    max_bytes: int
    policy: HostPolicy | None = None  # None: the base URL's origin only
    started: float = field(default_factory=time.monotonic)
    polls: int = 0
    last_request_id: str | None = None  # of the poll that saw the task completed

    @property
    def deadline(self) -> float:
        return self.started + self.timeout_s

    @property
    def hosts(self) -> HostPolicy:
        return self.policy or HostPolicy.for_origin(self.base_url)

    async def wait(self, task: Task) -> Task:
        """Poll until the task is completed; failures, cancellation and the deadline raise."""
        last_error: RouteError | None = None
        retry_after: float | None = None
        while True:
            if task.status == "completed":
                return task
            if task.status in ("failed", "cancelled"):
                raise self.task_failed(task)
            now = time.monotonic()
            if now >= self.deadline:
                raise self.timed_out(task, last_error)
            interval = self.intervals[min(self.polls, len(self.intervals) - 1)]
            await asyncio.sleep(min(max(interval, retry_after or 0.0), self.deadline - now,
                                    MAX_WAIT_S))
            self.polls += 1
            # A hanging poll must not carry the task far past its deadline.
            budget = min(POLL_REQUEST_TIMEOUT_S, max(1.0, self.deadline - time.monotonic() + 1))
            url = f"{self.base_url}/tasks/{quote(task.id, safe='')}"
            if not self.hosts.allows_origin(url):  # a task id can never move the poll
                raise PermanentError(f"the poll URL of task {task.id} left the gateway's "
                                     "origin", route=ROUTE, code="host_refused")
            try:
                answer = await exchange(self.client, "GET", url, route=ROUTE,
                                        timeout_s=budget, max_bytes=self.max_bytes,
                                        headers=self.headers)
                self.last_request_id = answer.request_id
                task = parse_task(await answer.json(ROUTE), self.last_request_id)
                last_error, retry_after = None, None
            except TransientError as exc:  # 429, 5xx, dropped connections: poll again
                last_error, retry_after = exc, exc.retry_after
            except PermanentError as exc:
                raise PermanentError(f"polling task {task.id} failed: {exc.message}",
                                     route=ROUTE, status=exc.status, code=exc.code,
                                     request_id=exc.request_id,
                                     hint="check the provider's status page; a new build "
                                          "submits (and pays for) a new task") from exc

    def task_failed(self, task: Task) -> PermanentError:
        what = "was cancelled" if task.status == "cancelled" else "failed"
        message = f"task {task.id} {what}: {task.error_message or task.raw_status}"
        return PermanentError(message, route=ROUTE, code=task.error_code or task.status,
                              hint="the provider's code and message say why; change the "
                                   "prompt or settings, or build again to submit a new task")

    def timed_out(self, task: Task, last_error: RouteError | None) -> PermanentError:
        message = (f"task {task.id} did not finish within {self.timeout_s:g}s "
                   f"(last status: {task.describe()})")
        if last_error is not None:
            message += f"; the last poll failed: {last_error.describe()}"
        return PermanentError(message, route=ROUTE, code="task_timeout",
                              hint="the task may still finish at the provider; raise "
                                   "routes.gateway.timeout_s, or build again later (a new build "
                                   "submits a new task)")

    async def fetch(self, task: Task) -> bytes:
        """The first result image: base64 decoded, or downloaded with the size cap."""
        if not task.images:
            raise PermanentError(f"task {task.id} completed without a result image",
                                 route=ROUTE, code="no_image")
        kind, value = task.images[0]
        what = f"the result of task {task.id}"
        if kind == "b64":
            if len(value) * 3 // 4 > self.max_bytes:  # the same cap as a download
                raise _too_large(what, len(value) * 3 // 4, self.max_bytes)
            try:
                return await asyncio.to_thread(decode_b64_image, value, route=ROUTE,
                                               request_id=self.last_request_id,
                                               max_chars=self.max_bytes * 4 // 3 + 4)
            except PermanentError as exc:
                raise PermanentError(f"{what}: {exc.message}", route=ROUTE, code=exc.code,
                                     request_id=self.last_request_id,
                                     hint="build again to submit a new task") from exc
        try:
            url = value if "://" in value else str(httpx.URL(self.base_url).join(value))
        except httpx.InvalidURL:
            url = value
        refused = self.hosts.refusal(url, f"the result URL of task {task.id}")
        if refused is not None:  # checked before any request: nothing is sent there
            raise refused
        while True:
            try:
                # A hanging download must not carry the task past its deadline either.
                budget = max(1.0, min(DOWNLOAD_TIMEOUT_S, self.deadline - time.monotonic()))
                return await download(self.client, url, headers=self.headers,
                                      max_bytes=self.max_bytes, what=what, timeout_s=budget,
                                      policy=self.hosts)
            except TransientError as exc:
                if time.monotonic() + 1.0 >= self.deadline:
                    raise PermanentError(
                        f"downloading the result of task {task.id} kept failing: "
                        f"{exc.describe()}", route=ROUTE, code="download_failed",
                        hint="build again: the result URL may still be valid") from exc
                await asyncio.sleep(min(MAX_WAIT_S, max(1.0, exc.retry_after or 0.0)))


# --------------------------------------------------------------------------- downloading


class UrlGone(PermanentError):
    """The URL answered 401/403/404/410: expired, never there, or not public."""


def looks_like_image(data: bytes) -> bool:
    return data.startswith(_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


async def download(client: httpx.AsyncClient, url: str, *, headers: Mapping[str, str],
                   max_bytes: int, what: str, policy: HostPolicy,
                   timeout_s: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """GET an image with a size cap; gone URLs (`UrlGone`), non-images and oversize fail.

    ``headers`` (the gateway's key) go only to the policy's own origin. Redirects are
    followed by hand, each hop checked by ``policy`` before it is requested; the error
    body of a host other than the origin is never read or quoted.
    Streams through the shared client (`send` reads whole bodies, which a size cap
    cannot use); transport failures are translated by `routes.http.transport_errors`.
    """
    shown = url.split("?", 1)[0]  # signed URLs carry their credentials in the query
    try:  # the whole download, redirects and body included (httpx's timeout is per read)
        async with asyncio.timeout(timeout_s):
            for _ in range(MAX_REDIRECTS + 1):
                refused = policy.refusal(url, f"the URL of {what}")
                if refused is not None:
                    raise refused
                own = policy.allows_origin(url)
                shown = url.split("?", 1)[0]
                with transport_errors(ROUTE, f"downloading {shown}"):
                    fetched = await _download_once(
                        client, url, headers=dict(headers) if own else {}, own=own,
                        max_bytes=max_bytes, what=what, shown=shown, timeout_s=timeout_s)
                if isinstance(fetched, str):  # a redirect: the next hop, checked above
                    url = fetched
                    continue
                data, content_type = fetched
                break
            else:
                raise PermanentError(
                    f"the URL of {what} redirected more than {MAX_REDIRECTS} times",
                    route=ROUTE, code="redirect_loop",
                    hint="the provider's storage is misconfigured; build again later")
    except TimeoutError as exc:
        raise TransientError(f"downloading {shown} timed out (not whole within {timeout_s:g}s)",
                             route=ROUTE, code="timeout") from exc
    if not content_type.startswith("image/") and not looks_like_image(data):
        raise PermanentError(
            f"{what} is not an image (content-type {content_type or 'none'}, "
            f"{len(data)} bytes) — {shown}", route=ROUTE, code="not_image",
            hint="the provider returned something else than an image; build again")
    return data


async def _download_once(client: httpx.AsyncClient, url: str, *, headers: dict[str, str],
                         own: bool, max_bytes: int, what: str, shown: str,
                         timeout_s: float) -> str | tuple[bytes, str]:
    """One hop: the next URL of a redirect, or the body (capped) and its content type."""
    async with client.stream("GET", url, headers=headers, timeout=timeout_s,
                             follow_redirects=False) as response:
        if response.is_redirect:
            return str(response.url.join(response.headers.get("location", "")))
        if response.status_code >= 400 and not own:
            raise _foreign_error(response, what, shown)
        if response.status_code in (401, 403, 404, 410):
            gone = await error_copy(response)
            raise UrlGone(
                f"the URL of {what} is expired or gone ({_error_text(gone)}): {shown}",
                route=ROUTE, status=response.status_code, code="result_expired",
                request_id=request_id_of(response),
                hint="result URLs expire; build again to submit a new task")
        if response.status_code >= 400:
            raise_for_status(await error_copy(response), ROUTE)
        body = await read_capped(response, max_bytes, what=what, route=ROUTE)
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
    return bytes(body), content_type[:100]


def _foreign_error(response: httpx.Response, what: str, shown: str) -> RouteError:
    """An error from a host other than the gateway: its status only, never its body."""
    status = response.status_code
    kwargs: dict[str, Any] = {"route": ROUTE, "status": status}
    message = f"the host of {what} answered HTTP {status}: {shown}"
    if status in (401, 403, 404, 410):
        return UrlGone(message, code="result_expired",
                       hint="result URLs expire; build again to submit a new task", **kwargs)
    if status == 429:
        return RateLimited(message, **kwargs)
    if status >= 500 or status in (408, 409):
        return TransientError(message, **kwargs)
    return PermanentError(message, **kwargs)


def _too_large(what: str, size: int, cap: int) -> PermanentError:
    return too_large(what, size, cap, route=ROUTE,
                     hint="raise routes.gateway.max_download_bytes if this is expected")


def _error_text(response: httpx.Response) -> str:
    match = _XML_MESSAGE.search(response.text or "")
    if match:
        return redact(match.group(1).strip())[:200]
    return redact(error_fields(response)[1])[:200]
