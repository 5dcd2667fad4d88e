"""Image headers: read once per file version, never raising on hostile files."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from assetgen.images import headers
from assetgen.images.headers import read_header


def _png(path: Path, size: tuple[int, int], text: str) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("note", text)
    Image.new("RGB", size, (1, 2, 3)).save(path, "PNG", pnginfo=info)


def test_a_header_says_format_size_and_metadata_and_is_read_once_per_version(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.png"
    _png(path, (30, 20), "first")
    opened: list[str] = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda p, *a, **k: opened.append(str(p))
                        or real_open(p, *a, **k))
    first = read_header(path)
    assert first is not None and (first.format, first.width, first.height) == ("png", 30, 20)
    assert first.info["note"] == "first" and read_header(str(path)) is first
    assert len(opened) == 1
    stat = path.stat()
    _png(path, (30, 20), "again")  # same size on disk, a new mtime: a new version
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = read_header(path)
    assert second is not None and second.info["note"] == "again" and len(opened) == 2
    with pytest.raises(TypeError):
        second.info["note"] = "changed"  # type: ignore[index]  # shared: read-only


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
