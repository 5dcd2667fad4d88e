"""What an image file's headers say, read with Pillow without decoding pixels: its format,
size, EXIF orientation and metadata (text chunks, XMP).

Cached by the file's fingerprint (path, size, mtime, inode): a verify asks several questions
of one file (its embedded record, its AI marking, its displayed size), and Pillow opens it
once for all of them. A file that changes has a new fingerprint, so is read again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
_EXIF_FORMATS = frozenset({"jpeg", "webp", "tiff", "png"})


@dataclass(frozen=True)
class Header:
    format: str  # Pillow's name, lower case ("png", "jpeg", ...); "" when it has none
    width: int
    height: int
    orientation: int | None  # EXIF orientation, where the format carries one
    info: Mapping[str, Any]  # Pillow's `info`, read-only, keys as strings

    @property
    def displayed_size(self) -> tuple[int, int]:
        """Width and height as a browser shows the image (EXIF rotation applied)."""
        if self.orientation in _ROTATED:
            return self.height, self.width
        return self.width, self.height


def read_header(path: str | os.PathLike[str]) -> Header | None:
    """The header of the image at ``path``; None when it is missing or not an image Pillow
    can open (files in a repository are hostile: nothing here raises)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return _read(os.fspath(path), info.st_size, info.st_mtime_ns, info.st_ino)


@lru_cache(maxsize=32)
def _read(path: str, size: int, mtime_ns: int, inode: int) -> Header | None:
    from PIL import Image  # Pillow loads on first use

    try:
        with Image.open(path) as image:
            fmt = (image.format or "").lower()
            # A PNG's eXIf chunk is in `info` when it comes before the pixels; asking Pillow
            # for one that does not would decode the whole image to look after them.
            has_exif = fmt in _EXIF_FORMATS and (fmt != "png" or "exif" in image.info)
            orientation = image.getexif().get(0x0112) if has_exif else None
            return Header(fmt, image.width, image.height,
                          orientation if isinstance(orientation, int) else None,
                          MappingProxyType({str(k): v for k, v in image.info.items()}))
    except Exception:  # unreadable, truncated, not an image: no header to speak of
        return None
