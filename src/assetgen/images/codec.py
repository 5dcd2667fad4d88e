"""Pillow work: decode and check images, fit them to a final size, encode (placeholders:
`images/placeholder.py`).

Encoding is deterministic (the same pixels and settings always give the same bytes) and
writes no metadata but what the caller passes (assetgen's embedded provenance record), so a
file's sha256 depends only on its pixels, the format settings and that record.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from PIL import Image


from assetgen.errors import ImageError
from assetgen.images import formats
from assetgen.images.formats import (  # API_FORMATS and api_format_for are re-exported from here
    API_FORMATS,  # noqa: F401
    DEFAULT_ENCODING,
    FormatInfo,
    api_format_for,  # noqa: F401
)

_WHITE = (255, 255, 255)


class ImageInfo(NamedTuple):
    width: int
    height: int
    format: str  # lowercase Pillow format name: "png", "jpeg", "webp", "avif", "gif", ...
    mode: str


# Modes each format writes as they are; others are converted first.
_MODES: dict[str, frozenset[str]] = {
    "png": frozenset({"1", "L", "LA", "P", "RGB", "RGBA"}),
    "jpeg": frozenset({"L", "RGB"}),
    "webp": frozenset({"RGB", "RGBA"}),
    "avif": frozenset({"L", "RGB", "RGBA"}),
    "gif": frozenset({"L", "P", "RGB", "RGBA"}),
    "tiff": frozenset({"L", "LA", "RGB", "RGBA"}),
    "bmp": frozenset({"L", "RGB"}),
    "jpeg2000": frozenset({"L", "RGB", "RGBA"}),
    "qoi": frozenset({"RGB", "RGBA"}),
    "tga": frozenset({"L", "RGB", "RGBA"}),
}

_JPEG_QUALITY = int(DEFAULT_ENCODING["jpeg"]["quality"])
_WEBP_QUALITY = int(DEFAULT_ENCODING["webp"]["quality"])
_WEBP_METHOD = 4  # 6 compresses a little better but is several times slower
_AVIF_QUALITY = int(DEFAULT_ENCODING["avif"]["quality"])
_AVIF_SPEED = 7  # Pillow's default 6 takes about twice as long for files only ~5% smaller
_PNG_COMPRESS_LEVEL = 6


def _normalise_format(fmt: str) -> str:
    return formats.normalise(fmt)


@cache
def _writable() -> tuple[FormatInfo, ...]:
    from PIL import Image, features  # Pillow loads on first use
    Image.init()
    return tuple(
        spec
        for spec in formats.FORMATS
        if spec.pillow_name in Image.SAVE
        and spec.pillow_name in Image.OPEN
        and (spec.feature is None or features.check(spec.feature))
    )


def writable_formats() -> list[str]:
    """The format names this Pillow can write (and read back), lowercase."""
    return [spec.name for spec in _writable()]


def format_for_path(path: str | Path) -> str:
    """The image format a file name asks for, by its suffix (case-insensitive)."""
    return formats.format_for_path(path)


def _check_pixel_count(image: Image.Image) -> None:
    from PIL import Image  # Pillow loads on first use
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise ImageError(
            f"image data does not decode: {image.width}x{image.height} is more than "
            f"{limit:,} pixels (a possible decompression bomb)"
        )


@contextmanager
def _decoding(data: bytes) -> Iterator[None]:
    """Pillow's failures on ``data`` as one ``ImageError`` each."""
    from PIL import Image, UnidentifiedImageError  # Pillow loads on first use
    if not data:
        raise ImageError("image data does not decode: it is empty (0 bytes)")
    try:
        yield
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError("image data does not decode: not a recognised image format") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image data does not decode: {exc}") from None
    # Pillow's many decoders raise a wide variety of exception types on hostile or damaged data.
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        raise ImageError(f"image data does not decode: {reason}") from exc


def _load(data: bytes) -> Image.Image:
    """Open, verify and fully decode ``data``; ``ImageError`` for anything that fails."""
    from PIL import Image  # Pillow loads on first use
    with _decoding(data):
        with Image.open(io.BytesIO(data)) as candidate:
            _check_pixel_count(candidate)
            candidate.verify()  # checksums (PNG CRCs) that a plain decode would not look at
        image = Image.open(io.BytesIO(data))
        image.load()
    return image


