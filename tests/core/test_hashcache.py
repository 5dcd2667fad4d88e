from __future__ import annotations

import os
from pathlib import Path

import pytest

from assetgen.core.canonical import sha256_bytes
from assetgen.core.hashcache import HashCache


def test_cache_reuses_hash_until_the_file_changes(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"one")
    cache = HashCache(tmp_path / "hashes.json")
    assert cache.sha256(image) == sha256_bytes(b"one")
    cache.save()
    reloaded = HashCache(tmp_path / "hashes.json")
    stat = image.stat()
    assert reloaded.sha256(image) == sha256_bytes(b"one")
    image.write_bytes(b"two")  # same size, new mtime
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert reloaded.sha256(image) == sha256_bytes(b"two")


def test_corrupt_cache_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "hashes.json").write_text("{not json")
    image = tmp_path / "a.png"
    image.write_bytes(b"x")
    assert HashCache(tmp_path / "hashes.json").sha256(image) == sha256_bytes(b"x")


def test_prefetch_hashes_stale_files_in_parallel_once(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from assetgen.core import hashcache
    files = [tmp_path / f"f{i}.bin" for i in range(6)]
    for i, file in enumerate(files):
        file.write_bytes(bytes([i]) * 1000)
    monkeypatch.setattr(hashcache, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(hashcache.os, "cpu_count", lambda: 2)
    cache = hashcache.HashCache(tmp_path / "hashes.json")
    cache.prefetch([*files, tmp_path / "missing.bin"])  # a missing file is left alone

    def no_more_hashing(path: Path) -> str:
        raise AssertionError(f"hashed {path} again")

    monkeypatch.setattr(hashcache, "sha256_file", no_more_hashing)
    assert [cache.sha256(f) for f in files] == [
        hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    files[0].write_bytes(b"changed")  # a changed file is stale again: hashed on demand
    with pytest.raises(AssertionError, match="again"):
        cache.sha256(files[0])


def test_prefetch_leaves_small_batches_to_on_demand_hashing(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    from assetgen.core import hashcache
    file = tmp_path / "small.bin"
    file.write_bytes(b"x")
    calls: list[Path] = []
    monkeypatch.setattr(hashcache, "sha256_file", lambda p: calls.append(p) or "0" * 64)
    cache = hashcache.HashCache(None)
    cache.prefetch([file, file])  # far below PARALLEL_MIN_BYTES
    assert calls == []


def _count_stats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real_stat = Path.stat

    def counting_stat(self: Path, **kwargs: bool) -> os.stat_result:
        seen.append(self.name)
        return real_stat(self, **kwargs)

    monkeypatch.setattr(Path, "stat", counting_stat)
    return seen


def test_a_prefetched_fingerprint_spares_one_stat_then_files_are_stated_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"one")
    warm = HashCache(None)
    warm.sha256(image)  # cached: the prefetch finds it fresh
    stats = _count_stats(monkeypatch)
    warm.prefetch([image])
    assert warm.sha256(image) == sha256_bytes(b"one")
    assert stats == ["a.png"]  # the prefetch's stat only
    image.write_bytes(b"two!")
    assert warm.sha256(image) == sha256_bytes(b"two!")  # the fingerprint was used once


def test_remember_asks_no_stat_after_the_file_was_hashed_and_recomputes_in_a_new_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"one")
    cache = HashCache(tmp_path / "hashes.json")
    cache.sha256(image)
    stats = _count_stats(monkeypatch)
    assert cache.remember(image, "t", lambda: 1) == 1
    assert cache.remember(image, "u", lambda: 2) == 2
    assert cache.remember(image, "t", lambda: 99) == 1  # memoised
    assert stats == []
    cache.save()
    stat = image.stat()
    image.write_bytes(b"two")
    os.utime(image, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    fresh = HashCache(tmp_path / "hashes.json")
    assert fresh.remember(image, "t", lambda: 3) == 3  # a changed file: computed again
