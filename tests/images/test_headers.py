"""Image headers: read once per file version, never raising on hostile files."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from assetgen.images import codec, headers
from assetgen.images.headers import read_header
from assetgen.provenance import embed


def _png(path: Path, size: tuple[int, int], text: str) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("note", text)
    Image.new("RGB", size, (1, 2, 3)).save(path, "PNG", pnginfo=info)


def test_a_header_says_format_size_and_metadata_and_is_read_once_per_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.png"
    _png(path, (30, 20), "first")
    reads: list[bytes] = []
    real_walk = headers.png_header
    monkeypatch.setattr(headers, "png_header", lambda data: reads.append(data)
                        or real_walk(data))
    first = read_header(path)
    assert first is not None and (first.format, first.width, first.height) == ("png", 30, 20)
    assert first.text["note"] == "first" and read_header(str(path)) is first
    assert len(reads) == 1
    stat = path.stat()
    _png(path, (30, 20), "again")  # same size on disk, a new mtime: a new version
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = read_header(path)
    assert second is not None and second.text["note"] == "again" and len(reads) == 2
    with pytest.raises(TypeError):
        second.text["note"] = "changed"  # type: ignore[index]  # shared: read-only


def test_missing_and_hostile_files_have_no_header(tmp_path: Path) -> None:
    (tmp_path / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    (tmp_path / "folder.png").mkdir()
    assert read_header(tmp_path / "nope.png") is None
    assert read_header(tmp_path / "junk.png") is None
    assert read_header(tmp_path / "folder.png") is None
    assert read_header("bad\0name.png") is None


def test_the_displayed_size_follows_exif_rotation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: stored 40x10, shown 10x40
    buffer = io.BytesIO()
    Image.new("RGB", (40, 10)).save(buffer, "JPEG", exif=exif)
    (tmp_path / "r.jpg").write_bytes(buffer.getvalue())
    header = read_header(tmp_path / "r.jpg")
    assert header is not None and header.orientation == 6
    assert (header.width, header.height, header.displayed_size) == (40, 10, (10, 40))
    assert headers.Header("png", 3, 4, None, {}).displayed_size == (3, 4)


def test_a_png_header_is_read_without_decoding_its_pixels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "plain.png"
    _png(path, (64, 64), "x")
    decoded: list[str] = []
    real_load = PngImagePlugin.PngImageFile.load

    def load(self: PngImagePlugin.PngImageFile) -> object:
        decoded.append("load")
        return real_load(self)

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", load)
    header = read_header(path)
    assert header is not None and header.orientation is None and decoded == []


# --- the PNG walker answers as Pillow does, or leaves the file to Pillow ------------------

_keys = st.sampled_from(["Comment", "assetgen.provenance", "XML:com.adobe.xmp",
                         "XML:com.adobe.xmp", "exif", "", "Author"])
_values = st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF), max_size=12)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


@st.composite
def _text_chunk(draw: st.DrawFn) -> bytes:
    key = draw(_keys).encode("latin-1")
    value = draw(_values)
    kind = draw(st.sampled_from(["tEXt", "tEXt", "iTXt", "iTXt", "iTXt", "iTXt-z", "zTXt",
                                 "iTXt-bad", "eXIf", "junk"]))
    if kind == "tEXt":
        return _chunk(b"tEXt", key + b"\0" + value.encode("latin-1", "replace"))
    if kind == "iTXt":
        return _chunk(b"iTXt", key + b"\0\0\0en\0" + b"\0" + value.encode())
    if kind == "iTXt-z":
        return _chunk(b"iTXt", key + b"\0\1\0\0\0" + zlib.compress(value.encode()))
    if kind == "zTXt":
        return _chunk(b"zTXt", key + b"\0\0" + zlib.compress(value.encode("latin-1", "replace")))
    if kind == "iTXt-bad":
        return _chunk(b"iTXt", key + b"\0\0\0\0\0" + b"\xff\xfe" + value.encode())
    if kind == "eXIf":
        return _chunk(b"eXIf", b"MM\0*\0\0\0\x08\0\0")
    return _chunk(b"prVt", value.encode())


@st.composite
def _pngs(draw: st.DrawFn) -> bytes:
    buffer = io.BytesIO()
    size = (draw(st.integers(1, 9)), draw(st.integers(1, 9)))
    Image.new(draw(st.sampled_from(["RGB", "RGBA", "L", "P"])), size).save(buffer, "PNG")
    data = buffer.getvalue()
    idat = data.index(b"IDAT") - 4
    before = b"".join(draw(st.lists(_text_chunk(), max_size=4)))
    after = b"".join(draw(st.lists(_text_chunk(), max_size=2)))
    end = data.index(b"IEND") - 4
    png = data[:idat] + before + data[idat:end] + after + data[end:]
    if draw(st.integers(0, 3)) == 0 and before:  # a broken checksum somewhere in the metadata
        at = idat + len(before) - 1
        png = png[:at] + bytes([png[at] ^ 0xFF]) + png[at + 1:]
    return png


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@settings(max_examples=200, deadline=None)
@given(_pngs())
def test_the_png_walker_agrees_with_pillow_or_steps_aside(tmp_path_factory: pytest.TempPathFactory,
                                                          png: bytes) -> None:
    path = tmp_path_factory.mktemp("png") / "x.png"
    path.write_bytes(png)
    by_pillow = headers.pillow_header(str(path))
    walked = headers.png_header(png)
    if walked is not None:
        assert by_pillow is not None
        assert (walked.format, walked.width, walked.height, dict(walked.text)) == (
            by_pillow.format, by_pillow.width, by_pillow.height, dict(by_pillow.text))
    answer = headers._read.__wrapped__(str(path), len(png), 0, 0)
    assert (answer is None) == (by_pillow is None)
    if answer is not None and by_pillow is not None:
        assert dict(answer.text) == dict(by_pillow.text)


def test_what_assetgen_writes_is_walked_without_pillow() -> None:
    record = embed.make_record(asset="a", route="images.generate", model="m", prompt="p",
                               spec_hash="sha256:0")
    data = codec.encode(Image.new("RGB", (8, 8)), "png",
                        **embed.encode_options("png", record, source_type=embed.TRAINED))
    walked = headers.png_header(data)
    assert walked is not None and walked.text.get("xmp")
    assert embed.source_type_from_info(walked.text) == embed.TRAINED
    assert embed.record_from_info(walked.text) is not None


def test_a_real_sized_image_is_walked_though_its_pixels_outrun_the_bytes_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated 1024x1024 PNG is megabytes, its first IDAT chunk up to 64 KB: the header
    ends where that chunk starts (Pillow neither reads it nor checks its CRC to open)."""
    path = tmp_path / "photo.png"
    noise = Image.frombytes("RGB", (512, 512), os.urandom(512 * 512 * 3))
    path.write_bytes(codec.encode(noise, "png", **embed.encode_options(
        "png", None, source_type=embed.TRAINED)))
    assert path.stat().st_size > 64 * 1024
    monkeypatch.setattr(headers, "pillow_header", lambda p: pytest.fail("left to Pillow"))
    header = headers._read.__wrapped__(str(path), path.stat().st_size, 0, 0)
    assert header is not None
    assert (header.format, header.width, header.height) == ("png", 512, 512)
    assert embed.source_type_from_info(header.text) == embed.TRAINED


@pytest.mark.parametrize(("text_bytes", "by_pillow"), [(100, False), (20_000, False),
                                                      (100_000, True)])
def test_long_metadata_is_read_on_then_left_to_pillow(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text_bytes: int,
        by_pillow: bool) -> None:
    path = tmp_path / "long.png"
    _png(path, (4, 4), "x" * text_bytes)  # the text chunk comes before the pixels
    asked: list[object] = []
    real = headers.pillow_header
    monkeypatch.setattr(headers, "pillow_header", lambda p: asked.append(p) or real(p))
    header = headers._read.__wrapped__(str(path), path.stat().st_size, 0, 0)
    assert header is not None and bool(asked) == by_pillow
    if text_bytes <= headers.MAX_TEXT_BYTES:
        assert header.text["note"] == "x" * text_bytes
    else:  # longer than anything reads: not kept (Pillow accepts 64 MB of text a file)
        assert "note" not in header.text and header.format == "png"


def test_a_fifo_is_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    assert read_header(fifo) is None  # returns at once: a read would wait for a writer
