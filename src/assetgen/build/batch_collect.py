"""Collect finished batches: every answered line becomes a master in the masters cache.

Lines are matched by `custom_id` against the submission record (never by the order of the
output file, which the API does not guarantee), so a line the record does not name is
ignored. A good answer is checked (decodes as an image header, has the size asked) and
kept under the generation hash it was asked for; the build then publishes it through the
normal commit path, or — if the asset's spec changed meanwhile — it stays in the cache.
Error-file lines, bad answers and lines an expired or cancelled batch never ran fail
their own assets only. Collecting twice writes the same masters again: idempotent.
"""

from __future__ import annotations

import asyncio
import json
from typing import IO, Any

from assetgen.build.masters import MastersCache
from assetgen.build.submissions import (
    COLLECTED,
    FINAL_STATUSES,
    Line,
    LineResult,
    Submission,
    SubmissionStore,
    now_iso,
)
from assetgen.core.secrets import scrub_api_message
from assetgen.errors import ImageError, PermanentError
from assetgen.images import codec as imaging
from assetgen.images import cost, sizes
from assetgen.images import models as image_models
from assetgen.routes.batches import BatchClient, jsonl_lines
from assetgen.routes.http import clean_id, clean_text, clean_usage
from assetgen.routes.openai_config import decode_b64_image

# What a line that never ran fails with, by the batch's final status (the API's own
# `batch_expired` code for expiry, per the Batch guide).
UNRUN_CODES = {"expired": "batch_expired", "cancelled": "batch_cancelled",
               "failed": "batch_failed", "completed": "missing_from_output"}


async def collect(client: BatchClient, store: SubmissionStore, masters: MastersCache,
                  submission: Submission, base_url: str) -> bool:
    """Collect one batch if it is final; True when the record is (now) collected."""
    if submission.status == COLLECTED:
        return True
    if not submission.batch_id:
        return False
    batch = await client.retrieve(submission.batch_id)
    status = batch.get("status")
    if status not in FINAL_STATUSES:
        submission.batch_status = status if isinstance(status, str) else None
        return False
    results: dict[str, LineResult] = {}
    for key in ("output_file_id", "error_file_id"):
        file_id = batch.get(key)
        if file_id:
            handle = await client.download(file_id)
            with handle:
                await asyncio.to_thread(_read_file, handle, submission, masters, results,
                                        base_url)
    unrun = UNRUN_CODES[str(status)]
    detail = _batch_error(batch) or f"the batch ended `{status}` before this request ran"
    for line in submission.lines:
        results.setdefault(line.custom_id, LineResult(ok=False, code=unrun, message=detail))
    submission.results = results
    submission.batch_status = str(status)
    submission.status = COLLECTED
    store.save(submission)
    return True


def _read_file(handle: IO[bytes], submission: Submission, masters: MastersCache,
               results: dict[str, LineResult], base_url: str) -> None:
    lines = submission.by_custom_id
    for raw in jsonl_lines(handle):
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(entry, dict):
            continue
        custom_id = entry.get("custom_id")
        if not isinstance(custom_id, str) or custom_id not in lines:
            continue  # not one of ours: never trusted, never matched by position
        if results.get(custom_id) is not None and results[custom_id].ok:
            continue
        results[custom_id] = _result(entry, lines[custom_id], submission, masters, base_url)


def _result(entry: dict[str, Any], line: Line, submission: Submission, masters: MastersCache,
            base_url: str) -> LineResult:
    response = _object(entry.get("response"))
    request_id = clean_id(response.get("request_id"))
    body = _object(response.get("body"))
    if response.get("status_code") != 200:
        error = _object(entry.get("error")) or _object(body.get("error"))
        code = error.get("code") if isinstance(error.get("code"), str) else None
        message = error.get("message") if isinstance(error.get("message"), str) else None
        status = response.get("status_code")
        return LineResult(ok=False, code=code or (f"http_{status}" if status else "failed"),
                          message=scrub_api_message(message or "the request failed")[:500],
                          request_id=request_id)
    route = "images.edit" if submission.endpoint.endswith("/edits") else "images.generate"
    try:
        dropped_usage = _keep(body, line, submission, masters, route, request_id, base_url)
    except PermanentError as exc:
        return LineResult(ok=False, code=exc.code, message=exc.message, request_id=request_id)
    except ImageError as exc:
        return LineResult(ok=False, code="bad_image",
                          message=f"the returned image does not decode ({exc.message})",
                          request_id=request_id)
    if dropped_usage is not None:
        # SPEC 10, as for a synchronous answer: a bad usage block fails its asset; the image
        # was paid for and is in the masters cache, so the next build publishes it for $0.
        return LineResult(ok=False, code="malformed_usage",
                          message=f"the answer's {dropped_usage}; its image is kept in the "
                                  "masters cache: run `assetgen build` again to publish it "
                                  "without paying again", request_id=request_id)
    return LineResult(ok=True, request_id=request_id)


def _keep(body: dict[str, Any], line: Line, submission: Submission, masters: MastersCache,
          route: str, request_id: str | None, base_url: str) -> str | None:
    """Check the answer and put its image in the masters cache; the note saying its usage
    block was dropped as malformed, if it was."""
    data = body.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise PermanentError("the answer has no `data` image", route=route, code="no_image",
                             request_id=request_id)
    image = decode_b64_image(data[0].get("b64_json"), route=route, request_id=request_id)
    info = imaging.header(image)
    asked = sizes.parse_size(line.size) if line.size != "auto" else None
    if asked and (info.width, info.height) != asked:
        raise PermanentError(f"the returned image is {info.width}x{info.height}, but "
                             f"{line.size} was asked", route=route, code="wrong_size",
                             request_id=request_id)
    notes: list[str] = []
    usage = clean_usage(body.get("usage"), notes)
    actual = cost.usd_from_usage(usage, submission.model, image_models.BATCH_TIER)
    revised = clean_text(data[0].get("revised_prompt"), notes, field="revised_prompt")
    extra: dict[str, Any] = {"base_url": base_url, "batch_id": submission.batch_id,
                             "tier": image_models.BATCH_TIER}
    if notes:
        extra["answer_notes"] = notes
    meta = {
        "route": route, "model": submission.model, "billing": "openai-api",
        "request_id": request_id, "response_id": None,
        "revised_prompt": revised, "usage": usage,
        "cost_usd": actual, "cost_basis": "usage" if actual is not None else None,
        "extra": extra,
        "width": info.width, "height": info.height, "format": info.format,
        "created_at": now_iso(),
    }
    masters.put(line.generation_hash, image, info.format, meta)
    return next((note for note in notes if note.startswith("usage dropped")), None)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _batch_error(batch: dict[str, Any]) -> str | None:
    errors = batch.get("errors")
    data = errors.get("data") if isinstance(errors, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        message = data[0].get("message")
        if isinstance(message, str):
            return scrub_api_message(message)[:300]
    return None
