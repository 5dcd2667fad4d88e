"""Pillow work: decode and check images, fit them to a final size, encode, draw placeholders.

Encoding is deterministic (the same pixels always give the same bytes) and writes no
metadata, so a file's sha256 depends only on its pixels and the format settings.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError, features

from assetgen.errors import ImageError

API_FORMATS = frozenset({"png", "jpeg", "webp"})

_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str  # lowercase Pillow format name: "png", "jpeg", "webp", "avif", "gif", ...
    mode: str


@dataclass(frozen=True)
class _Format:
    name: str
    pillow_name: str
    suffixes: tuple[str, ...]
    modes: frozenset[str]  # modes written as they are; others are converted first
    keeps_alpha: bool
    feature: str | None = None  # Pillow feature that must be compiled in


_FORMATS = (
    _Format("png", "PNG", (".png",), frozenset({"1", "L", "LA", "P", "RGB", "RGBA"}), True),
    _Format("jpeg", "JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), frozenset({"L", "RGB"}), False),
    _Format("webp", "WEBP", (".webp",), frozenset({"RGB", "RGBA"}), True, "webp"),
    _Format("avif", "AVIF", (".avif",), frozenset({"L", "RGB", "RGBA"}), True, "avif"),
    _Format("gif", "GIF", (".gif",), frozenset({"L", "P", "RGB", "RGBA"}), True),
    _Format("tiff", "TIFF", (".tif", ".tiff"), frozenset({"L", "LA", "RGB", "RGBA"}), True),
    _Format("bmp", "BMP", (".bmp",), frozenset({"L", "RGB"}), False),
    _Format(
        "jpeg2000", "JPEG2000", (".jp2", ".j2k"), frozenset({"L", "RGB", "RGBA"}), True, "jpg_2000"
    ),
    _Format("qoi", "QOI", (".qoi",), frozenset({"RGB", "RGBA"}), True),
    _Format("tga", "TGA", (".tga",), frozenset({"L", "RGB", "RGBA"}), True),
)
_FORMAT_ALIASES = {"jpg": "jpeg", "tif": "tiff", "jp2": "jpeg2000"}

_JPEG_QUALITY = 85
_WEBP_QUALITY = 82
_WEBP_METHOD = 4  # 6 compresses a little better but is several times slower
_AVIF_QUALITY = 60
_AVIF_SPEED = 7  # Pillow's default 6 takes about twice as long for files only ~5% smaller
_PNG_COMPRESS_LEVEL = 6


def _normalise_format(fmt: str) -> str:
    name = fmt.strip().lower().lstrip(".")
    return _FORMAT_ALIASES.get(name, name)


@cache
def _writable() -> tuple[_Format, ...]:
    Image.init()
    return tuple(
        spec
        for spec in _FORMATS
        if spec.pillow_name in Image.SAVE
        and spec.pillow_name in Image.OPEN
        and (spec.feature is None or features.check(spec.feature))
    )


def writable_formats() -> list[str]:
    """The format names this Pillow can write (and read back), lowercase."""
    return [spec.name for spec in _writable()]


def _accepted_suffixes() -> str:
    return ", ".join(suffix for spec in _writable() for suffix in spec.suffixes)


def format_for_path(path: str | Path) -> str:
    """The image format a file name asks for, by its suffix (case-insensitive)."""
    suffix = Path(path).suffix.lower()
    for spec in _writable():
        if suffix in spec.suffixes:
            return spec.name
    what = f"a {suffix} file" if suffix else "a file without a suffix"
    raise ValueError(
        f"{Path(path).name}: cannot write {what}; accepted suffixes: {_accepted_suffixes()}"
    )


def api_format_for(fmt: str) -> str:
    """What to ask the API for: the format itself when it can return it, else a PNG master."""
    name = _normalise_format(fmt)
    return name if name in API_FORMATS else "png"


def _check_pixel_count(image: Image.Image) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise ImageError(
            f"image data does not decode: {image.width}x{image.height} is more than "
            f"{limit:,} pixels (a possible decompression bomb)"
        )


def _load(data: bytes) -> Image.Image:
    """Open, verify and fully decode ``data``; ``ImageError`` for anything that fails."""
    if not data:
        raise ImageError("image data does not decode: it is empty (0 bytes)")
    try:
        with Image.open(io.BytesIO(data)) as candidate:
            _check_pixel_count(candidate)
            candidate.verify()  # checksums (PNG CRCs) that a plain decode would not look at
        image = Image.open(io.BytesIO(data))
        image.load()
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
    return image


def probe(data: bytes) -> ImageInfo:
    """Decode ``data`` fully and describe it; ``ImageError`` if it is not a whole image."""
    image = _load(data)
    return ImageInfo(image.width, image.height, (image.format or "").lower(), image.mode)


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
    image = _load(data)
    ImageOps.exif_transpose(image, in_place=True)
    return image


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale to cover ``width`` x ``height`` (Lanczos), then centre-crop to exactly that."""
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot fit an image to {width}x{height}")
    if image.size == (width, height):
        return image
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        # Palette and bilevel images would be resized with nearest-neighbour only.
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    return ImageOps.fit(image, (width, height), method=Image.Resampling.LANCZOS)


