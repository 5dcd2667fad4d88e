"""The `draft` route's placeholder: a deterministic, legible stand-in drawn with Pillow."""

from __future__ import annotations

import colorsys
import hashlib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image, ImageDraw, ImageFont

    _FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont

_WHITE = (255, 255, 255)
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
    from PIL import ImageFont  # Pillow loads on first use
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1024)
def _has_glyph(char: str) -> bool:
    """Whether the bundled font draws ``char`` rather than its missing-glyph box."""
    from PIL import Image, ImageDraw  # Pillow loads on first use
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
    from PIL import ImageFont  # Pillow loads on first use
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
    from PIL import Image, ImageDraw  # Pillow loads on first use
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
