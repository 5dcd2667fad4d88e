from __future__ import annotations

from pathlib import Path

import pytest

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


def test_a_master_not_paid_for_is_answered_without_the_safe_walk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build asks for up to four generation hashes per asset, nearly all absent: one
    stat answers those; only an index entry that exists is read symlink-safely."""
    from assetgen.build import masters

    cache = MastersCache(tmp_path / ".assetgen" / "masters", root=tmp_path)
    safe_reads: list[Path] = []
    real_read_within = masters.read_within

    def counting(path: Path, root: Path, limit: int | None = None) -> bytes:
        safe_reads.append(path)
        return real_read_within(path, root, limit)

    monkeypatch.setattr(masters, "read_within", counting)
    assert cache.get("sha256:" + "ab" * 32) is None and safe_reads == []
    cache.put("sha256:" + "cd" * 32, b"bytes", "png", {})
    assert cache.get("sha256:" + "cd" * 32) is not None and len(safe_reads) == 2


def test_an_index_entry_symlinked_out_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    cache = MastersCache(tmp_path / "repo" / ".assetgen" / "masters", root=tmp_path / "repo")
    cache.put("sha256:" + "cd" * 32, b"bytes", "png", {})
    outside = tmp_path / "outside"
    (tmp_path / "repo" / ".assetgen" / "masters" / "index").rename(outside)
    (tmp_path / "repo" / ".assetgen" / "masters" / "index").symlink_to(
        outside, target_is_directory=True)
    assert cache.get("sha256:" + "cd" * 32) is None