def probe(data: bytes) -> ImageInfo:
    """Decode ``data`` fully and describe it; ``ImageError`` if it is not a whole image."""
    return _describe(_load(data))


def header(data: bytes) -> ImageInfo:
    """What the file's header says (format, size, mode), without decoding any pixels: a
    quick first look. Only `probe`/`decode_checked` prove that the image is whole."""
    from PIL import Image  # Pillow loads on first use
    with _decoding(data), Image.open(io.BytesIO(data)) as image:
        _check_pixel_count(image)
        return _describe(image)


def _describe(image: Image.Image) -> ImageInfo:
    return ImageInfo(image.width, image.height, (image.format or "").lower(), image.mode)


class Decoded(NamedTuple):
    """A checked image: how the file describes itself, and its pixels turned upright."""

    info: ImageInfo
    image: Image.Image


def decode_checked(data: bytes) -> Decoded:
    """`probe` and `decode` in one decode (a build checks each answer, then derives from it)."""
    from PIL import ImageOps  # Pillow loads on first use
    image = _load(data)
    info = _describe(image)
    ImageOps.exif_transpose(image, in_place=True)
    return Decoded(info, image)


def probe_file(path: Path) -> ImageInfo:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImageError(f"{path}: cannot read image: {exc.strerror or exc}") from None
    try:
        return probe(data)
    except ImageError as exc:
        raise ImageError(f"{path}: {exc.message}", hint=exc.hint) from None


def decode(data: bytes) -> Image.Image:
    """The loaded image, turned upright as its EXIF orientation says."""
    return decode_checked(data).image


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to cover ``width`` x ``height`` (Lanczos), then centre-crop to exactly that."""
    from PIL import Image, ImageOps  # Pillow loads on first use
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot fit an image to {width}x{height}")
    if image.size == (width, height):
        return image
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        # Palette and bilevel images would be resized with nearest-neighbour only.
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    return ImageOps.fit(image, (width, height), method=Image.Resampling.LANCZOS)


def _flatten_on_white(image: Image.Image) -> Image.Image:
    from PIL import Image  # Pillow loads on first use
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _prepare_pixels(image: Image.Image, spec: FormatInfo) -> Image.Image:
    """``image`` in a mode ``spec`` writes as is: itself when it already is one (callers
    save it with `_without_metadata`), else a converted copy."""
    has_alpha = image.has_transparency_data
    # Alpha that lives in info["transparency"] survives as is only for palette images.
    alpha_kept_as_is = image.mode in ("RGBA", "LA", "P") or not has_alpha
    modes = _MODES[spec.name]
    if has_alpha and not spec.keeps_alpha:
        prepared = _flatten_on_white(image)
    elif image.mode in modes and alpha_kept_as_is:
        prepared = image  # a copy would cost a whole image of memory (50 MB at 4096x4096)
    elif has_alpha:
        prepared = image.convert("RGBA")
    elif image.mode in ("1", "I;16", "I;16L", "I;16B", "I", "F") and "L" in modes:
        prepared = image.convert("L")
    else:
        prepared = image.convert("RGB")
    return prepared


@contextmanager
def _without_metadata(image: Image.Image) -> Iterator[Image.Image]:
    """``image`` with an empty ``info`` while it is saved: plugins fall back to it for
    comments, EXIF, XMP and more. Restored after, since ``image`` may be the caller's."""
    kept = image.info
    image.info = {}
    try:
        yield image
    finally:
        image.info = kept


