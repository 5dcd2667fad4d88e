"""pngdata.rewrap keeps a PNG's image data byte for byte and swaps its metadata."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from assetgen.images import pngdata
from assetgen.images.codec import decode_checked
from assetgen.provenance import embed

RECORD_TEXT = {embed.PNG_KEY: '{"asset":"a","schema":"assetgen.embedded/1"}'}


def _png(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **options)
    return buffer.getvalue()


def _chunk_types(data: bytes) -> list[bytes]:
    chunks = pngdata._chunks(data)
    assert chunks is not None
    return [kind for kind, _ in chunks]


def _idat(data: bytes) -> bytes:
    return b"".join(chunk for kind, chunk in pngdata._chunks(data) or [] if kind == b"IDAT")


def _with_chunk(data: bytes, kind: bytes, body: bytes) -> bytes:
    """``data`` with one more chunk right after IHDR."""
    chunk = (struct.pack(">I", len(body)) + kind + body
             + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return data[:33] + chunk + data[33:]


def _noisy(mode: str = "RGB", size: tuple[int, int] = (64, 48)) -> Image.Image:
    return Image.frombytes(mode, size, bytes((i * 37) % 251 for i in range(
        size[0] * size[1] * len(mode))))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "P"])
def test_rewrap_keeps_the_pixels_and_the_image_data_bytes(mode: str) -> None:
    source = _noisy("RGB").convert(mode)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "somebody else")
    master = _png(source, pnginfo=info, dpi=(144, 144))
    out = pngdata.rewrap(master, RECORD_TEXT)
    assert out is not None
    assert _idat(out) == _idat(master)
    assert b"tEXt" not in _chunk_types(out) and b"pHYs" not in _chunk_types(out)
    decoded = decode_checked(out)  # CRCs checked, pixels decode
    assert decoded.image.tobytes() == decode_checked(master).image.tobytes()
    assert decoded.image.info.get(embed.PNG_KEY) == RECORD_TEXT[embed.PNG_KEY]
    assert pngdata.size(out) == source.size


def test_rewrap_writes_the_itxt_chunk_as_pillow_does() -> None:
    from assetgen.images.codec import encode

    image = _noisy()
    by_pillow = encode(image, "png", png_text=RECORD_TEXT)
    ours = pngdata.rewrap(_png(image), RECORD_TEXT) or b""
    itxt = [chunk for kind, chunk in pngdata._chunks(by_pillow) or [] if kind == b"iTXt"]
    assert itxt and itxt[0] in ours


def test_rewrap_keeps_an_icc_profile_like_a_re_encode() -> None:
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = pngdata.rewrap(_png(_noisy(), icc_profile=profile), RECORD_TEXT)
    assert out is not None and b"iCCP" in _chunk_types(out)
    assert Image.open(io.BytesIO(out)).info["icc_profile"] == profile


@pytest.mark.parametrize(("why", "make"), [
    ("16-bit samples", lambda: _png(Image.new("I;16", (8, 8), 300))),
    ("interlaced", lambda: _interlaced()),
    ("EXIF orientation", lambda: _with_chunk(_png(_noisy()), b"eXIf", b"MM\x00*")),
    ("animation", lambda: _with_chunk(_png(_noisy()), b"acTL", b"\x00" * 8)),
    ("an unknown chunk", lambda: _with_chunk(_png(_noisy()), b"prVt", b"x")),
    ("not a PNG", lambda: b"GIF89a" + b"\x00" * 40),
    ("truncated", lambda: _png(_noisy())[:-20]),
    ("bytes after IEND", lambda: _png(_noisy()) + b"junk"),
])
def test_rewrap_declines_what_a_re_encode_would_treat_differently(why: str, make) -> None:
    assert pngdata.rewrap(make(), RECORD_TEXT) is None, why


def _interlaced() -> bytes:
    data = bytearray(_png(_noisy()))
    data[28] = 1  # IHDR interlace method; the CRC does not matter to rewrap's check
    return bytes(data)