def _flatten_on_white(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (*_WHITE, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _prepare_pixels(image: Image.Image, spec: _Format) -> Image.Image:
    """A copy of ``image`` in a mode ``spec`` writes as is, with no metadata left on it."""
    has_alpha = image.has_transparency_data
    # Alpha that lives in info["transparency"] survives as is only for palette images.
    alpha_kept_as_is = image.mode in ("RGBA", "LA", "P") or not has_alpha
    if has_alpha and not spec.keeps_alpha:
        prepared = _flatten_on_white(image)
    elif image.mode in spec.modes and alpha_kept_as_is:
        prepared = image.copy()
    elif has_alpha:
        prepared = image.convert("RGBA")
    elif image.mode in ("1", "I;16", "I;16L", "I;16B", "I", "F") and "L" in spec.modes:
        prepared = image.convert("L")
    else:
        prepared = image.convert("RGB")
    # Plugins fall back to image.info for comments, EXIF, XMP and more: clear it all.
    prepared.info = {}
    return prepared


def _save_options(
    spec: _Format, source: Image.Image, quality: int | None, lossless: bool
) -> dict[str, Any]:
    if quality is not None and not 0 <= quality <= 100:
        raise ValueError(f"quality must be between 0 and 100, got {quality}")
    options: dict[str, Any] = {}
    icc_profile = source.info.get("icc_profile")
    if icc_profile and spec.name in ("png", "jpeg", "webp", "avif", "tiff"):
        # Kept only when the source has one: without it, wide-gamut colours would shift.
        options["icc_profile"] = icc_profile
    if spec.name == "png":
        options.update(optimize=False, compress_level=_PNG_COMPRESS_LEVEL)
    elif spec.name == "jpeg":
        if lossless:
            raise ValueError("jpeg cannot be written losslessly; use png or webp")
        quality = _JPEG_QUALITY if quality is None else quality
        options.update(quality=quality, progressive=True, optimize=True)
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
    image: Image.Image, fmt: str, *, quality: int | None = None, lossless: bool = False
) -> bytes:
    """``image`` as the bytes of a ``fmt`` file, without metadata, deterministically.

    Alpha is kept where the format has it and flattened onto white where it does not
    (jpeg, bmp). ``quality`` (0-100) applies to jpeg, webp and avif; ``lossless`` to webp
    and avif (near-lossless there) and is an error for jpeg.
    """
    name = _normalise_format(fmt)
    spec = next((spec for spec in _writable() if spec.name == name), None)
    if spec is None:
        raise ValueError(
            f"cannot write {fmt!r} images; writable formats: {', '.join(writable_formats())}"
        )
    options = _save_options(spec, image, quality, lossless)
    prepared = _prepare_pixels(image, spec)
    if prepared.mode == "P" and "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    buffer = io.BytesIO()
    prepared.save(buffer, format=spec.pillow_name, **options)
    return buffer.getvalue()


# --- the draft route's placeholder ------------------------------------------------------------

_FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont
_MIN_FONT_SIZE = 8
_ELLIPSIS = "…"
# Punctuation the bundled font lacks, with the nearest character it has.
_ASCII_FALLBACKS = str.maketrans("×–—‐‘’“”•", "x---''\"\"·")


@dataclass(frozen=True)
class _Palette:
    background: tuple[int, int, int]
    stripe: tuple[int, int, int]
    outline: tuple[int, int, int]
    card: tuple[int, int, int]
    accent: tuple[int, int, int]
    muted: tuple[int, int, int]
    text: tuple[int, int, int]


def _hls(hue: float, lightness: float, saturation: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hls_to_rgb(hue % 1.0, lightness, saturation)
    return round(red * 255), round(green * 255), round(blue * 255)


def _palette(seed: str) -> _Palette:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") / 65536
    # The stripes take a neighbouring hue, so each seed gets a soft two-colour pair.
    stripe_hue = hue + 0.02 + digest[2] / 255 * 0.05
    saturation = 0.35 + digest[3] / 255 * 0.2
    return _Palette(
        background=_hls(hue, 0.86, saturation),
        stripe=_hls(stripe_hue, 0.825, saturation),
        outline=_hls(hue, 0.62, 0.35),
        card=_hls(hue, 0.975, 0.5),
        accent=_hls(hue, 0.30, 0.55),
        muted=_hls(hue, 0.36, 0.18),
        text=_hls(hue, 0.17, 0.25),
    )


@lru_cache(maxsize=128)
def _font(size: int) -> _FontType:
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1024)
def _has_glyph(char: str) -> bool:
    """Whether the bundled font draws ``char`` rather than its missing-glyph box."""
    if char.isspace() or char.isascii():
        return True
    font = _font(24)

    def pixels(text: str) -> bytes:
        canvas = Image.new("L", (48, 48))
        ImageDraw.Draw(canvas).text((4, 4), text, font=font, fill=255)
        return canvas.tobytes()

    return pixels(char) != pixels("\uffff")


def _drawable(text: str) -> str:
    """``text`` folded to what the bundled font can draw: é -> e, — -> -, else ?."""
    folded: list[str] = []
    for char in " ".join(text.split()).translate(_ASCII_FALLBACKS):
        if not _has_glyph(char):
            base = "".join(
                part
                for part in unicodedata.normalize("NFKD", char)
                if not unicodedata.combining(part)
            )
            char = base if base and all(_has_glyph(part) for part in base) else "?"
        folded.append(char)
    return "".join(folded)


def _line_height(font: _FontType) -> int:
    if isinstance(font, ImageFont.FreeTypeFont):
        ascent, descent = font.getmetrics()
        return ascent + descent
    _left, top, _right, bottom = font.getbbox("Ag")
    return int(bottom - top)


def _shorten(text: str, font: _FontType, max_width: float, *, cut: bool = False) -> str:
    """``text``, or as much of it as fits in ``max_width`` followed by an ellipsis.

    ``cut`` adds the ellipsis even when ``text`` fits, to say that more text followed.
    """
    if not cut and font.getlength(text) <= max_width:
        return text
    text = text.rstrip()
    while text and font.getlength(text + _ELLIPSIS) > max_width:
        text = text[:-1].rstrip()
    return text + _ELLIPSIS


def _wrap(text: str, font: _FontType, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap; overlong words are split; the last line ends in … if cut short."""
    if max_lines <= 0:
        return []
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while font.getlength(current) > max_width and len(current) > 1:
            cut = len(current) - 1
            while cut > 1 and font.getlength(current[:cut]) > max_width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _shorten(lines[-1], font, max_width, cut=True)
    return lines


def _fitting_size(text: str, preferred: int, max_width: float) -> int:
    """The largest font size up to ``preferred`` px at which ``text`` fits ``max_width``."""
    size = max(preferred, _MIN_FONT_SIZE)
    length = _font(size).getlength(text)
    while length > max_width and size > _MIN_FONT_SIZE:
        size = max(_MIN_FONT_SIZE, min(size - 1, int(size * max_width / length)))
        length = _font(size).getlength(text)
    return size


def _draw_stripes(
    draw: ImageDraw.ImageDraw, width: int, height: int, band: int, colour: Any
) -> None:
    for offset in range(-height, width, band * 2):
        draw.polygon(
            [
                (offset, 0),
                (offset + band, 0),
                (offset + band + height, height),
                (offset + height, height),
            ],
            fill=colour,
        )


def render_placeholder(
    width: int, height: int, *, title: str, subtitle: str, body: str, seed: str
) -> Image.Image:
    """The ``draft`` route's image: the same arguments always give the same pixels.

    Diagonal stripes in a colour pair derived from ``seed`` and a DRAFT badge mark it as a
    stand-in; a card carries ``title`` (large), ``subtitle`` and ``body`` (wrapped, cut
    with an ellipsis when too long), all scaled with the image so they stay legible.
    """
    if width <= 0 or height <= 0:
        raise ValueError(f"cannot render a {width}x{height} placeholder")
    palette = _palette(seed)
    image = Image.new("RGB", (width, height), palette.background)
    draw = ImageDraw.Draw(image)
    unit = min(width, height)
    _draw_stripes(draw, width, height, max(4, round(unit / 14)), palette.stripe)

    margin = max(3, round(unit * 0.05))
    badge_size = max(_MIN_FONT_SIZE, round(unit * 0.055))
    badge_font = _font(badge_size)
    badge_pad = max(2, round(badge_size * 0.35))
    badge_text_width = badge_font.getlength("DRAFT")
    badge_bottom = margin + _line_height(badge_font) + badge_pad
    draw.rectangle(
        (margin, margin, margin + badge_text_width + 2 * badge_pad, badge_bottom),
        fill=palette.accent,
    )
    draw.text((margin + badge_pad, margin + badge_pad // 2), "DRAFT", font=badge_font, fill=_WHITE)

    card_top = badge_bottom + max(2, margin // 2)
    card = (margin, card_top, width - margin, height - margin)
    padding = max(3, round(unit * 0.045))
    inner_left = card[0] + padding
    inner_width = card[2] - card[0] - 2 * padding
    inner_top = card[1] + padding
    inner_height = card[3] - card[1] - 2 * padding
    if inner_width < _MIN_FONT_SIZE or inner_height < _MIN_FONT_SIZE:
        return image  # too small for text: the stripes and badge still say DRAFT
    draw.rounded_rectangle(
        card,
        radius=max(2, margin // 2),
        fill=palette.card,
        outline=palette.outline,
        width=max(1, round(unit / 320)),
    )

    title_text = _drawable(title)
    title_size = _fitting_size(title_text, round(unit * 0.14), inner_width)
    title_font = _font(title_size)
    title_text = _shorten(title_text, title_font, inner_width)
    body_size = max(_MIN_FONT_SIZE, round(unit * 0.042))
    body_font = _font(body_size)
    subtitle_text = _drawable(subtitle)
    subtitle_size = max(body_size, round(title_size * 0.42))
    subtitle_font = _font(_fitting_size(subtitle_text, subtitle_size, inner_width))
    subtitle_text = _shorten(subtitle_text, subtitle_font, inner_width)

    title_height = _line_height(title_font)
    subtitle_height = _line_height(subtitle_font)
    gap = max(2, round(unit * 0.025))
    body_line = round(_line_height(body_font) * 1.15)
    body_space = inner_height - title_height - subtitle_height - 3 * gap
    body_lines = _wrap(_drawable(body), body_font, inner_width, max(0, body_space // body_line))

    show_subtitle = title_height + gap + subtitle_height <= inner_height
    content_height = title_height
    if show_subtitle:
        content_height += gap + subtitle_height
    if body_lines:
        content_height += 2 * gap + body_line * len(body_lines)
    # Centre the text block vertically in the card.
    y = inner_top + max(0, (inner_height - content_height) // 2)
    # The bundled font has no bold face: a thin stroke in the same colour stands in for one.
    draw.text(
        (inner_left, y),
        title_text,
        font=title_font,
        fill=palette.accent,
        stroke_width=title_size // 48,
        stroke_fill=palette.accent,
    )
    y += title_height
    if show_subtitle:
        y += gap
        draw.text((inner_left, y), subtitle_text, font=subtitle_font, fill=palette.muted)
        y += subtitle_height
    if body_lines:
        y += gap
        draw.line(
            (inner_left, y, inner_left + inner_width, y),
            fill=palette.outline,
            width=max(1, round(unit / 400)),
        )
        y += gap
        for line in body_lines:
            draw.text((inner_left, y), line, font=body_font, fill=palette.text)
            y += body_line
    return image
