"""``POST /v1/responses`` with the ``image_generation`` tool, for the emulator."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.fakes import emulator_images as imgs
from tests.fakes import openapi
from tests.fakes.emulator_openai import (
    check_image_model,
    check_options,
    finish,
    json_body,
    mask_ok,
    prelude,
    render,
    schema_mismatch,
    self_check,
    send_forbidden,
    send_model_not_found,
)

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator, Exchange

TOOL_DEFAULT_MODEL = "gpt-image-1"  # ImageGenTool.model default in the spec


def _extract_input(value: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """(prompt text, input_image parts) from a Responses ``input`` (string or items)."""
    if isinstance(value, str):
        return value, []
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or item.get("type", "message") != "message":
            continue
        if item.get("role", "user") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content if isinstance(content, list) else []:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "input_text" and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif part.get("type") == "input_image":
                images.append(part)
    return ("\n".join(texts) if texts else None), images


def _decode_inputs(
    ex: Exchange, parts: list[dict[str, Any]]
) -> tuple[list[tuple[int, int]], str | None]:
    """Record input images; returns decoded sizes and an error message for the first bad one."""
    sizes: list[tuple[int, int]] = []
    error = None
    for i, part in enumerate(parts):
        url = part.get("image_url")
        field = f"input[{i}].image_url"
        if isinstance(url, str) and url.startswith("data:"):
            try:
                mime, data = imgs.decode_data_url(url)
                info = imgs.inspect_image(data)
            except imgs.ImageInputError as exc:
                ex.record.files.append({"field": field, "url": url[:64], "error": str(exc)})
                error = error or f"Invalid image in input (image {i + 1}): {exc}."
                continue
            ex.record.files.append(imgs.file_record(field, None, mime, data))
            sizes.append((info.width, info.height))
        else:
            ex.record.files.append({"field": field, "url": url, "file_id": part.get("file_id")})
    return sizes, error


def _call_item(
    n: int, result: str, prompt: str, dims: tuple[int, int], tool: dict[str, Any], action: str
) -> dict[str, Any]:
    return {
        "type": "image_generation_call",
        "id": f"ig_{n}",
        "status": "completed",
        "result": result,
        "revised_prompt": f"{prompt} (revised)",
        "action": action,
        "background": "transparent" if tool.get("background") == "transparent" else "opaque",
        "output_format": tool.get("output_format") or "png",
        "quality": imgs.concrete_quality(tool.get("quality")),
        "size": f"{dims[0]}x{dims[1]}",
    }


def _message_item(n: int, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": f"msg_{n}",
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
    }


def _response(
    emu: Emulator,
    body: dict[str, Any],
    model: str,
    output: list[dict[str, Any]],
    prompt: str,
    inputs: list[tuple[int, int]],
) -> dict[str, Any]:
    now = int(time.time())
    input_tokens = (
        imgs.text_tokens(prompt) + 24 + sum(imgs.input_image_tokens(w, h, "gpt-5.5", "low")
                                            for w, h in inputs)
    )
    output_tokens = 32
    return {
        "id": f"resp_{emu.next_id()}",
        "object": "response",
        "created_at": now,
        "completed_at": now,
        "status": "completed",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
        "metadata": body.get("metadata") or {},
    }


def responses(emu: Emulator, ex: Exchange) -> None:
    body = json_body(ex)
    if body is None:
        return
    prompt, image_parts = _extract_input(body.get("input"))
    proceed, fault = prelude(emu, ex, prompt=prompt, model=body.get("model"))
    if not proceed:
        return
    errors = openapi.validate("CreateResponse", body)
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    tool = next((t for t in tools if isinstance(t, dict) and t.get("type") == "image_generation"),
                None)  # fmt: skip
    if tool is not None:
        errors += openapi.validate("ImageGenTool", tool)
    if errors:
        return schema_mismatch(emu, ex, errors)
    model = body.get("model")
    if not isinstance(model, str):
        ex.send_error(400, "Missing required parameter: 'model'.", param="model",
                      code="missing_required_parameter")  # fmt: skip
        return
    if model in emu.image_models or model.startswith("gpt-image"):
        ex.send_error(400, f"The model `{model}` is not supported with the Responses API. "
                      "Image models are used through the image generation tool: set `model` to "
                      "a text model (for example gpt-5.5) and add {\"type\": "
                      f"\"image_generation\", \"model\": \"{model}\"}} to `tools`.",
                      param="model", code="unsupported_model")  # fmt: skip
        return
    if model in emu.forbidden_models:
        return send_forbidden(ex, model)
    if model not in emu.known_models:
        return send_model_not_found(ex, model, "model")
    if body.get("stream") or body.get("background"):
        ex.send_error(400, "stream/background responses are not implemented by the emulator.",
                      code="emulator_unsupported")  # fmt: skip
        return
    inputs, input_error = _decode_inputs(ex, image_parts)
    if input_error:
        ex.send_error(400, input_error, param="input", code="invalid_image")
        return
    text = prompt or ""
    if tool is None:
        output = [_message_item(emu.next_id(), "I can't create images here: no image_generation "
                                "tool was provided.")]  # fmt: skip
        return finish(emu, ex, fault, _response(emu, body, model, output, text, inputs))
    tool_model = tool.get("model") or TOOL_DEFAULT_MODEL
    idx = tools.index(tool)
    if not check_image_model(emu, ex, tool_model, f"tools[{idx}].model"):
        return
    if not check_options(ex, tool_model, tool, f"tools[{idx}]."):
        return
    mask = (tool.get("input_image_mask") or {}).get("image_url")
    if mask is not None and not _check_mask(ex, mask, inputs):
        return
    dims = imgs.parse_size(tool.get("size")) or (inputs[0] if inputs else imgs.DEFAULT_SIZE)
    results = render(emu, ex, fault, text, dims, tool, 1)
    if results is None:
        return
    action = "edit" if inputs else "generate"
    call = _call_item(emu.next_id(), results[0], text, dims, tool, action)
    self_check(emu, ex, "ImageGenToolCall", call)
    output = [call, _message_item(emu.next_id(), "Here is your image.")]
    payload = _response(emu, body, model, output, text, inputs)
    self_check(emu, ex, "Response", payload)
    finish(emu, ex, fault, payload)


def _check_mask(ex: Exchange, url: str, inputs: list[tuple[int, int]]) -> bool:
    if not inputs:
        ex.send_error(400, "input_image_mask requires an input image in `input`.",
                      param="tools.input_image_mask", code="invalid_image_mask")  # fmt: skip
        return False
    try:
        mime, data = imgs.decode_data_url(url)
    except imgs.ImageInputError as exc:
        ex.send_error(400, f"Invalid mask image: {exc}.", param="tools.input_image_mask",
                      code="invalid_image_mask")  # fmt: skip
        return False
    ex.record.files.append(imgs.file_record("input_image_mask.image_url", None, mime, data))
    return mask_ok(ex, data, inputs[0], "tools.input_image_mask")
