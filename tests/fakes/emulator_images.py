"""Image synthesis, token accounting and multipart parsing for the API emulator."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from PIL import Image, ImageDraw

from assetgen.images import cost
from assetgen.images import models as image_models

DEFAULT_SIZE = (1024, 1024)
STANDARD_SIZES = image_models.STANDARD_SIZES
CONCRETE_QUALITIES = image_models.QUALITIES
CONCRETE_AUTO_QUALITY = "medium"
GATEWAY_LONG_EDGE = {"1K": 1024, "2K": 2048, "4K": 4096}
_SIZE_RE = re.compile(r"^(\d{1,5})x(\d{1,5})$")
_RATIO_RE = re.compile(r"^(\d{1,3}):(\d{1,3})$")
_DATA_URL_RE = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?((?:;[\w-]+=[^;,]*)*)(;base64)?,(.*)$", re.S)
_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


class ImageInputError(ValueError):
    """An uploaded or referenced input image is unusable."""


# --------------------------------------------------------------------------- sizes


def parse_size(size: Any) -> tuple[int, int] | None:
    """``"WxH"`` -> ``(W, H)``; ``None``/``"auto"`` -> ``None``; raises ValueError otherwise."""
    if size in (None, "auto"):
        return None
    match = _SIZE_RE.match(str(size))
    if not match:
        raise ValueError(f"Invalid size '{size}'. Expected 'auto' or 'WIDTHxHEIGHT'.")
    return int(match.group(1)), int(match.group(2))


def check_size_for_model(model: str, size: Any) -> str | None:
    """Semantic size rules from the spec's ``size`` description; returns an error or None."""
    try:
        dims = parse_size(size)
    except ValueError as exc:
        return str(exc)
    if dims is None:
        return None
    w, h = dims
    row = image_models.lookup(model)
    if row is None or row.flexible_sizes:
        if w <= 0 or h <= 0 or w % 16 or h % 16:
            return f"Invalid size '{size}'. Width and height must both be divisible by 16."
        if max(w, h) > 3 * min(w, h):
            return f"Invalid size '{size}'. The aspect ratio must be between 1:3 and 3:1."
        if max(w, h) > 3840 or w * h > 3840 * 2160:
            return f"Invalid size '{size}'. The maximum supported resolution is 3840x2160."
        return None
    if f"{w}x{h}" not in STANDARD_SIZES:
        return (
            f"Invalid size '{size}'. Supported sizes for {model} are "
            + ", ".join(f"'{s}'" for s in STANDARD_SIZES)
            + ", and 'auto'."
        )
    return None


def gateway_dimensions(ratio: str, resolution: str) -> tuple[int, int]:
    """Pixel size for an aspect ratio ``"W:H"`` at ``"1K"|"2K"|"4K"`` (long edge 1024/2048/4096).

    The short edge keeps the exact ratio when that gives a multiple of 16, otherwise it is
    rounded to the nearest multiple of 16 (3:2 at 1K -> 1024x688).
    """
    match = _RATIO_RE.match(ratio or "")
    if not match or int(match.group(1)) == 0 or int(match.group(2)) == 0:
        raise ValueError(f"size must be an aspect ratio like '16:9', got {ratio!r}")
    a, b = int(match.group(1)), int(match.group(2))
    if max(a, b) > 4 * min(a, b):
        raise ValueError(f"aspect ratio {ratio} is outside the supported range 1:4 to 4:1")
    if resolution not in GATEWAY_LONG_EDGE:
        raise ValueError(f"resolution must be one of 1K, 2K, 4K, got {resolution!r}")
    long_edge = GATEWAY_LONG_EDGE[resolution]
    short_exact = long_edge * min(a, b) / max(a, b)
    if short_exact.is_integer() and int(short_exact) % 16 == 0:
        short = int(short_exact)
    else:
        short = max(16, round(short_exact / 16) * 16)
    return (long_edge, short) if a >= b else (short, long_edge)


