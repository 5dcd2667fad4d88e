"""The OpenAI Responses API: a text model that calls the `image_generation` tool.

    POST {base}/responses
    {"model": "gpt-5.5",                               # routes.responses.model (text)
     "instructions": "...call the tool with the prompt as given...",
     "input": [{"type": "message", "role": "user", "content": [
         {"type": "input_text", "text": "<prompt>"},
         {"type": "input_image", "image_url": "data:image/png;base64,...", "detail": "auto"}]}],
     "tools": [{"type": "image_generation", "model": "gpt-image-2", "size": "1536x1024",
                "quality": "high", "output_format": "webp", "action": "edit",
                "input_image_mask": {"image_url": "data:..."}}],
     "tool_choice": {"type": "image_generation"}}

The image is the `result` (base64) of the `image_generation_call` output item.

Cost: the Response's `usage` counts the top-level (text) model's tokens, not
the image tool's, so it is recorded as `usage` but cannot price the image. The
image is priced with its model's official token prices for its size, quality,
prompt and inputs (`cost_basis: "estimate"`), the same estimate `plan` shows;
the top-level model's tokens are not priced (assetgen knows no price for it).
"""

from __future__ import annotations

import base64
from typing import Any

from assetgen.errors import PermanentError
from assetgen.images import cost
from assetgen.images import models as image_models
from assetgen.routes import uploads
from assetgen.routes.base import ImageJob, InputImage, RouteContext, RouteResult
from assetgen.routes.http import clean_id, clean_text, clean_usage, exchange
from assetgen.routes.openai_config import OpenAIRoute, decode_b64_image_off_loop
from assetgen.routes.registry import responses_model, route_info

ROUTE = "responses"
QUOTE_CHARS = 300
INSTRUCTIONS = (
    "You make exactly one image with the image_generation tool. Call the tool once, "
    "passing the user's prompt as given: do not shorten, rewrite or add to it, and do not "
    "ask questions."
)


class ResponsesRoute(OpenAIRoute):
    name = "responses"
    billing = route_info(name).billing
    exact_size = route_info(name).exact_size

    def __init__(self, context: RouteContext) -> None:
        super().__init__(context)
        self.responses_model = responses_model(self.settings)  # what the spec hash records

    async def run(self, job: ImageJob) -> RouteResult:
        body = request_body(job, self.responses_model)
        answer = await exchange(self.client, "POST", self.config.url("responses"),
                                route=ROUTE, timeout_s=self.timeout_s,
                                headers=self.config.headers(), json=body)
        request_id = answer.request_id
        payload = await answer.json(ROUTE)
        del answer  # the raw body: its image is decoded below
        call = image_call(payload, request_id)
        image = await decode_b64_image_off_loop(call.pop("result"), route=ROUTE,
                                                request_id=request_id)
        notes: list[str] = []
        usage = clean_usage(payload.get("usage"), notes)
        estimate = cost.estimate_usd(
            size=job.size, quality=job.quality, prompt=job.prompt,
            input_sizes=tuple((i.width, i.height) for i in job.inputs), fidelity=job.fidelity,
            model=job.model)
        revised = clean_text(call.get("revised_prompt"), notes, field="revised_prompt")
        extra: dict[str, Any] = {"base_url": self.config.base_url,
                                 "responses_model": self.responses_model}
        if notes:
            extra["answer_notes"] = notes
        return RouteResult(
            image=image, route=ROUTE, model=job.model, billing=self.billing,
            request_id=request_id, response_id=clean_id(payload.get("id")),
            revised_prompt=revised, usage=usage,
            cost_usd=estimate, cost_basis="estimate", extra=extra,
        )


def data_url(image: InputImage, *, mask: bool = False) -> str:
    """An input (or the mask) as a data URL with its real content type; formats the API
    does not read are converted, and the size limits are checked (routes/uploads.py)."""
    upload = uploads.mask_upload(image, ROUTE) if mask else uploads.input_upload(image, ROUTE)
    encoded = base64.b64encode(upload.data).decode("ascii")
    return f"data:{upload.mime};base64,{encoded}"


def image_tool(job: ImageJob) -> dict[str, Any]:
    """An `ImageGenTool`: the image model and every image option live here."""
    tool: dict[str, Any] = {
        "type": "image_generation",
        "model": job.model,
        "size": job.size,
        "quality": job.quality,
        "output_format": job.output_format,
        "action": "edit" if job.is_edit else "generate",
    }
    if job.background:
        tool["background"] = job.background
    # Only for models that take it: gpt-image-2 answers 400 invalid_input_fidelity_model
    # (pydantic/pydantic-ai#5413, on this very tool); it reads inputs at high fidelity anyway.
    if job.is_edit and image_models.takes_fidelity(job.model, job.fidelity):
        tool["input_fidelity"] = job.fidelity
    if job.mask is not None:
        tool["input_image_mask"] = {"image_url": data_url(job.mask, mask=True)}
    return tool


def request_body(job: ImageJob, responses_model: str) -> dict[str, Any]:
    """A `CreateResponse` that forces one call of the image tool."""
    content: list[dict[str, Any]] = [{"type": "input_text", "text": job.prompt}]
    content += [{"type": "input_image", "image_url": data_url(item), "detail": "auto"}
                for item in job.inputs]
    return {
        "model": responses_model,
        "instructions": INSTRUCTIONS,
        "input": [{"type": "message", "role": "user", "content": content}],
        "tools": [image_tool(job)],
        "tool_choice": {"type": "image_generation"},
    }


def image_call(payload: dict[str, Any], request_id: str | None) -> dict[str, Any]:
    """The completed `image_generation_call` item; a clear PermanentError without one."""
    found = payload.get("output")
    output: list[Any] = found if isinstance(found, list) else []
    calls = [item for item in output
             if isinstance(item, dict) and item.get("type") == "image_generation_call"]
    for call in calls:
        if call.get("status") == "completed" and isinstance(call.get("result"), str) \
                and call["result"]:
            return call
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    status = payload.get("status")
    said = _quote(_model_text(output))
    if error:
        code = clean_id(error.get("code")) or "response_failed"
        message = f"the response failed: {_quote(str(error.get('message') or code))}"
    elif status == "incomplete":
        details = payload.get("incomplete_details") or {}
        reason = details.get("reason") if isinstance(details, dict) else None
        code = "response_incomplete"
        message = f"the response is incomplete ({clean_id(reason) or '?'})"
    elif calls:
        code = "image_call_failed"
        ended = clean_id(calls[0].get("status"))
        message = f"the image_generation call ended `{ended}` without an image"
    else:
        code = "no_image_call"
        message = "the model answered without calling the image_generation tool"
    if said:
        message += f"; the model said: “{said}”"
    raise PermanentError(message, route=ROUTE, code=code, request_id=request_id,
                         hint="check the prompt (a refusal usually names the reason), then "
                              "build again or use `route: images`")


def _model_text(output: list[Any]) -> str:
    """The assistant's text and refusals from the output items."""
    parts: list[str] = []
    for item in output:
        if not isinstance(item, dict) or item.get("type") != "message":
            continue
        for part in item.get("content") or []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "output_text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif part.get("type") == "refusal" and isinstance(part.get("refusal"), str):
                parts.append("refusal: " + part["refusal"])
    return " ".join(" ".join(parts).split())


def _quote(text: str) -> str:
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rstrip() + "…"


def create(context: RouteContext) -> ResponsesRoute:
    return ResponsesRoute(context)