def _save_options(
    spec: FormatInfo, source: Image.Image, quality: int | None, lossless: bool,
    progressive: bool | None, optimize: bool | None,
) -> dict[str, Any]:
    if quality is not None and not 0 <= quality <= 100:
        raise ValueError(f"quality must be between 0 and 100, got {quality}")
    options: dict[str, Any] = {}
    icc_profile = source.info.get("icc_profile")
    if icc_profile and spec.name in ("png", "jpeg", "webp", "avif", "tiff"):
        # Kept only when the source has one: without it, wide-gamut colours would shift.
        options["icc_profile"] = icc_profile
    if spec.name == "png":
        options.update(optimize=bool(optimize), compress_level=_PNG_COMPRESS_LEVEL)
    elif spec.name == "jpeg":
        if lossless:
            raise ValueError("jpeg cannot be written losslessly; use png or webp")
        quality = _JPEG_QUALITY if quality is None else quality
        options.update(quality=quality, progressive=progressive is not False,
                       optimize=optimize is not False)
    elif spec.name == "webp":
        quality = _WEBP_QUALITY if quality is None else quality
        options.update(quality=quality, method=_WEBP_METHOD, lossless=lossless)
    elif spec.name == "avif":
        options["speed"] = _AVIF_SPEED
        if lossless:
            # Pillow cannot select the identity colour matrix that true lossless AVIF needs;
            # full chroma at quality 100 is the closest it gets.
            options.update(quality=100, subsampling="4:4:4")
        else:
            options["quality"] = _AVIF_QUALITY if quality is None else quality
    elif spec.name == "tiff":
        options["compression"] = "tiff_lzw"
    return options


def encode(
    image: Image.Image, fmt: str, *, quality: int | None = None, lossless: bool = False,
    progressive: bool | None = None, optimize: bool | None = None,
    png_text: dict[str, str] | None = None, xmp: bytes | None = None,
) -> bytes:
    """``image`` as the bytes of a ``fmt`` file, deterministically, with no metadata but
    what is passed in.

    Alpha is kept where the format has it and flattened onto white where it does not
    (jpeg, bmp). ``quality`` (0-100) applies to jpeg, webp and avif; ``lossless`` to webp
    and avif (near-lossless there) and is an error for jpeg; ``progressive`` to jpeg
    (default on); ``optimize`` to jpeg (default on) and png (default off). ``png_text``
    becomes uncompressed iTXt chunks of a png; ``xmp`` an XMP packet of a jpeg, webp or
    avif. Both are refused for formats that cannot carry them.
    """
    name = _normalise_format(fmt)
    spec = next((spec for spec in _writable() if spec.name == name), None)
    if spec is None:
        raise ValueError(
            f"cannot write {fmt!r} images; writable formats: {', '.join(writable_formats())}"
        )
    options = _save_options(spec, image, quality, lossless, progressive, optimize)
    if png_text:
        if spec.embed != "png-itxt":
            raise ValueError(f"{name} files carry no PNG text chunks")
        from PIL.PngImagePlugin import PngInfo

        chunks = PngInfo()
        for key, value in png_text.items():
            chunks.add_itxt(key, value, zip=False)
        options["pnginfo"] = chunks
    if xmp:
        if spec.embed != "xmp":
            raise ValueError(f"assetgen does not write XMP into {name} files")
        options["xmp"] = xmp
    prepared = _prepare_pixels(image, spec)
    if prepared.mode == "P" and "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    buffer = io.BytesIO()
    with _without_metadata(prepared) as bare:
        bare.save(buffer, format=spec.pillow_name, **options)
    return buffer.getvalue()


def resize_to_width(image: Image.Image, width: int) -> Image.Image:
    """``image`` scaled (Lanczos) to ``width``, keeping its aspect ratio; never enlarged."""
    from PIL import Image  # Pillow loads on first use
    if width <= 0:
        raise ValueError(f"cannot resize an image to width {width}")
    if width >= image.width:
        return image
    height = max(1, round(image.height * width / image.width))
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    return image.resize((width, height), Image.Resampling.LANCZOS)


def has_alpha(data: bytes) -> bool:
    """Whether ``data`` decodes to an image with at least one pixel that is not opaque."""
    return image_has_alpha(_load(data))


def image_has_alpha(image: Image.Image) -> bool:
    """Whether at least one pixel of ``image`` is not opaque."""
    if not image.has_transparency_data:
        return False
    alpha = image.convert("RGBA").getchannel("A")
    low = alpha.getextrema()[0]  # a single band: (min, max) of numbers
    return bool(isinstance(low, int | float) and low < 255)

