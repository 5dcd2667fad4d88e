"""A hostile HTTP server on 127.0.0.1: each mode is one malformed or abusive answer.

    with Hostile("gzip_lie") as server:   # base_url / gateway_url like the emulator's
        ...

It speaks just enough of three dialects for `assetgen build` to run against it: the
Images API (`POST /v1/images/generations`), the Responses API (`POST /v1/responses`) and
a gateway whose tasks complete at once with a result URL on this server. Only requests
whose prompt contains ``target`` (default "HOSTILE") get the hostile answer; every other
asset gets a valid, paid-looking one, so a test can check that siblings are kept.

Large answers (a 2 GB gzip bomb, 500 MB of base64, a 9400x9400 PNG) are generated in
pieces, so the server itself stays small; the benchmark bench/hostile_memory.py uses
the same modes. The server only ever binds 127.0.0.1.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image

# Answers to the image request of the Images or Responses API.
API_MODES = (
    "usage_string", "usage_nan", "usage_inf", "usage_negative", "usage_digits",
    "usage_huge", "deep_nesting", "gzip_lie", "gzip_bomb", "redirect_loop",
    "redirect_offsite", "bad_base64", "not_image", "huge_base64", "trickle",
    "huge_revised_prompt", "long_request_id", "big_pixels",
)  # fmt: skip
# Answers to the download of a gateway task's result URL (the task itself is valid).
DOWNLOAD_MODES = ("gzip_bomb", "gzip_lie", "trickle", "redirect_loop", "big_pixels",
                  "not_image")
# Answers of the gateway task itself.
TASK_MODES = ("huge_cost", "deep_nesting", "long_task_fields")

GZIP_BOMB_BYTES = 2 * 1024**3  # what the bomb inflates to (the bench); tests pass less
HUGE_BASE64_BYTES = 500 * 1024**2
BIG_PIXELS = {"api": (4000, 4000), "gateway": (9400, 9400)}


@functools.cache
def valid_png(width: int = 1024, height: int = 1024) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def big_png(width: int, height: int) -> bytes:
    """A valid grey PNG of width x height, compressed row by row (never held as pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x80" * width  # filter byte + one grey row
    parts = [compressor.compress(row) for _ in range(height)]
    idat = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


@functools.cache
def gzip_bomb(inflated: int) -> bytes:
    """A gzip stream of ``inflated`` zero bytes (2 GB -> ~2 MB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(inflated // len(block))]
    return b"".join(parts) + compressor.flush()


class Hostile:
    """The server; a context manager. ``requests`` lists (method, path, authorization)."""

    def __init__(self, mode: str, *, target: str = "HOSTILE",
                 gzip_bomb_bytes: int = GZIP_BOMB_BYTES,
                 huge_base64_bytes: int = HUGE_BASE64_BYTES) -> None:
        self.mode = mode
        self.target = target
        self.gzip_bomb_bytes = gzip_bomb_bytes
        self.huge_base64_bytes = huge_base64_bytes
        self.requests: list[tuple[str, str, str | None]] = []
        self.hostile_tasks: set[str] = set()
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/gateway/v1"

    def __enter__(self) -> Hostile:
        if self.mode == "gzip_bomb":  # made before serving: compressing takes seconds
            gzip_bomb(self.gzip_bomb_bytes)
        elif self.mode == "big_pixels":
            big_png(*BIG_PIXELS["api"]), big_png(*BIG_PIXELS["gateway"])
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], hostile: Hostile) -> None:
        self.hostile = hostile
        super().__init__(addr, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up on a hostile answer is the point, not an error


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing ------------------------------------------------------------------------

    def send(self, status: int, body: bytes, *, content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        headers = {"x-request-id": "req_hostile_1", **(headers or {})}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, payload: Any, **kwargs: Any) -> None:
        self.send(200, json.dumps(payload).encode(), **kwargs)

    def stream(self, pieces: Any, length: int | None, *,
               content_type: str = "application/json",
               headers: dict[str, str] | None = None) -> None:
        """Send ``length`` bytes (None: undeclared, until the connection closes) from an
        iterator of pieces; stop when the client leaves."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if length is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            for piece in pieces:
                self.wfile.write(piece)
        except OSError:
            self.close_connection = True

    def do_GET(self) -> None:
        self.dispatch(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.dispatch(self.rfile.read(length))

    def dispatch(self, raw: bytes) -> None:
        hostile = self.server.hostile
        with hostile.lock:
            hostile.requests.append((self.command, self.path,
                                     self.headers.get("authorization")))
        body = json.loads(raw) if raw else {}
        if self.path in ("/v1/images/generations", "/v1/responses"):
            prompt = body.get("prompt") if "prompt" in body else \
                body["input"][0]["content"][0]["text"]
            responses = self.path == "/v1/responses"
            if hostile.target in prompt:
                self.hostile_answer(hostile, responses)
            else:
                self.send_json(api_answer(base64.b64encode(valid_png()).decode(), responses))
        elif self.path == "/gateway/v1/images/generations":
            self.gateway_task(hostile, hostile.target in body.get("prompt", ""))
        elif self.path.startswith("/gateway/files/"):
            name = self.path.rsplit("/", 1)[1]
            if name.removesuffix(".png") in hostile.hostile_tasks:
                self.hostile_download(hostile)
            else:
                self.send(200, valid_png(), content_type="image/png")
        else:
            self.send(404, b'{"error": {"message": "no such path"}}')

    # -- the Images and Responses APIs ---------------------------------------------------

    def hostile_answer(self, hostile: Hostile, responses: bool) -> None:
        mode = hostile.mode
        b64 = base64.b64encode(valid_png()).decode()
        usage_literal = {
            "usage_string": '"1756"', "usage_nan": "NaN", "usage_inf": "1e999",
            "usage_negative": "-5", "usage_digits": "9" * 400, "usage_huge": str(10**40),
        }
        if mode in usage_literal:
            answer = api_answer(b64, responses)
            text = json.dumps(answer).replace('"output_tokens": 196',
                                              f'"output_tokens": {usage_literal[mode]}')
            self.send(200, text.encode())
        elif mode == "deep_nesting":
            self.send(200, b"[" * 200_000)
        elif mode == "gzip_lie":
            self.send(200, json.dumps(api_answer(b64, responses)).encode(),
                      headers={"Content-Encoding": "gzip"})
        elif mode == "gzip_bomb":
            bomb = gzip_bomb(hostile.gzip_bomb_bytes)
            self.send(200, bomb, headers={"Content-Encoding": "gzip"})
        elif mode in ("redirect_loop", "redirect_offsite"):
            where = self.path if mode == "redirect_loop" else \
                f"http://localhost:{hostile.port}/elsewhere{self.path}"
            self.send(307, b"", headers={"Location": where})
        elif mode == "bad_base64":
            self.send_json(api_answer("!!! not base64 !!!", responses))
        elif mode == "not_image":
            self.send_json(api_answer(base64.b64encode(b"<html>hi</html>" * 50).decode(),
                                      responses))
        elif mode == "huge_base64":
            self.huge_base64(hostile.huge_base64_bytes, responses)
        elif mode == "trickle":
            payload = json.dumps(api_answer(b64, responses)).encode()
            self.stream(_trickle(payload), len(payload))
        elif mode == "huge_revised_prompt":
            answer = api_answer(b64, responses, revised_prompt="r" * 5_000_000)
            self.send_json(answer)
        elif mode == "long_request_id":
            self.send_json(api_answer(b64, responses),
                           headers={"x-request-id": "req_" + "\x1b[2J;$(id)" * 1000})
        elif mode == "big_pixels":
            png = big_png(*BIG_PIXELS["api"])
            self.send_json(api_answer(base64.b64encode(png).decode(), responses))
        else:
            raise ValueError(f"unknown mode {mode}")

    def huge_base64(self, size: int, responses: bool) -> None:
        """`{"data": [{"b64_json": "AAAA...` of ``size`` base64 characters, streamed with
        no Content-Length (so only counting the bytes as they come can stop it)."""
        head, tail = json.dumps(api_answer("@@", responses)).encode().split(b"@@")
        block = b"A" * (1024 * 1024)
        count = size // len(block)
        pieces = [head, *(block for _ in range(count)), tail]
        self.stream(iter(pieces), None)

    # -- the gateway ---------------------------------------------------------------------

    def gateway_task(self, hostile: Hostile, targeted: bool) -> None:
        with hostile.lock:
            task_id = f"t{len(hostile.requests)}"
            if targeted:
                hostile.hostile_tasks.add(task_id)
        task: dict[str, Any] = {"id": task_id, "status": "completed",
                                "result": {"images": [{"url": f"/gateway/files/{task_id}.png"}]}}
        if targeted and hostile.mode == "huge_cost":
            task["cost_usd"] = 1e300
        elif targeted and hostile.mode == "long_task_fields":
            task["id"] = task_id + "x" * 100_000
        elif targeted and hostile.mode == "deep_nesting":
            self.send(200, b"[" * 200_000)
            return
        else:
            task["cost_usd"] = 0.04
        self.send_json(task)

    def hostile_download(self, hostile: Hostile) -> None:
        mode = hostile.mode
        png = valid_png()
        if mode == "gzip_bomb":
            bomb = gzip_bomb(hostile.gzip_bomb_bytes)
            self.send(200, bomb, content_type="image/png", headers={"Content-Encoding": "gzip"})
        elif mode == "gzip_lie":
            self.send(200, png, content_type="image/png", headers={"Content-Encoding": "gzip"})
        elif mode == "trickle":
            self.stream(_trickle(png), len(png), content_type="image/png")
        elif mode == "redirect_loop":
            self.send(302, b"", headers={"Location": self.path})
        elif mode == "big_pixels":
            self.send(200, big_png(*BIG_PIXELS["gateway"]), content_type="image/png")
        elif mode == "not_image":
            self.send(200, b"<html>not an image</html>", content_type="text/html")
        else:
            self.send(200, png, content_type="image/png")


def api_answer(b64: str, responses: bool, *, revised_prompt: str | None = None) -> dict:
    """A valid answer of the Images API (or, with ``responses``, the Responses API)."""
    if responses:
        call: dict[str, Any] = {"type": "image_generation_call", "id": "ig_1",
                                "status": "completed", "result": b64}
        if revised_prompt is not None:
            call["revised_prompt"] = revised_prompt
        return {"id": "resp_1", "object": "response", "status": "completed",
                "output": [call], "usage": {"input_tokens": 50, "output_tokens": 196,
                                            "total_tokens": 246}}
    image: dict[str, Any] = {"b64_json": b64}
    if revised_prompt is not None:
        image["revised_prompt"] = revised_prompt
    return {"created": 1, "data": [image],
            "usage": {"input_tokens": 50, "output_tokens": 196, "total_tokens": 246,
                      "input_tokens_details": {"text_tokens": 50, "image_tokens": 0}}}


def _trickle(payload: bytes, delay_s: float = 1.0) -> Any:
    """The body one byte a second: each read is quick, the whole never comes."""
    for index in range(len(payload)):
        yield payload[index:index + 1]
        time.sleep(delay_s)
