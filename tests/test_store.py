from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from assetgen.provenance import base_record, sidecar_path
from assetgen.store import PENDING_SUFFIX, commit, derive, pending_path, recover
from tests.fakes.sites import png_bytes, write_site


def _asset(tmp_path: Path, extra: str = ""):
    from assetgen.manifest import load_manifest

    write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    path: img/a.webp\n"
               "    prompt: x\n" + extra)
    return load_manifest(tmp_path / "assetgen.yaml").assets[0]


def _record(data: bytes, **extra: object) -> dict:
    from assetgen.canonical import sha256_bytes

    return base_record(asset="a", file="img/a.webp", sha256=sha256_bytes(data), bytes=len(data),
                       width=1, height=1, format="webp", route="draft", model="m", prompt="x",
                       quality="low", size="1024x1024", spec_hash="sha256:0",
                       created_at="2026-01-01T00:00:00Z", **extra)


def test_derive_fits_and_converts(tmp_path: Path) -> None:
    asset = _asset(tmp_path, "    width: 300\n    height: 100\n")
    derived = derive(png_bytes(1216, 640), asset)
    assert (derived.width, derived.height, derived.format) == (300, 100, "webp")
    assert [step["op"] for step in derived.postprocess] == ["fit", "encode"]


def test_derive_keeps_bytes_when_nothing_to_do(tmp_path: Path) -> None:
    asset = _asset(tmp_path)
    master = png_bytes(1024, 1024)
    from assetgen.imaging import decode, encode

    webp = encode(decode(master), "webp")
    derived = derive(webp, asset)
    assert derived.data == webp and derived.postprocess == []


def test_derive_fits_a_free_sized_master_to_the_asked_size(tmp_path: Path) -> None:
    asset = _asset(tmp_path)  # size defaults to 1024x1024
    derived = derive(png_bytes(1254, 1254), asset)
    assert (derived.width, derived.height) == (1024, 1024)


def test_commit_writes_image_then_sidecar(tmp_path: Path) -> None:
    image = tmp_path / "public" / "img" / "a.webp"
    commit(image, b"IMAGE", _record(b"IMAGE"))
    assert image.read_bytes() == b"IMAGE"
    record = json.loads(sidecar_path(image).read_text())
    assert record["bytes"] == 5 and record["schema"] == "assetgen.provenance/1"
    assert sidecar_path(image).read_text().endswith("}\n")
    assert not list(tmp_path.rglob(f"*{PENDING_SUFFIX}"))


def test_commit_refuses_an_incomplete_record(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lacks"):
        commit(tmp_path / "a.png", b"x", {"schema": "assetgen.provenance/1"})
    assert not (tmp_path / "a.png").exists()


def test_recover_completes_a_commit_interrupted_between_renames(tmp_path: Path) -> None:
    image = tmp_path / "img" / "a.webp"
    image.parent.mkdir()
    image.write_bytes(b"NEW")
    pending_path(image).write_text(json.dumps(_record(b"NEW")))
    notes = recover(tmp_path)
    assert "completed" in notes[0]
    assert json.loads(sidecar_path(image).read_text())["bytes"] == 3


def test_recover_discards_a_pending_sidecar_for_other_bytes(tmp_path: Path) -> None:
    image = tmp_path / "img" / "a.webp"
    image.parent.mkdir()
    image.write_bytes(b"OLD")
    pending_path(image).write_text(json.dumps(_record(b"NEW")))
    assert "discarded" in recover(tmp_path)[0]
    assert not sidecar_path(image).exists() and not pending_path(image).exists()


def test_recovered_image_is_valid(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    commit(image, png_bytes(4, 4), _record(png_bytes(4, 4)))
    with Image.open(image) as opened:
        assert opened.size == (4, 4)
