"""Keep a PNG's image data, replace its metadata.

When a route answers with a PNG that is already the asset's final file (right size, PNG
wanted, default encoding, no chroma key), re-encoding its pixels only spends CPU: ~35 ms
per 1024x1024 image, most of a build's client-side work. `rewrap` keeps the critical
chunks byte for byte, drops the ancillary ones a re-encode would drop too (text, time,
physical size, colour hints, C2PA) and adds assetgen's iTXt record. Any
PNG it cannot treat exactly so (16-bit or sub-byte samples, interlacing, EXIF orientation,
animation, chunks it does not know) returns None, and the caller re-encodes.
"""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IMAGE_CHUNKS = frozenset({b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"})
# Kept like imaging.encode keeps an ICC profile: without it wide-gamut colours would shift.
_KEPT_ANCILLARY = frozenset({b"iCCP"})
# What a Pillow re-encode would not write either.
_DROPPED = frozenset({b"tEXt", b"zTXt", b"iTXt", b"tIME", b"pHYs", b"gAMA", b"cHRM",
                      b"sRGB", b"sBIT", b"bKGD", b"hIST", b"sPLT", b"caBX", b"dSIG"})
_COLOUR_TYPES = frozenset({0, 2, 3, 4, 6})  # grey, RGB, palette, grey+alpha, RGBA


def size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header, or None if ``data`` does not start as one."""
    if not data.startswith(SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _chunks(data: bytes) -> list[tuple[bytes, bytes]] | None:
    """(type, whole chunk bytes) in file order; None if the layout is not a PNG's."""
    chunks = []
    offset = len(SIGNATURE)
    while offset + 12 <= len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        end = offset + 12 + length
        if end > len(data):
            return None
        chunks.append((kind, data[offset:end]))
        offset = end
        if kind == b"IEND":
            return chunks if offset == len(data) else None
    return None


def _itxt(keyword: str, text: str) -> bytes:
    """An uncompressed iTXt chunk, as Pillow's `PngInfo.add_itxt(zip=False)` writes it."""
    body = keyword.encode("latin-1") + b"\0\0\0" + b"\0" + b"\0" + text.encode("utf-8")
    kind = b"iTXt"
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def rewrap(data: bytes, text: dict[str, str]) -> bytes | None:
    """``data``'s image chunks with ``text`` as iTXt chunks before the image data, or None
    when the file holds anything a re-encode would treat differently."""
    if not data.startswith(SIGNATURE):
        return None
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != 25:
        return None
    bit_depth, colour_type, _compression, _filter, interlace = chunks[0][1][16:21]
    if bit_depth != 8 or colour_type not in _COLOUR_TYPES or interlace != 0:
        return None
    out = [SIGNATURE]
    text_written = False
    for kind, chunk in chunks:
        if kind in _IMAGE_CHUNKS or kind in _KEPT_ANCILLARY:
            if kind == b"IDAT" and not text_written:
                out.extend(_itxt(key, value) for key, value in text.items())
                text_written = True
            out.append(chunk)
        elif kind not in _DROPPED:
            return None  # eXIf (orientation), acTL/fcTL/fdAT (animation), unknown chunks
    return b"".join(out) if text_written else None  # no IDAT: not an image Pillow wrote

