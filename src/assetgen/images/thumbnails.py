"""Small WebP previews of image files (the report card's tiles)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from assetgen.errors import ImageError


@dataclass(frozen=True)
class Thumbnail:
    webp: bytes
    width: int  # the thumbnail's
    height: int
    source_width: int  # the file's
    source_height: int
    source_format: str  # Pillow's name, lower case


def webp_thumbnail(path: Path, box: tuple[int, int], quality: int) -> Thumbnail:
    """``path`` shrunk to fit ``box`` (upright, as its EXIF orientation says), as WebP;
    ImageError saying why when it cannot be decoded (a hostile file is never a crash)."""
    from PIL import Image, ImageOps  # Pillow loads on first use

    try:
        with Image.open(path) as image:
            width, height, fmt = image.width, image.height, (image.format or "").lower()
            image.draft("RGB", box)  # JPEG: decode at a reduced scale
            small = ImageOps.exif_transpose(image)
            small.thumbnail(box, Image.Resampling.LANCZOS)
            has_alpha = small.mode in ("RGBA", "LA", "PA") or "transparency" in small.info
            small = small.convert("RGBA" if has_alpha else "RGB")
            buffer = io.BytesIO()
            small.save(buffer, "WEBP", quality=quality, method=4)
    except Exception as exc:  # any decoder failure
        raise ImageError(_decode_failure(exc)) from exc
    return Thumbnail(buffer.getvalue(), small.width, small.height, width, height, fmt)


def _decode_failure(exc: Exception) -> str:
    from PIL import Image, UnidentifiedImageError

    if isinstance(exc, UnidentifiedImageError):
        return "not an image format Pillow can read"
    if isinstance(exc, Image.DecompressionBombError):
        return "too many pixels to preview"
    if isinstance(exc, OSError) and "truncated" in str(exc):
        return "the file is truncated"
    return f"cannot be decoded ({type(exc).__name__})"
