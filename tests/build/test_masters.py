from __future__ import annotations

from pathlib import Path

from assetgen.build.masters import MastersCache


def test_put_then_get_by_generation_hash(tmp_path: Path) -> None:
    cache = MastersCache(tmp_path / "masters")
    sha = cache.put("sha256:abc", b"PNGDATA", "png", {"request_id": "req_1"})
    hit = cache.get("sha256:abc")
    assert hit is not None and hit.data == b"PNGDATA" and hit.sha256 == sha
    assert hit.meta["request_id"] == "req_1"
    assert cache.get("sha256:other") is None


def test_a_damaged_master_is_never_trusted(tmp_path: Path) -> None:
    cache = MastersCache(tmp_path / "masters")
    sha = cache.put("sha256:abc", b"PNGDATA", "png", {})
    (tmp_path / "masters" / f"{sha}.png").write_bytes(b"PNGDATX")
    assert cache.get("sha256:abc") is None
