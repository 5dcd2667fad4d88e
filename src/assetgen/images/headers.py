"""What an image file's headers say, without decoding pixels: its format, size, EXIF
orientation and text metadata (PNG text chunks, XMP).

Cached by the file's fingerprint (path, size, mtime, inode): a verify asks several questions
of one file (its embedded record, its AI marking, its displayed size), and the file is read
once for all of them. A file that changes has a new fingerprint, so is read again.

The PNGs assetgen writes are read by a small chunk walker (a cold verify reads every
published image; Pillow's open costs ~60 us a file, this ~10). Anything it does not
expect (a bad checksum, compressed or odd text, EXIF, animation, other formats) is read
by Pillow instead, so both give the same answer (tests/images/test_headers.py).
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zlib
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import IO, Any, NamedTuple

_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
_EXIF_FORMATS = frozenset({"jpeg", "webp", "tiff", "png"})
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_FIRST_BYTES = 8 * 1024  # read first: holds what assetgen writes before the pixels
_PNG_HEAD_BYTES = 64 * 1024  # the metadata the walker reads must end within this
# Chunks the walker passes over (nothing of them is text): anything else goes to Pillow.
_PNG_PLAIN = frozenset({b"PLTE", b"tRNS", b"sRGB", b"gAMA", b"cHRM", b"pHYs", b"iCCP",
                        b"sBIT", b"bKGD", b"tIME", b"hIST", b"sPLT"})
_XMP_KEY = b"XML:com.adobe.xmp"
# (bit depth, colour type) pairs Pillow opens; other headers go to Pillow to be refused.
_PNG_MODES = frozenset({(1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2), (1, 3),
                        (2, 3), (4, 3), (8, 3), (8, 4), (16, 4), (8, 6), (16, 6)})
# Text values longer than this are left out of a header: nothing reads them (an XMP packet
# is read up to 64 KB), and Pillow accepts up to 64 MB of text a file, which a cache of
# headers would otherwise keep.
MAX_TEXT_BYTES = 64 * 1024
_PLAIN_PIXELS = 89_478_485  # Pillow's MAX_IMAGE_PIXELS: larger ones are left to its checks


class Header(NamedTuple):
    format: str  # Pillow's name, lower case ("png", "jpeg", ...); "" when it has none
    width: int
    height: int
    orientation: int | None  # EXIF orientation, where the format carries one
    # Text metadata, read-only: each text entry (PNG tEXt/iTXt/zTXt, str) and `xmp`, those
    # of at most MAX_TEXT_BYTES.
    text: Mapping[str, Any]

    @property
    def displayed_size(self) -> tuple[int, int]:
        """Width and height as a browser shows the image (EXIF rotation applied)."""
        if self.orientation in _ROTATED:
            return self.height, self.width
        return self.width, self.height


def read_header(path: str | os.PathLike[str]) -> Header | None:
    """The header of the image at ``path``; None when it is missing or not an image that
    can be read (files in a repository are hostile: nothing here raises)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None  # a folder, or a FIFO a read would block on
    return _read(os.fspath(path), info.st_size, info.st_mtime_ns, info.st_ino)


@lru_cache(maxsize=8)  # the questions about one file are asked one after another
def _read(path: str, size: int, mtime_ns: int, inode: int) -> Header | None:
    try:
        # A raw descriptor, not open(): no buffered file object for a read or two (half the
        # cost of reading the headers of 2,000 small images).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            # The metadata assetgen writes ends within a few KB; a larger head is read only
            # when the first does not reach the pixels (reading 64 KB of every large image
            # cost a cold verify of 2,000 of them ~100 ms).
            head = _read_up_to(fd, min(size, _PNG_FIRST_BYTES) or 1)
            if head.startswith(_PNG_SIGNATURE):
                found = png_header(head)
                if found is None and len(head) < min(size, _PNG_HEAD_BYTES):
                    found = png_header(head + _read_up_to(fd, _PNG_HEAD_BYTES - len(head)))
                if found is not None:
                    return found
        finally:
            os.close(fd)
    except OSError:
        return None
    return pillow_header(path)


