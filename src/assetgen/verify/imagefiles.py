"""Image files as verify sees them: HTML size attributes, header dimensions, and the images
and sidecars below a folder (split from check.py)."""

from __future__ import annotations

import os
from pathlib import Path

from assetgen.core.fsutil import PENDING_SUFFIX, TEMP_MARKER
from assetgen.images.headers import read_header
from assetgen.provenance.naming import SUFFIX
from assetgen.verify.suffixes import IMAGE_SUFFIXES

_TEMP_MARKERS = (TEMP_MARKER, PENDING_SUFFIX)


def pixels(value: str | None) -> float | None:
    """An HTML width/height attribute as a number of pixels (`100%` and `auto` are not)."""
    try:
        number = float((value or "").strip().lower().removesuffix("px"))
    except ValueError:
        return None
    return number if number > 0 else None


def read_dimensions(path: str) -> tuple[int, int] | None:
    """Displayed size from the header only (EXIF rotation applied); None if unreadable."""
    header = read_header(path)
    if header is None:  # not an image Pillow can read: no aspect check for it
        return None
    width, height = header.displayed_size
    return (width, height) if width > 0 and height > 0 else None


def walk_images(output_dir: Path) -> tuple[list[str], list[str]]:
    """Image files and sidecars below ``output_dir`` (temp files of a live build skipped)."""
    images: list[str] = []
    sidecars: list[str] = []
    for folder, dirs, names in os.walk(output_dir):
        dirs[:] = [d for d in dirs if d not in (".git", "node_modules")]
        for name in names:
            if any(marker in name for marker in _TEMP_MARKERS):
                continue
            if name.endswith(SUFFIX):
                sidecars.append(os.path.join(folder, name))
            elif os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES:
                images.append(os.path.join(folder, name))
    return images, sidecars
