from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from assetgen.build.store import PENDING_SUFFIX, commit, derive, pending_path, recover
from assetgen.core.canonical import sha256_bytes
from assetgen.provenance.naming import sidecar_path
from assetgen.provenance.record import Record
from tests.fakes.sites import png_bytes, write_site


def _asset(tmp_path: Path, extra: str = ""):
    from assetgen.manifest.load import load_manifest

    write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    path: img/a.webp\n"
               "    prompt: x\n" + extra)
    return load_manifest(tmp_path / "assetgen.yaml").assets[0]


def _record(data: bytes, **extra: Any) -> Record:
    from assetgen.core.canonical import sha256_bytes

    return Record(asset="a", file="img/a.webp", sha256=sha256_bytes(data), bytes=len(data),
                  width=1, height=1, format="webp", route="draft", model="m", prompt="x",
                  quality="low", size="1024x1024", spec_hash="sha256:0",
                  created_at="2026-01-01T00:00:00Z", **extra)


def test_derive_fits_and_converts(tmp_path: Path) -> None:
    asset = _asset(tmp_path, "    width: 300\n    height: 100\n")
    derived = derive(png_bytes(1216, 640), asset)
    assert (derived.width, derived.height, derived.format) == (300, 100, "webp")
    assert [step["op"] for step in derived.postprocess] == ["fit", "encode"]


def test_derive_re_encodes_deterministically_with_the_asset_settings(tmp_path: Path) -> None:
    asset = _asset(tmp_path)
    master = png_bytes(1024, 1024)
    from assetgen.images.codec import decode, encode
    from assetgen.provenance.embed import read_record

    webp = encode(decode(master), "webp", quality=100)
    record = {"schema": "assetgen.embedded/1", "asset": "a", "route": "draft", "model": "m",
              "prompt_sha256": "sha256:0", "spec_hash": "sha256:1"}
    derived = derive(webp, asset, record=record)
    assert derived.data == derive(webp, asset, record=record).data
    assert derived.postprocess == [{"op": "encode", "from": "webp", "to": "webp",
                                    "quality": 82, "lossless": False}]
    assert read_record(derived.data) == record and derived.embedded["format"] == "xmp"
    assert derived.variants == ()


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


def test_recover_discards_a_pending_sidecar_that_is_not_a_whole_record(tmp_path: Path) -> None:
    image = tmp_path / "img" / "a.webp"
    image.parent.mkdir()
    image.write_bytes(b"NEW")
    pending_path(image).write_text(json.dumps(
        {"schema": "assetgen.provenance/1", "sha256": sha256_bytes(b"NEW")}))
    assert "discarded" in recover(tmp_path)[0]
    assert not sidecar_path(image).exists() and not pending_path(image).exists()


def test_recover_completes_a_commit_interrupted_between_renames(tmp_path: Path) -> None:
    image = tmp_path / "img" / "a.webp"
    image.parent.mkdir()
    image.write_bytes(b"NEW")
    pending_path(image).write_bytes(_record(b"NEW").to_json())
    notes = recover(tmp_path)
    assert "completed" in notes[0]
    assert json.loads(sidecar_path(image).read_text())["bytes"] == 3


def test_recover_discards_a_pending_sidecar_for_other_bytes(tmp_path: Path) -> None:
    image = tmp_path / "img" / "a.webp"
    image.parent.mkdir()
    image.write_bytes(b"OLD")
    pending_path(image).write_bytes(_record(b"NEW").to_json())
    assert "discarded" in recover(tmp_path)[0]
    assert not sidecar_path(image).exists() and not pending_path(image).exists()


def test_recovered_image_is_valid(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    commit(image, png_bytes(4, 4), _record(png_bytes(4, 4)))
    with Image.open(image) as opened:
        assert opened.size == (4, 4)


def test_commit_writes_variants_and_removes_obsolete_ones(tmp_path: Path) -> None:
    image = tmp_path / "img" / "a.webp"
    small = tmp_path / "img" / "a-10w.webp"
    old = tmp_path / "img" / "a-99w.webp"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"OLD VARIANT")
    record = _record(b"IMAGE", variants=[{"file": "img/a-10w.webp", "sha256":
                                          sha256_bytes(b"SMALL")}])
    commit(image, b"IMAGE", record, extra=[(small, b"SMALL")],
           obsolete=[(old, sha256_bytes(b"OLD VARIANT")), (small, sha256_bytes(b"x"))])
    assert image.read_bytes() == b"IMAGE" and small.read_bytes() == b"SMALL"
    assert not old.exists()  # listed before, not any more
    assert json.loads(sidecar_path(image).read_text())["variants"][0]["file"] == \
        "img/a-10w.webp"
    assert not [p for p in tmp_path.rglob("*") if ".assetgen-" in p.name]


def test_a_failed_commit_leaves_no_temp_files_or_pending_sidecar(tmp_path: Path) -> None:
    blocker = tmp_path / "img" / "a-10w.webp"
    blocker.mkdir(parents=True)  # a folder where the variant should go: the rename fails
    with pytest.raises(OSError):
        commit(tmp_path / "img" / "a.webp", b"IMAGE", _record(b"IMAGE"),
               extra=[(blocker, b"SMALL")])
    assert not (tmp_path / "img" / "a.webp").exists()
    assert sorted(p.name for p in (tmp_path / "img").iterdir()) == ["a-10w.webp"]


