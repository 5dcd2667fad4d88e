"""OpenAI endpoints of the emulator: images (generations, edits), responses, models."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from assetgen.images import models as image_models
from tests.fakes import emulator_images as imgs
from tests.fakes import openapi

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator, Exchange, Fault

NOT_IMAGE_BYTES = b"<!DOCTYPE html><html><head><title>Error</title></head><body>oops</body></html>"
POST_FAULTS = frozenset({"truncated_json", "bad_base64", "not_image", "wrong_size",
                         "broken_pixels", "reset_mid_body"})  # fmt: skip
CLOUDFLARE_HTML = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} "
    "{reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
)
VERIFY_MESSAGE = (
    "Your organization must be verified to use the model `{model}`. Please go to: "
    "https://platform.openai.com/settings/organization/general and click on Verify "
    "Organization. If you just verified, it can take up to 15 minutes for access to propagate."
)
MODERATION_MESSAGE = (
    "Your request was rejected by the safety system. If you believe this is an error, contact "
    "us at help.openai.com and include the request ID {request_id}."
)
SAFETY_CODE = "moderation_blocked"


# ------------------------------------------------------------------ shared plumbing


def mask_key(token: str) -> str:
    return f"{token[:3]}***{token[-4:]}" if len(token) > 8 else "***"


def send_forbidden(ex: Exchange, model: str) -> None:
    ex.send_error(403, VERIFY_MESSAGE.format(model=model),
                  code="organization_verification_required")  # fmt: skip


def send_model_not_found(ex: Exchange, model: str, param: str | None = None) -> None:
    ex.send_error(404, f"The model `{model}` does not exist or you do not have access to it.",
                  code="model_not_found", param=param)  # fmt: skip


def apply_pre_fault(emu: Emulator, ex: Exchange, fault: Fault, model: str | None) -> bool:
    """Act on a fault before normal processing; True if a response was sent (or dropped)."""
    kind = fault.kind
    ex.record.fault = kind
    if kind == "hang":
        if emu.sleep(emu.hang_s):
            ex.drop()
            return True
        return False
    if kind == "drop":
        ex.drop()
    elif kind == "429":
        headers: dict[str, str] = {}
        if isinstance(fault.retry_after, str):
            headers["retry-after"] = fault.retry_after
        elif fault.retry_after is not None:
            ra = fault.retry_after
            headers["retry-after"] = str(int(ra)) if float(ra).is_integer() else str(ra)
            headers["retry-after-ms"] = str(int(ra * 1000))
        ex.send_error(429, "Rate limit reached for requests. Please try again later.",
                      type_="requests", code="rate_limit_exceeded", headers=headers)  # fmt: skip
    elif kind in ("502", "504"):  # these come from the CDN as HTML, not JSON
        reason = "Bad Gateway" if kind == "502" else "Gateway Time-out"
        html = CLOUDFLARE_HTML.format(status=kind, reason=reason).encode()
        ex.send_bytes(int(kind), html, "text/html")
    elif kind == "500":
        ex.send_error(500, "The server had an error while processing your request. Sorry "
                      "about that!", type_="server_error")  # fmt: skip
    elif kind == "503":
        ex.send_error(503, "The server is overloaded or not ready yet.", type_="server_error")
    elif kind == "401":
        token = (ex.header("authorization") or "").partition(" ")[2]
        ex.send_error(401, f"Incorrect API key provided: {mask_key(token)}. You can find your "
                      "API key at https://platform.openai.com/account/api-keys.",
                      code="invalid_api_key")  # fmt: skip
    elif kind == "403":
        send_forbidden(ex, model or "gpt-image-2")
    elif kind == "model_not_found":
        send_model_not_found(ex, model or "gpt-image-2", "model")
    elif kind == "moderation":
        ex.send_error(400, MODERATION_MESSAGE.format(request_id=ex.record.request_id),
                      type_="image_generation_user_error", code=SAFETY_CODE)  # fmt: skip
    else:
        return False  # post-processing faults (and gateway task faults) act later
    return True


def prelude(emu: Emulator, ex: Exchange, *, prompt: Any, model: Any
            ) -> tuple[bool, Fault | None]:
    """Record the request's prompt (faults are aimed by it), then apply faults and the
    rate limit for an image request; (proceed, fault)."""
    ex.record.prompt = prompt if isinstance(prompt, str) else None
    fault = emu.take_fault(ex.path, ex.record.prompt)
    if fault is not None and apply_pre_fault(emu, ex, fault, model if isinstance(model, str)
                                             else None):  # fmt: skip
        return False, fault
    retry = emu.rate_limit_retry_after()
    if retry is not None:
        limit = emu.rate_limit_per_minute
        ex.send_error(429, f"Rate limit reached for images per min: Limit {limit}, Used "
                      f"{limit}. Please try again in {retry}s.", type_="requests",
                      code="rate_limit_exceeded",
                      headers={"retry-after": str(retry), **emu.rate_headers()})  # fmt: skip
        return False, fault
    return True, fault


def schema_mismatch(emu: Emulator, ex: Exchange, errors: list[str]) -> None:
    for err in errors:
        emu.add_schema_error(f"{ex.record.method} {ex.path} ({ex.record.request_id}): {err}")
    ex.send_error(400, "Request does not match the OpenAI API schema: " + "; ".join(errors),
                  code="emulator_schema_mismatch")  # fmt: skip


def self_check(emu: Emulator, ex: Exchange, schema_name: str, payload: Any) -> None:
    if not openapi.has_schema(schema_name):
        return
    for err in openapi.validate(schema_name, payload):
        emu.add_schema_error(f"emulator response for {ex.path} is invalid: {err}")


def json_body(ex: Exchange) -> dict[str, Any] | None:
    try:
        body = json.loads(ex.body or b"null")
    except ValueError:
        ex.send_error(400, "We could not parse the JSON body of your request. (HINT: This "
                      "likely means you aren't using your HTTP library correctly.)")  # fmt: skip
        return None
    if not isinstance(body, dict):
        ex.send_error(400, "The request body must be a JSON object.")
        return None
    ex.record.json = body
    return body


def check_auth(emu: Emulator, ex: Exchange) -> bool:
    if emu.api_key is None:
        return True
    scheme, _, token = (ex.header("authorization") or "").partition(" ")
    if not token:
        ex.send_error(401, "You didn't provide an API key. You need to provide your API key in "
                      "an Authorization header using Bearer auth (i.e. Authorization: Bearer "
                      "YOUR_KEY).", code="invalid_api_key")  # fmt: skip
        return False
    if scheme.lower() != "bearer" or token.strip() != emu.api_key:
        ex.send_error(401, f"Incorrect API key provided: {mask_key(token)}. You can find your "
                      "API key at https://platform.openai.com/account/api-keys.",
                      code="invalid_api_key")  # fmt: skip
        return False
    return True


def check_image_model(emu: Emulator, ex: Exchange, model: str, param: str = "model") -> bool:
    if model in emu.forbidden_models:
        send_forbidden(ex, model)
    elif model not in emu.known_models:
        send_model_not_found(ex, model, param)
    elif model not in emu.image_models:
        allowed = ", ".join(f"'{m}'" for m in sorted(emu.image_models))
        ex.send_error(400, f"Invalid value: '{model}'. Supported values are: {allowed}.",
                      param=param, code="invalid_value")  # fmt: skip
    else:
        return True
    return False


def check_input_fidelity(ex: Exchange, model: str, opts: dict[str, Any],
                         prefix: str = "") -> bool:
    """The model rules for `input_fidelity` (assetgen.images.models keeps the table)."""
    fidelity = opts.get("input_fidelity")
    row = image_models.lookup(model)
    if fidelity is None or row is None or fidelity in row.input_fidelities:
        return True
    # On /images/edits param is "input_fidelity" (vulca-org/vulca-visual-control-sdk#12);
    # on the Responses tool the real API names "tools" (pydantic/pydantic-ai#5413).
    param = "tools" if prefix else "input_fidelity"
    if not row.input_fidelities:
        # gpt-image-2: 400 invalid_input_fidelity_model, this exact message (both issues
        # above); the openai-python docstring says to omit the parameter for gpt-image-2.
        ex.send_error(400, f"The model '{model}' does not support the 'input_fidelity' "
                      "parameter.", type_="image_generation_user_error", param=param,
                      code="invalid_input_fidelity_model")  # fmt: skip
    else:
        # gpt-image-1-mini takes only `low` (openai-python 3.57 docstring of images.edit;
        # a 400 for `high` reported in lobehub/lobehub#9920).
        ex.send_error(400, f"input_fidelity '{fidelity}' is not supported for model "
                      f"'{model}'.", type_="image_generation_user_error", param=param,
                      code="invalid_input_fidelity_model")  # fmt: skip
    return False


def check_options(ex: Exchange, model: str, opts: dict[str, Any], prefix: str = "") -> bool:
    """Semantic checks the schema cannot express (from the spec's descriptions)."""
    if not check_input_fidelity(ex, model, opts, prefix):
        return False
    problem: tuple[str, str] | None = None
    size_error = imgs.check_size_for_model(model, opts.get("size"))
    fmt = opts.get("output_format") or "png"
    compression = opts.get("output_compression")
    if size_error:
        problem = ("size", size_error)
    elif opts.get("background") == "transparent" and fmt == "jpeg":
        problem = ("background", "Transparent background is not supported for output format "
                   "'jpeg'. Use 'png' or 'webp'.")  # fmt: skip
    elif compression is not None and not 0 <= compression <= 100:
        problem = ("output_compression", f"Invalid value: {compression}. Expected 0-100.")
    elif opts.get("quality") in ("standard", "hd"):
        problem = ("quality", f"Invalid value: '{opts['quality']}'. Supported values for "
                   f"{model} are: 'low', 'medium', 'high', and 'auto'.")  # fmt: skip
    elif opts.get("response_format") is not None:
        problem = ("response_format", "Unknown parameter: 'response_format'. GPT image "
                   "models always return base64-encoded images.")  # fmt: skip
    elif opts.get("style") is not None:
        problem = ("style", "Unknown parameter: 'style' (only supported for dall-e-3).")
    elif opts.get("stream"):
        problem = ("stream", "Streaming is not implemented by the assetgen emulator.")
    if problem is None:
        return True
    ex.send_error(400, problem[1], param=prefix + problem[0], code="invalid_value")
    return False


def bad_base64(data: str) -> str:
    """Not decodable by ``b64decode`` with or without ``validate=True``: '%' is outside the
    alphabet, and 4k+1 alphabet characters cannot be padded."""
    return "%%" + data[: ((len(data) - 1) // 4) * 4 + 1]


def render(
    emu: Emulator,
    ex: Exchange,
    fault: Fault | None,
    prompt: str,
    dims: tuple[int, int],
    opts: dict[str, Any],
    n: int,
) -> list[str] | None:
    """Render ``n`` images (after the configured latency); None if the emulator is closing."""
    if emu.sleep(emu.latency_s):
        ex.drop()
        return None
    w, h = dims
    if fault is not None and fault.kind == "wrong_size":
        w, h = max(16, w // 2 // 16 * 16), max(16, h // 2 // 16 * 16)
    fmt = opts.get("output_format") or "png"
    out = []
    for i in range(n):
        data = imgs.render_image(prompt, w, h, fmt,
                                 transparent=opts.get("background") == "transparent",
                                 compression=opts.get("output_compression"), index=i)  # fmt: skip
        if emu.c2pa_signer is not None:
            data = emu.c2pa_signer(data, fmt)
        if fault is not None and fault.kind == "broken_pixels":
            data = data[: len(data) * 2 // 3]  # the header parses; decoding the pixels fails
        out.append(imgs.b64(NOT_IMAGE_BYTES if fault and fault.kind == "not_image" else data))
    if fault is not None and fault.kind == "bad_base64":
        out = [bad_base64(s) for s in out]
    return out


def finish(emu: Emulator, ex: Exchange, fault: Fault | None, payload: Any) -> None:
    if fault is not None and fault.kind == "truncated_json":
        ex.send_truncated(payload)
    elif fault is not None and fault.kind == "reset_mid_body":
        ex.reset_mid_body(payload)
    else:
        ex.send_json(200, payload, headers={"openai-processing-ms": "1", **emu.rate_headers()})


# ------------------------------------------------------------------ images


def _images_payload(
    results: list[str],
    dims: tuple[int, int],
    opts: dict[str, Any],
    prompt: str,
    inputs: list[tuple[int, int]],
    model: str = "gpt-image-2",
) -> dict[str, Any]:
    quality = imgs.concrete_quality(opts.get("quality"))
    w, h = dims
    fmt = opts.get("output_format") or "png"
    payload: dict[str, Any] = {
        "created": int(time.time()),
        "data": [{"b64_json": r} for r in results],
        "background": "transparent" if opts.get("background") == "transparent" else "opaque",
        "output_format": fmt,
        "quality": quality,
        "usage": imgs.image_usage(prompt, quality, w, h, len(results), inputs, model,
                                  opts.get("input_fidelity")),
    }
    size = f"{w}x{h}"
    if size in openapi.enum_values("ImagesResponse", "size"):
        payload["size"] = size
    return payload


def images_generations(emu: Emulator, ex: Exchange) -> None:
    body = json_body(ex)
    if body is None:
        return
    proceed, fault = prelude(emu, ex, prompt=body.get("prompt"), model=body.get("model"))
    if not proceed:
        return
    prompt = ex.record.prompt  # the prompt if it is a string, else None
    errors = openapi.validate("CreateImageRequest", body)
    if errors:
        return schema_mismatch(emu, ex, errors)
    model = body.get("model")
    if model is None:
        ex.send_error(400, "`model` is missing, so the API would default to dall-e-2 "
                      "(CreateImageRequest.model default); the emulator only implements GPT "
                      "image models.", param="model", code="emulator_unsupported")  # fmt: skip
        return
    if not check_image_model(emu, ex, model) or not check_options(ex, model, body):
        return
    dims = imgs.parse_size(body.get("size")) or imgs.DEFAULT_SIZE
    results = render(emu, ex, fault, prompt, dims, body, body.get("n") or 1)
    if results is None:
        return
    payload = _images_payload(results, dims, body, prompt, [], model)
    self_check(emu, ex, "ImagesResponse", payload)
    finish(emu, ex, fault, payload)


def edit_validation_view(form: dict[str, Any], files: list[imgs.UploadedFile]) -> dict[str, Any]:
    """The multipart edit as a dict for ``CreateImageEditRequest``: files become "<binary>"
    (``image[]`` / repeated fields as a list)."""
    view = dict(form)
    for f in files:
        key = f.field.removesuffix("[]")
        if f.field.endswith("[]") or key in view:
            prev = view.get(key)
            view[key] = ([*prev] if isinstance(prev, list) else [] if prev is None
                         else [prev]) + ["<binary>"]  # fmt: skip
        else:
            view[key] = "<binary>"
    return view


def images_edits(emu: Emulator, ex: Exchange) -> None:
    ctype = ex.header("content-type") or ""
    if not ctype.lower().startswith("multipart/form-data"):
        ex.send_error(400, "The emulator implements multipart/form-data edits only (JSON edits "
                      "use EditImageBodyJsonParam).", code="emulator_unsupported")  # fmt: skip
        return
    try:
        mp = imgs.parse_multipart(ctype, ex.body)
    except ValueError as exc:
        ex.send_error(400, f"Could not parse multipart form data: {exc}")
        return
    schemas = openapi.load_schemas()
    form = imgs.coerce_form(mp.fields, schemas["CreateImageEditRequest"]["properties"], schemas)
    ex.record.form = form
    ex.record.files = [imgs.file_record(f.field, f.filename, f.content_type, f.data)
                       for f in mp.files]  # fmt: skip
    proceed, fault = prelude(emu, ex, prompt=form.get("prompt"), model=form.get("model"))
    if not proceed:
        return
    prompt = ex.record.prompt  # the prompt if it is a string, else None
    errors = openapi.validate("CreateImageEditRequest", edit_validation_view(form, mp.files))
    if errors:
        return schema_mismatch(emu, ex, errors)
    model = form.get("model") or "gpt-image-1.5"  # the spec's default for edits
    if not check_image_model(emu, ex, model) or not check_options(ex, model, form):
        return
    inputs: list[tuple[int, int]] = []
    for f in mp.files:
        # OpenAPI CreateImageEditRequest: each image "less than 50MB", the mask "less than 4MB".
        limit = (image_models.MAX_MASK_BYTES if f.field == "mask"
                 else image_models.MAX_INPUT_BYTES)
        if len(f.data) >= limit:
            ex.send_error(400, f"The file '{f.filename}' is too large: {f.field} must be less "
                          f"than {limit // 1024 // 1024}MB.", param=f.field.removesuffix("[]"),
                          code="invalid_image")  # fmt: skip
            return
    for i, f in enumerate(x for x in mp.files if x.field in ("image", "image[]")):
        try:
            info = imgs.inspect_image(f.data)
        except imgs.ImageInputError:
            info = None
        if info is None or info.format not in ("png", "jpeg", "webp"):
            ex.send_error(400, f"Invalid image file or mode for image {i + 1}, please check "
                          "your image file.", param="image", code="invalid_image")  # fmt: skip
            return
        inputs.append((info.width, info.height))
    for m in (x for x in mp.files if x.field == "mask"):
        if not mask_ok(ex, m.data, inputs[0], "mask"):
            return
    dims = imgs.parse_size(form.get("size")) or inputs[0]
    results = render(emu, ex, fault, prompt, dims, form, form.get("n") or 1)
    if results is None:
        return
    payload = _images_payload(results, dims, form, prompt, inputs, model)
    self_check(emu, ex, "ImagesResponse", payload)
    finish(emu, ex, fault, payload)


_edit_validation_view = edit_validation_view  # older name, used by tests/routes/test_images.py


def mask_ok(ex: Exchange, data: bytes, first: tuple[int, int], param: str) -> bool:
    try:
        info = imgs.inspect_image(data)
    except imgs.ImageInputError:
        info = None
    if info is None or info.format != "png":
        message = "Invalid mask image format - mask must be a PNG file."
    elif not info.has_alpha:
        message = "Invalid mask image format - mask image missing alpha channel."
    elif (info.width, info.height) != first:
        message = (f"Invalid mask image - mask size {info.width}x{info.height} does not match "
                   f"image size {first[0]}x{first[1]}.")  # fmt: skip
    else:
        return True
    ex.send_error(400, message, param=param, code="invalid_image_mask")
    return False


# ------------------------------------------------------------------ models and routing


def models_list(emu: Emulator, ex: Exchange) -> None:
    data = [_model_obj(m) for m in sorted(emu.known_models)]
    ex.send_json(200, {"object": "list", "data": data})


def _model_obj(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1_745_000_000, "owned_by": "openai"}


def model_get(emu: Emulator, ex: Exchange, model: str) -> None:
    if model in emu.forbidden_models and not emu.forbidden_models_visible:
        send_forbidden(ex, model)
    elif model not in emu.known_models:
        send_model_not_found(ex, model)
    else:
        ex.send_json(200, _model_obj(model))


def route(emu: Emulator, ex: Exchange) -> None:
    from tests.fakes import emulator_batch, emulator_responses  # import this module's helpers

    if not check_auth(emu, ex):
        return
    if ex.path.startswith(("/v1/files", "/v1/batches")) and emulator_batch.route(emu, ex):
        return
    method, path = ex.record.method, ex.path
    handlers = {
        "/v1/images/generations": images_generations,
        "/v1/images/edits": images_edits,
        "/v1/responses": emulator_responses.responses,
    }
    if path in handlers:
        if method != "POST":
            ex.send_error(405, f"Method {method} not allowed for {path}; use POST.")
            return
        handlers[path](emu, ex)
        return
    if method == "GET" and path == "/v1/models":
        return models_list(emu, ex)
    if method == "GET" and path.startswith("/v1/models/"):
        return model_get(emu, ex, path[len("/v1/models/") :])
    ex.send_error(404, f"Invalid URL ({method} {path})")
