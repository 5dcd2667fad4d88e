"""The OpenAI Files and Batch APIs, through the one HTTP boundary (`routes.http`).

Shapes from the official OpenAPI: `POST /files` (multipart `file` + `purpose`,
`CreateFileRequest`), `GET /files/{id}/content`, `POST /batches` (`CreateBatchRequest`:
`input_file_id`, `endpoint`, `completion_window: 24h`, `metadata`), `GET /batches/{id}`,
`POST /batches/{id}/cancel`, `GET /batches?after=&limit=` (`ListBatchesResponse`).
Every id a server or a state file gives is checked before it goes into a URL path.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

import httpx

from assetgen.core.api_ids import is_api_id
from assetgen.errors import PermanentError
from assetgen.routes.http import (
    json_body,
    raise_for_status,
    send,
    transport_errors,
)
from assetgen.routes.openai_config import OpenAIConfig
from assetgen.routes.url_policy import redirect_refusal

ROUTE = "images.batch"
# CreateBatchRequest.input_file_id: "up to 50,000 requests, and can be up to 200 MB".
MAX_LINES = 50_000
MAX_FILE_BYTES = 200 * 1024 * 1024
# An output file holds every image of its batch as base64: bounded, but large.
MAX_OUTPUT_BYTES = 8 * 1024 * 1024 * 1024
LIST_PAGE = 100
LIST_MAX_PAGES = 20
TIMEOUT_S = 300.0


class BatchClient:
    def __init__(self, client: httpx.AsyncClient, config: OpenAIConfig) -> None:
        self.client = client
        self.config = config

    async def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await send(self.client, method, self.config.url(path), route=ROUTE,
                              headers=self.config.headers(), timeout=TIMEOUT_S, **kwargs)
        return json_body(response, ROUTE)

    async def upload(self, filename: str, data: bytes, *, purpose: str,
                     mime: str = "application/jsonl") -> str:
        """Upload a file; its id."""
        body = await self._json("POST", "files", data={"purpose": purpose},
                                files={"file": (filename, data, mime)})
        return checked_id(body.get("id"), "uploaded file")

    async def create(self, input_file_id: str, endpoint: str,
                     metadata: dict[str, str]) -> dict[str, Any]:
        return await self._json("POST", "batches", json={
            "input_file_id": input_file_id, "endpoint": endpoint,
            "completion_window": "24h", "metadata": metadata})

    async def retrieve(self, batch_id: str) -> dict[str, Any]:
        return await self._json("GET", f"batches/{checked_id(batch_id, 'batch')}")

    async def cancel(self, batch_id: str) -> dict[str, Any]:
        return await self._json("POST", f"batches/{checked_id(batch_id, 'batch')}/cancel")

    async def list_recent(self) -> list[dict[str, Any]]:
        """The account's batches, newest first, at most LIST_MAX_PAGES pages."""
        found: list[dict[str, Any]] = []
        after: str | None = None
        for _ in range(LIST_MAX_PAGES):
            params: dict[str, Any] = {"limit": LIST_PAGE}
            if after:
                params["after"] = after
            body = await self._json("GET", "batches", params=params)
            page = [item for item in body.get("data") or [] if isinstance(item, dict)]
            found.extend(page)
            if body.get("has_more") is not True or not page:
                break
            after = checked_id(page[-1].get("id"), "batch")
        return found

    async def download(self, file_id: str) -> IO[bytes]:
        """A file's content, streamed to an anonymous temp file (an output file holds every
        image of the batch: never all in memory), rewound for reading."""
        url = self.config.url(f"files/{checked_id(file_id, 'file')}/content")
        sink = tempfile.TemporaryFile()  # noqa: SIM115 - returned open to the caller
        try:
            with transport_errors(ROUTE, "downloading a batch file"):
                async with self.client.stream("GET", url, headers=self.config.headers(),
                                              timeout=TIMEOUT_S) as response:
                    refused = redirect_refusal(response, ROUTE)
                    if refused is not None:
                        raise refused
                    if response.status_code >= 400:
                        await response.aread()
                        raise_for_status(response, ROUTE)
                    total = 0
                    async for chunk in response.aiter_bytes():
                        total += len(chunk)
                        if total > MAX_OUTPUT_BYTES:
                            raise PermanentError(
                                f"batch file {file_id} is larger than "
                                f"{MAX_OUTPUT_BYTES:,} bytes", route=ROUTE,
                                code="file_too_large")
                        sink.write(chunk)
        except BaseException:
            sink.close()
            raise
        sink.seek(0)
        return sink


def checked_id(value: Any, what: str) -> str:
    if not is_api_id(value):
        raise PermanentError(f"the server gave a {what} id that is not an id", route=ROUTE,
                             code="bad_id")
    return str(value)


def jsonl_lines(handle: IO[bytes], limit: int = 64 * 1024 * 1024) -> Iterator[bytes]:
    """The lines of a downloaded JSONL file; a line longer than ``limit`` is skipped."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit:
            while line and not line.endswith(b"\n"):  # skip the rest of the oversized line
                line = handle.readline(limit + 1)
            continue
        if line.strip():
            yield line
