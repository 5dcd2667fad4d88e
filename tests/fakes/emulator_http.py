"""HTTP plumbing of the emulator: the threaded server, its handler and one exchange."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator, RecordedRequest


class Exchange:
    """One HTTP request/response on the wire, with recording."""

    def __init__(self, emu: Emulator, handler: Handler, record: RecordedRequest, body: bytes):
        self.emu = emu
        self.handler = handler
        self.record = record
        self.body = body
        self.done = False
        self.dialect = "gateway" if record.path.startswith("/gateway/") else "openai"

    @property
    def path(self) -> str:
        return self.record.path

    def header(self, name: str) -> str | None:
        return self.record.headers.get(name.lower())

    def _headers(
        self, status: int, content_type: str, length: int, extra: dict[str, str] | None
    ) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(length))
        h.send_header("x-request-id", self.record.request_id)
        for key, value in (extra or {}).items():
            h.send_header(key, value)
        h.end_headers()

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._headers(status, content_type, len(body), headers)
        if self.handler.command != "HEAD":
            self.handler.wfile.write(body)
        self.record.status = status
        self.done = True

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(payload).encode("utf-8"), headers=headers)

    def send_error(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if self.dialect == "gateway":  # provider style: {"code": <http status>, "msg": ...}
            payload: dict[str, Any] = {"code": status, "msg": message, "data": None}
            if code:
                payload["error_code"] = code
            self.send_json(status, payload, headers)
            return
        error = {"message": message, "type": type_, "param": param, "code": code}
        self.send_json(status, {"error": error}, headers)

    def send_truncated(self, payload: Any) -> None:
        full = json.dumps(payload).encode("utf-8")
        self.send_bytes(200, full[: max(1, len(full) // 2)])

    def reset_mid_body(self, payload: Any) -> None:
        full = json.dumps(payload).encode("utf-8")
        self._headers(200, "application/json", len(full), None)
        self.handler.wfile.write(full[: max(1, len(full) // 3)])
        self.handler.wfile.flush()
        self.record.status = 200
        self.drop()

    def drop(self) -> None:
        """Close the connection without (the rest of) a response."""
        if self.record.status is None:
            self.record.status = 0
        self.done = True
        self.handler.close_connection = True
        with contextlib.suppress(OSError):
            self.handler.wfile.flush()
            self.handler.connection.shutdown(socket.SHUT_RDWR)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # bursts of concurrent clients must not hit SYN retries
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], emu: Emulator):
        self.emu = emu
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(addr, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (a size cap, a deadline, an interrupt) is what
        # the product is meant to do; socketserver's default prints a traceback to stderr,
        # which the in-process CLI tests capture as if the product had printed it.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "assetgen-emulator/1"
    timeout = 120  # idle keep-alive connections
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.emu.verbose:
            sys.stderr.write("emulator: " + (format % args) + "\n")

    def do_GET(self) -> None:
        self.server.emu._dispatch(self)

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET
