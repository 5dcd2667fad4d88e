"""Edit inputs and masks as the OpenAI surfaces take them: a real content type, a format
the API reads, and the size limits checked before anything is sent.

The API reads png, jpeg and webp inputs of less than 50MB each, and a PNG mask of less
than 4MB (OpenAPI `CreateImageEditRequest.image` / `.mask`). Other formats Pillow reads
(gif, avif, bmp, ...) are converted to PNG here rather than sent mislabelled.
"""

from __future__ import annotations

from typing import NamedTuple

from assetgen.errors import ImageError, PermanentError
from assetgen.images import codec as imaging
from assetgen.images import models as image_models
from assetgen.routes.base import InputImage

_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class Upload(NamedTuple):
    filename: str
    data: bytes
    mime: str


def input_upload(item: InputImage, route: str) -> Upload:
    """An edit input ready to send: converted to PNG unless the API reads it as it is."""
    fmt = item.format
    data, filename = item.data, item.path.name
    if fmt not in _MIME:
        data, fmt = _as_png(item, route), "png"
        filename = item.path.stem + ".png"
    _check_size(len(data), image_models.MAX_INPUT_BYTES, f"edit input {item.ref}", route,
                "scale it down or save it as JPEG or WebP")
    return Upload(filename, data, _MIME[fmt])


def mask_upload(item: InputImage, route: str) -> Upload:
    if item.format != "png":
        raise PermanentError(
            f"mask {item.path.name} is {item.format or 'not an image'}, not a PNG",
            route=route, code="invalid_mask",
            hint="a mask is a PNG whose transparent pixels (alpha 0) are repainted")
    _check_size(len(item.data), image_models.MAX_MASK_BYTES, f"mask {item.path.name}", route,
                "save it with fewer colours or more compression")
    return Upload(item.path.name, item.data, "image/png")


def _check_size(size: int, limit: int, what: str, route: str, hint: str) -> None:
    if size >= limit:
        raise PermanentError(
            f"{what} is {size / 1024 / 1024:.1f} MB; the API takes less than "
            f"{limit // 1024 // 1024} MB", route=route, code="input_too_large", hint=hint)


def _as_png(item: InputImage, route: str) -> bytes:
    try:
        return imaging.encode(imaging.decode(item.data), "png")
    except ImageError as exc:
        raise PermanentError(f"edit input {item.ref} cannot be converted to PNG: "
                             f"{exc.message}", route=route, code="bad_input",
                             hint="replace it with a PNG, JPEG or WebP file") from exc
