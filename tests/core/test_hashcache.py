from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

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


def test_a_cache_is_saved_atomically_without_fsync(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / ".assetgen"
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    first.write_bytes(b"x")
    second.write_bytes(b"y")
    cache = HashCache(state / "hashes.json")
    cache.sha256(first)
    cache.save()  # makes the state folder (and its .gitignore, written durably once)
    cache.sha256(second)
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    cache.save()
    assert synced == []  # a torn cache is unreadable JSON: read as empty, rehashed
    assert len(json.loads((state / "hashes.json").read_text())) == 2
    assert not [p for p in state.iterdir() if p.name not in ("hashes.json", ".gitignore")]


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


def test_remember_contents_reads_a_changed_file_once_and_an_unchanged_one_never(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "index.html"
    page.write_bytes(b"<img src=a.png>")
    reads: list[Path] = []
    real_read = Path.read_bytes

    def read(self: Path) -> bytes:
        if self == page:
            reads.append(self)
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read)
    cache = HashCache(tmp_path / "hashes.json")
    assert cache.remember_contents(page, "scan:1", len) == 15
    assert reads == [page]  # one read, for the hash and the value
    assert cache.sha256(page) == sha256_bytes(b"<img src=a.png>")
    cache.save()
    reads.clear()
    again = HashCache(tmp_path / "hashes.json")
    assert again.remember_contents(page, "scan:1", lambda data: pytest.fail("computed")) == 15
    assert reads == []
    stat = page.stat()
    page.write_bytes(b"<img src=b.png>")  # same size, new mtime: a new page
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert again.remember_contents(page, "scan:1", lambda data: data.decode()) == \
        "<img src=b.png>"


def test_a_memo_replaces_the_older_one_of_its_kind(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"one")
    cache = HashCache(tmp_path / "hashes.json")
    cache.remember(image, "marking:images:unsigned", lambda: 1)
    cache.remember(image, "embedded:sha256:x", lambda: 2)
    cache.remember_contents(image, "scan:old", len)
    cache.remember_contents(image, "scan:new", len)
    cache.remember(image, "marking:images:signed:abc", lambda: 3)
    cache.save()
    memo = HashCache(tmp_path / "hashes.json")._entries[str(image)][4]
    assert memo == {"embedded:sha256:x": 2, "scan:new": 3, "marking:images:signed:abc": 3}


def test_the_code_stamp_follows_assetgen_s_files(monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.core import hashcache

    before = hashcache.code_stamp()
    assert len(before) == 64 and hashcache.code_stamp() == before
    real_stat = os.stat

    def edited(path: str, *args: object, **kwargs: object) -> object:
        info = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if str(path).endswith("page_memo.py"):  # one byte more, the same mtime: an edit
            return SimpleNamespace(st_size=info.st_size + 1, st_mtime_ns=info.st_mtime_ns)
        return info

    hashcache.code_stamp.cache_clear()
    monkeypatch.setattr(hashcache.os, "stat", edited)
    assert hashcache.code_stamp() != before
    hashcache.code_stamp.cache_clear()
