from __future__ import annotations

import os
from pathlib import Path

from assetgen.canonical import sha256_bytes
from assetgen.hashcache import HashCache


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
