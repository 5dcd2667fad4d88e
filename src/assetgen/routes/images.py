"""The OpenAI Images API: `POST /images/generations` (JSON) and `/images/edits` (multipart)."""

from __future__ import annotations

from typing import Any

from assetgen.errors import PermanentError
from assetgen.images import cost
from assetgen.images import models as image_models
from assetgen.routes import uploads
from assetgen.routes.base import ImageJob, RouteContext, RouteResult
from assetgen.routes.http import clean_text, clean_usage, exchange
from assetgen.routes.openai_config import OpenAIRoute, decode_b64_image_off_loop
from assetgen.routes.registry import route_info


class ImagesRoute(OpenAIRoute):
    name = "images"
    billing = route_info(name).billing
    exact_size = route_info(name).exact_size

    async def run(self, job: ImageJob) -> RouteResult:
        route = "images.edit" if job.is_edit else "images.generate"
        if job.is_edit:
            answer = await exchange(self.client, "POST", self.config.url("images/edits"),
                                    route=route, timeout_s=self.timeout_s,
                                    headers=self.config.headers(),
                                    data=edit_fields(job), files=edit_files(job, route))
        else:
            answer = await exchange(self.client, "POST",
                                    self.config.url("images/generations"),
                                    route=route, timeout_s=self.timeout_s,
                                    headers=self.config.headers(), json=generation_body(job))
        request_id = answer.request_id
        body = await answer.json(route)
        del answer  # the raw body: its image is decoded below
        data = body.get("data")
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise PermanentError("the response has no `data` image", route=route,
                                 code="no_image", request_id=request_id)
        image = await decode_b64_image_off_loop(data[0].pop("b64_json", None), route=route,
                                                request_id=request_id)
        notes: list[str] = []
        usage = clean_usage(body.get("usage"), notes)
        actual = cost.usd_from_usage(usage, job.model)
        extra: dict[str, Any] = {"base_url": self.config.base_url}
        revised = clean_text(data[0].get("revised_prompt"), notes, field="revised_prompt")
        if notes:
            extra["answer_notes"] = notes
        return RouteResult(
            image=image, route=route, model=job.model, billing=self.billing,
            request_id=request_id, revised_prompt=revised, usage=usage,
            cost_usd=actual, cost_basis="usage" if actual is not None else None,
            extra=extra,
        )


def generation_body(job: ImageJob) -> dict[str, Any]:
    """A `CreateImageRequest`."""
    body: dict[str, Any] = {
        "model": job.model,
        "prompt": job.prompt,
        "n": 1,
        "size": job.size,
        "quality": job.quality,
        "output_format": job.output_format,
    }
    if job.background:
        body["background"] = job.background
    return body


def edit_fields(job: ImageJob) -> dict[str, str]:
    """The non-file fields of a `CreateImageEditRequest`, as multipart form values."""
    fields = {key: str(value) for key, value in generation_body(job).items()}
    # Only for models that take it: gpt-image-2 answers 400 invalid_input_fidelity_model
    # (vulca-org/vulca-visual-control-sdk#12); the manifest refuses it first (image_models).
    if image_models.takes_fidelity(job.model, job.fidelity):
        fields["input_fidelity"] = str(job.fidelity)
    return fields


def edit_files(job: ImageJob, route: str = "images.edit"
               ) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The file parts: one input as `image`, several as repeated `image[]` (what the
    official SDK sends, and the OpenAPI's field name), then the optional `mask`."""
    field = "image" if len(job.inputs) == 1 else "image[]"
    files = []
    for item in job.inputs:
        upload = uploads.input_upload(item, route)
        files.append((field, (upload.filename, upload.data, upload.mime)))
    if job.mask is not None:
        mask = uploads.mask_upload(job.mask, route)
        files.append(("mask", (mask.filename, mask.data, mask.mime)))
    return files


def create(context: RouteContext) -> ImagesRoute:
    return ImagesRoute(context)
