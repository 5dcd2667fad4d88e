"""A local OpenAI-compatible API emulator (plus an async-task "gateway" dialect) for tests.

    with Emulator(latency_s=0.0) as emu:
        httpx.post(f"{emu.base_url}/images/generations", ...)
        assert not emu.schema_errors

Every request body is validated against the official OpenAI API description (see
``tests/fakes/openapi.py``); mismatches are answered with 400 ``emulator_schema_mismatch``
and collected in ``schema_errors``. Faults are injected with :meth:`Emulator.inject`.

Run standalone for benchmarks: ``python tests/fakes/emulator.py --port 8123 --latency 1``.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import math
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

if __package__ in (None, ""):  # executed as a script: make ``tests.fakes`` importable
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fakes import emulator_batch, emulator_gateway, emulator_openai
from tests.fakes.emulator_http import Exchange, Handler, Server

DEFAULT_KNOWN_MODELS = frozenset(
    {"gpt-image-2", "gpt-image-1.5", "gpt-image-1", "gpt-5.5", "gpt-5", "gpt-4.1"}
)
IMAGE_PATHS = frozenset(
    {
        "/v1/images/generations",
        "/v1/images/edits",
        "/v1/responses",
        "/gateway/v1/images/generations",
    }
)
FAULT_KINDS = frozenset(
    {
        "429", "500", "502", "503", "504", "drop", "reset_mid_body", "truncated_json",
        "bad_base64", "not_image", "broken_pixels", "wrong_size", "moderation", "401", "403",
        "model_not_found", "hang", "task_failed", "task_cancelled", "task_stuck",
    }
)  # fmt: skip
_GATEWAY_ONLY = frozenset({"task_failed", "task_cancelled", "task_stuck"})


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    prompt: str | None = None
    time: float = 0.0
    status: int | None = None  # 0 = connection dropped without a response
    request_id: str = ""
    query: str = ""
    fault: str | None = None
    body_bytes: int = 0

    def redacted(self) -> dict[str, Any]:
        """The request as a dict with the Authorization value masked (safe to print)."""
        headers = dict(self.headers)
        auth = headers.get("authorization")
        if auth:
            scheme, _, token = auth.partition(" ")
            headers["authorization"] = f"{scheme} {token[:3]}***{token[-4:]}" if token else "***"
        return {
            "method": self.method, "path": self.path, "query": self.query,
            "headers": headers, "json": self.json, "form": self.form, "files": self.files,
            "prompt": self.prompt, "status": self.status, "request_id": self.request_id,
            "fault": self.fault,
        }  # fmt: skip


@dataclass
class Fault:
    kind: str
    times: int = 1
    prompt_contains: str | None = None
    path_contains: str | None = None
    retry_after: float | str | None = None  # a str is sent verbatim as `Retry-After`

    def matches(self, path: str, prompt: str | None, image_request: bool) -> bool:
        if self.path_contains is None and not image_request:
            return False
        if self.path_contains is not None and self.path_contains not in path:
            return False
        if self.kind in _GATEWAY_ONLY and path != "/gateway/v1/images/generations":
            return False
        return self.prompt_contains is None or (
            prompt is not None and self.prompt_contains in prompt
        )


class Emulator:
    """OpenAI-compatible HTTP emulator on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.0,
        rate_limit_per_minute: int | None = None,
        api_key: str | None = "sk-test-emulator",
        gateway_key: str | None = "gw-test-key",
        known_models: set[str] | frozenset[str] | None = None,
        image_models: set[str] | frozenset[str] | None = None,
        forbidden_models: set[str] | frozenset[str] | None = None,
        forbidden_models_visible: bool = False,
        gateway_models: set[str] | frozenset[str] | None = None,
        gateway_task_s: float = 0.2,
        gateway_wrap: bool = False,
        gateway_result_shape: str = "url_string",
        gateway_url_ttl_s: float = 600.0,
        gateway_statuses: dict[str, str] | None = None,
        gateway_fetch_references: bool = False,
        hang_s: float = 30.0,
        max_body_bytes: int = 64 * 1024 * 1024,
        verbose: bool = False,
        c2pa_signer: Callable[[bytes, str], bytes] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.latency_s = latency_s
        self.rate_limit_per_minute = rate_limit_per_minute
        self.api_key = api_key
        self.gateway_key = gateway_key
        self.known_models = set(DEFAULT_KNOWN_MODELS if known_models is None else known_models)
        self.image_models = set(
            image_models
            if image_models is not None
            else {m for m in self.known_models if m.startswith("gpt-image-")}
        )
        self.forbidden_models = set(forbidden_models or ())
        self.forbidden_models_visible = forbidden_models_visible
        self.gateway_models = set(gateway_models or self.image_models)
        self.gateway_task_s = gateway_task_s
        self.gateway_wrap = gateway_wrap
        self.gateway_result_shape = gateway_result_shape
        self.gateway_url_ttl_s = gateway_url_ttl_s
        # Where result URLs point (scheme://host:port); None = this emulator's own origin.
        self.gateway_file_origin: str | None = None
        # rename task statuses, e.g. {"queued": "pending", "in_progress": "processing"}
        self.gateway_statuses = {**emulator_gateway.STATUS_NAMES, **(gateway_statuses or {})}
        self.gateway_fetch_references = gateway_fetch_references
        self.hang_s = hang_s
        self.max_body_bytes = max_body_bytes
        self.verbose = verbose
        # OpenAI signs what gpt-image models return with a C2PA manifest (c2pa.created,
        # trainedAlgorithmicMedia; OpenAI help "C2PA in ChatGPT Images", issue 15). Off by default
        # (signing costs ms per distinct image); tests/fakes/pki.sign_created stands in.
        self.c2pa_signer = c2pa_signer

        self.requests: list[RecordedRequest] = []
        self.schema_errors: list[str] = []
        self.tasks: dict[str, emulator_gateway.Task] = {}
        # /v1/files and /v1/batches; configure with `emu.batch_api.config` (BatchConfig)
        self.batch_api = emulator_batch.BatchState()
        self._faults: list[Fault] = []
        self._rate_window: collections.deque[float] = collections.deque()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._closing = threading.Event()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> Emulator:
        if self._server is not None:
            return self
        from tests.fakes import openapi

        openapi.load_schemas()  # fail early (and outside request threads) if the spec is missing
        self._closing.clear()
        self._server = Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._closing.set()  # wakes hanging / sleeping handlers
        server.shutdown()
        with server.sockets_lock:
            sockets = list(server.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- public helpers
    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    @property
    def gateway_url(self) -> str:
        return f"{self.origin}/gateway/v1"

    def inject(
        self,
        kind: str,
        *,
        times: int = 1,
        prompt_contains: str | None = None,
        path_contains: str | None = None,
        retry_after: float | str | None = None,
    ) -> Fault:
        """Queue a fault for the next ``times`` matching requests.

        Without ``path_contains`` a fault matches image requests only (generations, edits,
        responses, gateway submit); with it, any request whose path contains the string
        (e.g. ``"/tasks/"`` for gateway polls, ``"/gateway/files/"`` for downloads).
        ``prompt_contains`` matches the request's prompt (for polls and downloads: the task's).

        Kinds: ``429`` (``Retry-After``/``retry-after-ms`` only when ``retry_after`` is given;
        a str ``retry_after`` is sent verbatim as ``Retry-After`` alone, as a hostile server would),
        ``500``/``503`` (JSON), ``502``/``504`` (HTML, as a CDN sends them), ``401``, ``403``
        (organization verification), ``model_not_found``, ``moderation`` (400
        ``moderation_blocked``), ``drop`` (close without response), ``reset_mid_body``
        (headers + part of the body, then close), ``truncated_json`` (200, cut-off body),
        ``bad_base64``, ``not_image``, ``wrong_size``, ``broken_pixels`` (a whole header, then
        the image data cut off) (200 with a broken/odd image), ``hang``
        (sleep ``hang_s`` first; released by :meth:`close`). Gateway submit only:
        ``task_failed``, ``task_cancelled``, ``task_stuck``; there ``not_image``,
        ``wrong_size`` and ``bad_base64`` affect the task's result instead of the submit.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = Fault(kind, times, prompt_contains, path_contains, retry_after)
        with self._lock:
            self._faults.append(fault)
        return fault

    @property
    def pending_faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def reset(self) -> None:
        """Forget recorded requests, schema errors, faults, tasks and the rate window."""
        with self._lock:
            self.requests.clear()
            self.schema_errors.clear()
            self._faults.clear()
            self._rate_window.clear()
            self.tasks.clear()
            self.batch_api = emulator_batch.BatchState()

    def count(self, path: str, *, prompt_contains: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r.path == path
                and (prompt_contains is None or (r.prompt and prompt_contains in r.prompt))
            )

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def last(self, path: str | None = None) -> RecordedRequest | None:
        with self._lock:
            found = [r for r in self.requests if path is None or r.path == path]
        return found[-1] if found else None

    # ----------------------------------------------------------------- internals
    def next_id(self) -> int:
        return next(self._ids)

    def add_schema_error(self, message: str) -> None:
        with self._lock:
            self.schema_errors.append(message)

    def take_fault(self, path: str, prompt: str | None) -> Fault | None:
        image_request = path in IMAGE_PATHS
        with self._lock:
            for fault in self._faults:
                if fault.matches(path, prompt, image_request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def rate_limit_retry_after(self) -> int | None:
        """Admit an image request (None) or return Retry-After seconds for a 429."""
        limit = self.rate_limit_per_minute
        if not limit:
            return None
        now = time.monotonic()
        with self._lock:
            window = self._rate_window
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + 60.0 - now))
            window.append(now)
        return None

    def rate_headers(self) -> dict[str, str]:
        limit = self.rate_limit_per_minute
        if not limit:
            return {}
        with self._lock:
            remaining = max(0, limit - len(self._rate_window))
        return {"x-ratelimit-limit-requests": str(limit),
                "x-ratelimit-remaining-requests": str(remaining)}  # fmt: skip

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the emulator is closing; True if interrupted by close()."""
        return self._closing.wait(seconds) if seconds > 0 else self._closing.is_set()

    def _read_body(self, handler: Handler) -> bytes | None:
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > self.max_body_bytes:
                    return None
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        if length > self.max_body_bytes:
            return None
        return handler.rfile.read(length) if length else b""

    def _dispatch(self, handler: Handler) -> None:
        parts = urlsplit(handler.path)
        record = RecordedRequest(
            method=handler.command,
            path=parts.path,
            query=parts.query,
            headers={k.lower(): v for k, v in handler.headers.items()},
            time=time.monotonic(),
            request_id=f"req_{self.next_id()}",
        )
        with self._lock:
            self.requests.append(record)
        body = self._read_body(handler)
        ex = Exchange(self, handler, record, body or b"")
        try:
            if body is None:
                ex.send_error(413, f"Request body exceeds {self.max_body_bytes} bytes.",
                              code="request_too_large")  # fmt: skip
                handler.close_connection = True
                return
            record.body_bytes = len(body)
            if parts.path.startswith("/gateway/"):
                emulator_gateway.route(self, ex)
            elif parts.path.startswith("/v1/"):
                emulator_openai.route(self, ex)
            else:
                ex.send_error(404, f"Invalid URL ({handler.command} {parts.path})")
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        except Exception as exc:  # an emulator bug: make it loud, keep serving
            self.add_schema_error(f"emulator crashed on {record.method} {record.path}: {exc!r}")
            if not ex.done:
                ex.send_error(500, f"emulator error: {exc!r}", type_="server_error",
                              code="emulator_crash")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the assetgen OpenAI API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per image request")
    parser.add_argument("--rate-limit", type=int, default=None, help="image requests per minute")
    parser.add_argument("--api-key", default="sk-test-emulator")
    parser.add_argument("--gateway-key", default="gw-test-key")
    parser.add_argument("--gateway-task-s", type=float, default=0.2)
    parser.add_argument("--gateway-wrap", action="store_true")
    parser.add_argument("--gateway-result-shape", default="url_string",
                        choices=["url_string", "url_list", "b64"])  # fmt: skip
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    emu = Emulator(
        host=args.host, port=args.port, latency_s=args.latency,
        rate_limit_per_minute=args.rate_limit, api_key=args.api_key,
        gateway_key=args.gateway_key, gateway_task_s=args.gateway_task_s,
        gateway_wrap=args.gateway_wrap, gateway_result_shape=args.gateway_result_shape,
        verbose=args.verbose,
    )  # fmt: skip
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # explicit: a backgrounded shell job ignores INT
        signal.signal(sig, lambda *_: stop.set())
    with emu:
        print(f"OPENAI_BASE_URL={emu.base_url}", flush=True)
        print(f"OPENAI_API_KEY={emu.api_key}", flush=True)
        print(f"gateway: {emu.gateway_url} (key {emu.gateway_key})", flush=True)
        while not stop.wait(0.5):
            pass
        errors = len(emu.schema_errors)
        print(f"served {len(emu.requests)} requests, {errors} schema errors", flush=True)
        for err in emu.schema_errors[:20]:
            print(f"  {err}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