# --------------------------------------------------------------------------- synthesis


def _palette(seed: str) -> tuple[tuple[int, int, int], tuple[int, int, int], int]:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    bg = (digest[0], digest[1], digest[2])
    fg = (255 - digest[0], 255 - digest[1], 255 - digest[2])
    return bg, fg, digest[3] % 3


def render_image(
    prompt: str,
    width: int,
    height: int,
    output_format: str = "png",
    *,
    transparent: bool = False,
    compression: int | None = None,
    index: int = 0,
) -> bytes:
    """A deterministic image: background colour from the prompt's hash plus a simple shape."""
    fmt = _PIL_FORMATS.get(output_format or "png", "PNG")
    bg, fg, shape = _palette(f"{prompt}\x00{index}")
    alpha = transparent and fmt in ("PNG", "WEBP")
    img = Image.new("RGBA" if alpha else "RGB", (width, height), (*bg, 0) if alpha else bg)
    draw = ImageDraw.Draw(img)
    box = (width // 4, height // 4, width * 3 // 4, height * 3 // 4)
    colour = (*fg, 255) if alpha else fg
    if shape == 0:
        draw.ellipse(box, fill=colour)
    elif shape == 1:
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([(width // 2, box[1]), (box[2], box[3]), (box[0], box[3])], fill=colour)
    out = io.BytesIO()
    quality = 100 if compression is None else max(1, min(100, int(compression)))
    if fmt == "PNG":
        img.save(out, "PNG", compress_level=1)
    elif fmt == "JPEG":
        img.save(out, "JPEG", quality=quality)
    else:
        img.save(out, "WEBP", quality=quality, method=0)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class ImageInfo:
    format: str
    width: int
    height: int
    mode: str

    @property
    def has_alpha(self) -> bool:
        return "A" in self.mode or self.mode == "P"


def inspect_image(data: bytes) -> ImageInfo:
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            has_trns = img.mode == "P" and "transparency" in img.info
            mode = "PA" if has_trns else img.mode
            return ImageInfo((img.format or "").lower(), img.width, img.height, mode)
    except Exception as exc:  # Pillow raises many types for garbage input
        raise ImageInputError(f"could not decode image: {type(exc).__name__}") from exc


def decode_data_url(url: str) -> tuple[str | None, bytes]:
    """``data:image/png;base64,...`` -> (mime, bytes); raises ImageInputError."""
    match = _DATA_URL_RE.match(url or "")
    if not match:
        raise ImageInputError("not a data: URL")
    mime, _params, is_b64, payload = match.groups()
    if not is_b64:
        raise ImageInputError("data URL is not base64-encoded")
    try:
        return mime, base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageInputError("data URL has invalid base64") from exc


def file_record(
    field_name: str, filename: str | None, content_type: str | None, data: bytes
) -> dict[str, Any]:
    """What the emulator records about an input image (decoded if it is one)."""
    rec: dict[str, Any] = {
        "field": field_name,
        "filename": filename,
        "content_type": content_type,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "width": None,
        "height": None,
        "format": None,
        "mode": None,
    }
    try:
        info = inspect_image(data)
    except ImageInputError:
        return rec
    rec.update(width=info.width, height=info.height, format=info.format, mode=info.mode)
    return rec


# --------------------------------------------------------------------------- usage


def concrete_quality(quality: str | None) -> str:
    return quality if quality in CONCRETE_QUALITIES else CONCRETE_AUTO_QUALITY


def output_image_tokens(quality: str, width: int, height: int,
                        model: str = "gpt-image-2") -> int:
    """What OpenAI's calculator gives for this size (assetgen.images.cost pins its anchors)."""
    return cost.output_tokens(f"{width}x{height}", concrete_quality(quality), model)


def text_tokens(prompt: str) -> int:
    return len(prompt) // 4 + 1


def input_image_tokens(width: int, height: int, model: str = "gpt-image-2",
                       fidelity: str | None = None) -> int:
    """GPT Image vision tokens plus the high-fidelity extra (images/cost.py documents both)."""
    return cost.input_image_tokens(width, height, fidelity, model)


def image_usage(
    prompt: str, quality: str, width: int, height: int, n: int, inputs: list[tuple[int, int]],
    model: str = "gpt-image-2", fidelity: str | None = None,
) -> dict[str, Any]:
    txt = text_tokens(prompt)
    img_in = sum(input_image_tokens(w, h, model, fidelity) for w, h in inputs)
    out = output_image_tokens(quality, width, height, model) * n
    return {
        "input_tokens": txt + img_in,
        "output_tokens": out,
        "total_tokens": txt + img_in + out,
        "input_tokens_details": {"text_tokens": txt, "image_tokens": img_in},
        "output_tokens_details": {"image_tokens": out, "text_tokens": 0},
    }


# --------------------------------------------------------------------------- multipart


@dataclass
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Multipart:
    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)


def _header_params(value: str, header: str = "content-disposition") -> Message:
    msg = Message()
    msg[header] = value
    return msg


def parse_multipart(content_type: str, body: bytes) -> Multipart:
    """Parse ``multipart/form-data`` (no ``cgi``); raises ValueError on malformed input."""
    ct = _header_params(content_type, "content-type")
    if ct.get_content_type() != "multipart/form-data":
        raise ValueError(f"expected multipart/form-data, got {ct.get_content_type()}")
    boundary = ct.get_param("boundary", header="content-type")
    if not boundary or not isinstance(boundary, str):
        raise ValueError("multipart body without boundary")
    delim = b"--" + boundary.encode("latin-1")
    chunks = body.split(delim)
    if len(chunks) < 3:
        raise ValueError("multipart body has no parts")
    result = Multipart()
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        chunk = chunk.removeprefix(b"\r\n")
        raw_headers, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("multipart part without header/body separator")
        content = content.removesuffix(b"\r\n")
        headers: dict[str, str] = {}
        for line in raw_headers.decode("utf-8", "replace").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip():
                headers[name.strip().lower()] = value.strip()
        disp = _header_params(headers.get("content-disposition", ""))
        name = disp.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            raise ValueError("multipart part without a name")
        filename = disp.get_param("filename", header="content-disposition")
        if isinstance(filename, str):
            result.files.append(UploadedFile(name, filename, headers.get("content-type"), content))
        else:
            result.fields.setdefault(name, []).append(content.decode("utf-8", "replace"))
    return result


def _declared_types(prop_schema: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    types: set[str] = set()
    stack = [prop_schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            stack.append(schemas.get(ref.rsplit("/", 1)[1], {}))
        typ = node.get("type")
        if isinstance(typ, str):
            types.add(typ)
        elif isinstance(typ, list):
            types.update(t for t in typ if isinstance(t, str))
        stack.extend(node.get("anyOf", []))
    return types


def coerce_form(
    fields: dict[str, list[str]],
    properties: dict[str, Any],
    schemas: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Form strings -> JSON values according to the declared property types.

    ``properties`` is e.g. ``CreateImageEditRequest.properties``; ``schemas`` (default: the
    loaded OpenAPI subset) resolves ``$ref`` properties such as ``partial_images``.
    """
    if schemas is None:
        from tests.fakes import openapi

        schemas = openapi.load_schemas()
    out: dict[str, Any] = {}
    for name, values in fields.items():
        key = name.removesuffix("[]")
        types = _declared_types(properties.get(key, {}), schemas)
        converted: list[Any] = []
        for value in values:
            conv: Any = value
            if "integer" in types and re.fullmatch(r"-?\d+", value.strip()):
                conv = int(value)
            elif "number" in types and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
                conv = float(value)
            elif "boolean" in types and value.strip().lower() in ("true", "false"):
                conv = value.strip().lower() == "true"
            converted.append(conv)
        out[key] = converted if name.endswith("[]") or len(converted) > 1 else converted[0]
    return out
