"""A hostile API on 127.0.0.1 that echoes what it was sent back into its answers.

Every request gets the same error answer: the bearer token the client sent, echoed
verbatim and URL-encoded in the error message and in the `x-request-id`,
`openai-organization` and `openai-project` headers (as a careless or malicious server
would), plus any extra text (escape sequences, say) appended to the message.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote


class EchoServer:
    def __init__(self, *, status: int = 401, message_suffix: str = "",
                 code: str = "invalid_api_key") -> None:
        self.status = status
        self.message_suffix = message_suffix
        self.code = code
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                server.paths.append(self.path)
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                message = (f"Incorrect API key provided: {token} ({quote(token, safe='')})."
                           + server.message_suffix)
                body = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                             "param": None, "code": server.code}}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for header in ("x-request-id", "openai-organization", "openai-project"):
                    self.send_header(header, f"req-{token}")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