def _read_up_to(fd: int, count: int) -> bytes:
    parts = []
    while count > 0 and (chunk := os.read(fd, count)):
        parts.append(chunk)
        count -= len(chunk)
    return b"".join(parts)


def header_of(data: bytes) -> Header | None:
    """The header of an image's bytes (what a build just encoded, what a route returned)."""
    if data.startswith(_PNG_SIGNATURE):
        found = png_header(data)
        if found is not None:
            return found
    return pillow_header(io.BytesIO(data))


def pillow_header(source: str | IO[bytes]) -> Header | None:
    """The header as Pillow reads it (any format it opens)."""
    from PIL import Image  # Pillow loads on first use

    try:
        with Image.open(source) as image:
            fmt = (image.format or "").lower()
            # A PNG's eXIf chunk is in `info` when it comes before the pixels; asking Pillow
            # for one that does not would decode the whole image to look after them.
            has_exif = fmt in _EXIF_FORMATS and (fmt != "png" or "exif" in image.info)
            orientation = _orientation(image) if has_exif else None
            text = {str(k): v for k, v in image.info.items()
                    if (isinstance(v, str) or k == "xmp") and len(v) <= MAX_TEXT_BYTES}
            return Header(fmt, image.width, image.height,
                          orientation if isinstance(orientation, int) else None,
                          MappingProxyType(text))
    except Exception:  # unreadable, truncated, not an image: no header to speak of
        return None


def _orientation(image: Any) -> Any:
    try:
        return image.getexif().get(0x0112)
    except Exception:  # EXIF that does not parse: no rotation to apply
        return None


def png_header(data: bytes) -> Header | None:
    """The header of a PNG from its first bytes, as Pillow would read it; None when the
    file holds anything this walker leaves to Pillow."""
    offset, size = len(_PNG_SIGNATURE), None
    text: dict[str, Any] = {}
    while offset + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT" and size is not None:
            # Pillow stops at the first IDAT without reading it (nor checking its CRC): an
            # IDAT longer than the bytes read (any real image's) still ends the header.
            return Header("png", size[0], size[1], None, MappingProxyType(text))
        body = data[offset + 8:offset + 8 + length]
        crc = data[offset + 8 + length:offset + 12 + length]
        if len(body) != length or len(crc) != 4 \
                or zlib.crc32(body, zlib.crc32(kind)) != int.from_bytes(crc, "big"):
            return None
        offset += 12 + length
        if size is None:
            if kind != b"IHDR" or length != 13 or (body[8], body[9]) not in _PNG_MODES \
                    or body[11] != 0 or body[12] not in (0, 1):
                return None
            size = struct.unpack(">II", body[:8])
            if not 0 < size[0] * size[1] <= _PLAIN_PIXELS:
                return None
        elif kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            if not key or key == b"exif":
                return None
            text[key.decode("latin-1")] = value.decode("latin-1", "replace")
        elif kind == b"iTXt":
            if not _itxt(body, text):
                return None
        elif kind not in _PNG_PLAIN:
            return None  # eXIf, zTXt, animation, private or unknown chunks
    return None


def _itxt(body: bytes, text: dict[str, Any]) -> bool:
    """An uncompressed iTXt chunk into ``text`` as Pillow reads it; False to leave it to
    Pillow (compressed, malformed, not UTF-8)."""
    key, _, rest = body.partition(b"\0")
    if len(rest) < 2 or rest[0] != 0 or key == b"exif":
        return False
    language, tail = rest[2:].partition(b"\0")[0::2]
    translated, separator, value = tail.partition(b"\0")
    if not separator:
        return False
    try:
        key.decode("latin-1")
        language.decode("utf-8")
        translated.decode("utf-8")
        decoded = value.decode("utf-8")
    except UnicodeError:
        return False
    if key == _XMP_KEY:
        text["xmp"] = value
    text[key.decode("latin-1")] = decoded
    return True
