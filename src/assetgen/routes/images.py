"""The OpenAI Images API: `POST /images/generations` (JSON) and `/images/edits` (multipart)."""

from __future__ import annotations

from typing import Any

from assetgen.build import cost
from assetgen.errors import PermanentError
from assetgen.images import models as image_models
from assetgen.routes import ImageJob, RouteContext, RouteResult, uploads
from assetgen.routes.http import json_body_off_loop, request_id_of, send
from assetgen.routes.openai_config import OpenAIRoute, decode_b64_image_off_loop


class ImagesRoute(OpenAIRoute):
    name = "images"

    async def run(self, job: ImageJob) -> RouteResult:
        client = self.client
        route = "images.edit" if job.is_edit else "images.generate"
        if job.is_edit:
            response = await send(client, "POST", self.config.url("images/edits"),
                                  route=route, headers=self.config.headers(),
                                  data=edit_fields(job), files=edit_files(job, route),
                                  timeout=self.timeout_s)
        else:
            response = await send(client, "POST", self.config.url("images/generations"),
                                  route=route, headers=self.config.headers(),
                                  json=generation_body(job), timeout=self.timeout_s)
        request_id = request_id_of(response)
        body = await json_body_off_loop(response, route)
        data = body.get("data")
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise PermanentError("the response has no `data` image", route=route,
                                 code="no_image", request_id=request_id)
        image = await decode_b64_image_off_loop(data[0].get("b64_json"), route=route,
                                                request_id=request_id)
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
        actual = cost.usd_from_usage(usage, job.model)
        return RouteResult(
            image=image, route=route, model=job.model, billing=self.billing,
            request_id=request_id, revised_prompt=data[0].get("revised_prompt"), usage=usage,
            cost_usd=actual, cost_basis="usage" if actual is not None else None,
            extra={"base_url": self.config.base_url},
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
