"""One Batch API input line per images-route job (SPEC 9).

A line is `{"custom_id", "method": "POST", "url": <endpoint>, "body": {...}}`; `url`
equals the batch's `endpoint` (official batch request-input format). Generations send the
same `CreateImageRequest` as the synchronous route. Edits cannot be multipart in a JSONL
file, so they are `EditImageBodyJsonParam` bodies: `images` (1-16 `ImageRefParam`, each
exactly one of `image_url` — a data URL of at most 20,971,520 characters — or `file_id`)
and an optional `mask` likewise. That schema lists only auto/1024x1024/1536x1024/1024x1536
for `size`; whether other sizes pass is undocumented, so an edit asks the standard size of
the closest shape and the build fits the answer locally (as the codex route does).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from assetgen.images import models as image_models
from assetgen.routes import uploads
from assetgen.routes.base import ImageJob, InputImage
from assetgen.routes.images import generation_body

GENERATIONS = "/v1/images/generations"
EDITS = "/v1/images/edits"
# ImageRefParam.image_url maxLength.
MAX_DATA_URL_CHARS = 20_971_520


def endpoint_for(job: ImageJob) -> str:
    return EDITS if job.is_edit else GENERATIONS


def edit_size(job: ImageJob) -> str:
    """The size a JSON edit asks: the job's when the schema lists it, else the standard
    size closest in shape (the engine fits the answer to the asked size afterwards)."""
    if job.size in ("auto", *image_models.STANDARD_SIZES):
        return job.size
    width, _, height = job.size.partition("x")
    row = image_models.lookup(job.model) or image_models.MODELS["gpt-image-1.5"]
    fixed = image_models.ImageModel(name=row.name, flexible_sizes=False, input_fidelities=(),
                                    transparency=row.transparency, prices=row.prices)
    w, h = fixed.generation_size_for(int(width), int(height))
    return f"{w}x{h}"


def upload_of(item: InputImage, *, mask: bool = False) -> uploads.Upload:
    """The input as the API reads it (converted, size-checked), as the sync route sends it."""
    route = "images.edit"
    return uploads.mask_upload(item, route) if mask else uploads.input_upload(item, route)


def data_url(item: InputImage, *, mask: bool = False) -> str:
    upload = upload_of(item, mask=mask)
    return f"data:{upload.mime};base64," + base64.b64encode(upload.data).decode("ascii")


def line_for(job: ImageJob, custom_id: str,
             file_ids: Mapping[str, str] | None = None) -> tuple[dict[str, Any], str]:
    """The JSONL line (as a dict) and the size it asks. ``file_ids``: input sha256 →
    uploaded file id, for inputs sent by reference instead of as data URLs."""
    if not job.is_edit:
        body = generation_body(job)
        return _line(custom_id, GENERATIONS, body), job.size
    file_ids = file_ids or {}
    size = edit_size(job)
    body = {**generation_body(job), "size": size}
    body["images"] = [_ref(item, file_ids, mask=False) for item in job.inputs]
    if job.mask is not None:
        body["mask"] = _ref(job.mask, file_ids, mask=True)
    if image_models.takes_fidelity(job.model, job.fidelity):
        body["input_fidelity"] = job.fidelity
    return _line(custom_id, EDITS, body), size


def encoded(line: dict[str, Any]) -> bytes:
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def needs_file(item: InputImage) -> bool:
    """Whether a data URL of this input would pass the `image_url` limit (base64 is 4/3)."""
    return (len(item.data) + 2) // 3 * 4 + 40 > MAX_DATA_URL_CHARS


def _ref(item: InputImage, file_ids: Mapping[str, str], *, mask: bool) -> dict[str, str]:
    if item.sha256 in file_ids:
        return {"file_id": file_ids[item.sha256]}
    return {"image_url": data_url(item, mask=mask)}


def _line(custom_id: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}