def test_recover_checks_variants_too(tmp_path: Path) -> None:
    image = tmp_path / "img" / "a.webp"
    variant = tmp_path / "img" / "a-10w.webp"
    image.parent.mkdir()
    image.write_bytes(b"NEW")
    variant.write_bytes(b"NEW SMALL")
    entry = {"file": "img/a-10w.webp", "sha256": sha256_bytes(b"NEW SMALL")}
    pending_path(image).write_bytes(_record(b"NEW", variants=[entry]).to_json())
    assert "completed" in recover(tmp_path)[0]
    sidecar_path(image).unlink()
    variant.write_bytes(b"OLD SMALL")  # the crash came before this variant's rename
    pending_path(image).write_bytes(_record(b"NEW", variants=[entry]).to_json())
    assert "discarded" in recover(tmp_path)[0]
    assert not sidecar_path(image).exists()
    escaping = {"file": "../../outside.webp", "sha256": sha256_bytes(b"NEW SMALL")}
    pending_path(image).write_bytes(_record(b"NEW", variants=[escaping]).to_json())
    assert "discarded" in recover(tmp_path)[0]


def test_derive_writes_variants_from_the_final_pixels(tmp_path: Path) -> None:
    asset = _asset(tmp_path, "    width: 300\n    height: 100\n"
                             "    variants: {widths: [100, 500], formats: [png, webp]}\n")
    derived = derive(png_bytes(1216, 640), asset)
    assert [(v.rel, v.width, v.height, v.format) for v in derived.variants] == [
        ("img/a-100w.png", 100, 33, "png"), ("img/a-100w.webp", 100, 33, "webp"),
        ("img/a-300w.png", 300, 100, "png")]
    for variant in derived.variants:
        with Image.open(io.BytesIO(variant.data)) as opened:
            assert opened.size == (variant.width, variant.height)


def _png_asset(tmp_path: Path, extra: str = ""):
    from assetgen.manifest.load import load_manifest

    write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    path: img/a.png\n"
               "    prompt: x\n    size: 1024x1024\n" + extra)
    return load_manifest(tmp_path / "assetgen.yaml").assets[0]


_STAMP = {"schema": "assetgen.embedded/1", "asset": "a", "route": "draft", "model": "m",
          "prompt_sha256": "sha256:0", "spec_hash": "sha256:1"}


def _idat(data: bytes) -> bytes:
    from assetgen.images import pngdata
    return b"".join(c for kind, c in pngdata._chunks(data) or [] if kind == b"IDAT")


def test_a_png_master_that_is_already_the_final_file_keeps_its_image_data(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.images import codec as imaging
    from assetgen.provenance.embed import read_record

    master = png_bytes(1024, 1024)
    monkeypatch.setattr(imaging, "decode_checked", _no_decode)
    derived = derive(master, _png_asset(tmp_path), record=_STAMP)
    assert _idat(derived.data) == _idat(master)
    assert derived.postprocess == [{"op": "embed", "to": "png", "image_data": "kept"}]
    assert read_record(derived.data) == _STAMP and derived.embedded["format"] == "png-itxt"
    assert (derived.width, derived.height, derived.format) == (1024, 1024, "png")


@pytest.mark.parametrize("extra", [
    "    encoding: {png: {optimize: true}}\n",  # asks for a re-encode
    "    transparent: chroma\n",  # changes pixels
    "    width: 512\n    height: 512\n",  # changes size
])
def test_a_png_master_is_re_encoded_when_the_asset_asks_for_more(tmp_path: Path,
                                                                  extra: str) -> None:
    derived = derive(png_bytes(1024, 1024), _png_asset(tmp_path, extra), record=_STAMP)
    assert derived.postprocess[-1]["op"] == "encode"


def test_derive_decodes_at_most_once_and_not_at_all_when_given_the_pixels(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.images import codec as imaging
    master = png_bytes(1024, 1024)
    checked = imaging.decode_checked(master)
    monkeypatch.setattr(imaging, "decode_checked", _no_decode)
    asset = _png_asset(tmp_path, "    variants: {widths: [256], formats: [webp]}\n")
    derived = derive(master, asset, record=_STAMP, decoded=checked)  # variants need pixels
    assert [(v.rel, v.width) for v in derived.variants] == [("img/a-256w.webp", 256)]
    webp = derive(master, _asset(tmp_path), record=_STAMP, decoded=checked)
    assert webp.format == "webp" and webp.postprocess[-1]["op"] == "encode"


def _no_decode(data: bytes):
    raise AssertionError("decoded again")


@pytest.mark.parametrize("output_dir", ["public", "."])
def test_recover_finishes_a_commit_in_an_asset_root(tmp_path: Path, output_dir: str) -> None:
    # An asset with `root: assets` (SPEC 7): its record's names are relative to assets/,
    # also when output_dir is the site folder itself (Jekyll) and the walk finds it there.
    image = tmp_path / "assets" / "img" / "a.webp"
    variant = image.with_name("a-256w.webp")
    image.parent.mkdir(parents=True)
    image.write_bytes(b"NEW")
    variant.write_bytes(b"VAR")
    entry = {"file": "img/a-256w.webp", "sha256": sha256_bytes(b"VAR"), "width": 1,
             "height": 1, "format": "webp", "bytes": 3}
    pending_path(image).write_bytes(_record(b"NEW", variants=[entry]).to_json())
    notes = recover(tmp_path / output_dir, tmp_path / "assets")
    assert notes == ["completed the interrupted write of a.webp"]
    assert sidecar_path(image).is_file()


def test_recover_discards_a_record_whose_file_is_not_the_image(tmp_path: Path) -> None:
    image = tmp_path / "img" / "b.webp"  # the record says img/a.webp
    image.parent.mkdir()
    image.write_bytes(b"NEW")
    pending_path(image).write_bytes(_record(b"NEW").to_json())
    assert "discarded" in recover(tmp_path)[0]
