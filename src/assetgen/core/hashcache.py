"""Re-derive file hashes cheaply: reuse a hash while size, mtime and inode are unchanged.

The cache is a plain JSON file under `.assetgen/`; dropping it (or `--no-cache`)
only costs time. Hashes are still always derived from disk, never from a sidecar.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import assetgen
from assetgen.core.canonical import sha256_bytes, sha256_file
from assetgen.core.fsutil import atomic_write, ensure_state_dir, read_within
from assetgen.errors import UnsafePathError

T = TypeVar("T")

PARALLEL_MIN_BYTES = 16 * 1024 * 1024


def _memo_of(entry: list[Any]) -> dict[str, Any]:
    """An entry's memos (the fifth item, when it is the dict `HashCache._keep` writes)."""
    return entry[4] if len(entry) > 4 and isinstance(entry[4], dict) else {}


def _hash_or_none(file: Path) -> str | None:
    try:
        return sha256_file(file)
    except OSError:
        return None


MAX_CACHE_BYTES = 64 * 1024 * 1024
# The caches' files in a site's state folder: file hashes (and header-check memos), and
# the pages' remembered references (verify.page_memo), apart so a build never loads them.
HASHES_FILE = "hashes.json"
PAGES_FILE = "pages.json"


@cache
def code_stamp() -> str:
    """assetgen's own code, by the size and mtime of each of its `.py` files: part of the
    key of every cache whose answers that code computes (the resolved manifest, the page
    memos), so that any change to it, an upgrade or an edit, is a new key."""
    code = hashlib.sha256()
    package = Path(assetgen.__file__).parent
    for folder, _, names in sorted(os.walk(package)):
        for name in sorted(n for n in names if n.endswith(".py")):
            info = os.stat(os.path.join(folder, name))
            code.update(f"{folder}/{name}:{info.st_size}:{info.st_mtime_ns};".encode())
    return code.hexdigest()


class HashCache:
    def __init__(self, path: Path | None, *, root: Path | None = None) -> None:
        """``root``: the repository; the cache file is then read and written only through
        folders inside it. A cache that is unreadable or malformed is ignored."""
        self.path = path
        self.root = root
        self._entries: dict[str, list[Any]] = {}
        self._dirty = False
        # Fingerprints taken by `prefetch`, each used once by the `sha256` that follows it
        # (a plan stats each image once, not twice); a later call stats again.
        self._prefetched: dict[str, list[Any]] = {}
        # Keys whose entry `sha256` has checked against the file in this instance: what
        # `remember` memoises by (a verify asks two memos of every file).
        self._checked: set[str] = set()
        if path is not None:
            with contextlib.suppress(OSError, ValueError, RecursionError, UnsafePathError):
                data = (read_within(path, root, MAX_CACHE_BYTES) if root is not None
                        else path.read_bytes())
                loaded = json.loads(data.decode("utf-8"))
                if isinstance(loaded, dict):
                    self._entries = {key: entry for key, entry in loaded.items()
                                     if isinstance(entry, list) and len(entry) >= 4}

    def _lookup(self, file: Path) -> tuple[str, list[Any], str | None]:
        """``file``'s key, its current fingerprint and the cached hash if that still
        matches (None when stale); raises OSError if it cannot be stat'ed."""
        stat = file.stat()
        key = os.fspath(file)
        fingerprint = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        cached = self._entries.get(key)
        if cached and cached[:3] == fingerprint and isinstance(cached[3], str):
            return key, fingerprint, cached[3]
        return key, fingerprint, None

    def _store(self, key: str, fingerprint: list[Any], digest: str) -> None:
        self._entries[key] = [*fingerprint, digest]
        self._dirty = True

    def sha256(self, file: Path) -> str:
        """Hex SHA-256 of ``file``; raises OSError if it cannot be read."""
        key = os.fspath(file)
        fingerprint = self._prefetched.pop(key, None)
        cached = self._entries.get(key) if fingerprint is not None else None
        if cached is not None and cached[:3] == fingerprint and isinstance(cached[3], str):
            digest: str | None = cached[3]
        else:
            key, fingerprint, digest = self._lookup(file)
        if digest is None:
            digest = sha256_file(file)
            self._store(key, fingerprint, digest)
        self._checked.add(key)
        return digest

    def prefetch(self, files: Iterable[Path]) -> None:
        """Hash, on every core at once, those of ``files`` whose cached hash is stale.

        A cold check of many large images is bound by hashing, which hashlib does without
        holding the GIL: two cores hash 2,000 files of 256 KB in about half the time. Below
        `PARALLEL_MIN_BYTES` of stale data threads would cost more than they save, and
        `sha256` hashes on demand as before. Unreadable files are left to `sha256`.
        """
        workers = min(os.cpu_count() or 1, 8)
        stale: list[tuple[str, list[Any], Path]] = []
        stale_bytes = 0
        for file in files:
            try:
                key, fingerprint, digest = self._lookup(file)
            except OSError:
                continue
            if digest is None:
                stale.append((key, fingerprint, file))
                stale_bytes += fingerprint[0]
            else:
                self._prefetched[key] = fingerprint
        if workers < 2 or len(stale) < 2 or stale_bytes < PARALLEL_MIN_BYTES:
            return
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=workers) as pool:
            digests = list(pool.map(_hash_or_none, (file for _, _, file in stale)))
        for (key, fingerprint, _), digest in zip(stale, digests, strict=True):
            if digest is not None:
                self._store(key, fingerprint, digest)

    def remember(self, file: Path, tag: str, compute: Callable[[], T]) -> T:
        """A value derived from ``file`` (e.g. a header check), reused while the file's
        size, mtime and inode are unchanged and ``tag`` (what it was checked against) is
        the same. Values must be JSON-serialisable.

        A file this cache has already hashed is taken to be unchanged since: memos are for
        read-only passes (verify), which ask several of one file.
        """
        key = os.fspath(file)
        if key not in self._checked:
            self.sha256(file)  # makes sure the entry is current for this fingerprint
        entry = self._entries[key]
        memo = _memo_of(entry)
        if tag in memo:
            return memo[tag]  # type: ignore[no-any-return]
        value = compute()
        self._keep(entry, memo, tag, value)
        return value

    def remember_contents(self, file: Path, tag: str, compute: Callable[[bytes], T]) -> T:
        """`remember` for a value derived from the whole file (a page's references): reused
        while the file's size, mtime and inode are unchanged; else the file is read once,
        for its hash and for ``compute``. Raises OSError if it cannot be read."""
        key, fingerprint, digest = self._lookup(file)
        memo = _memo_of(self._entries[key]) if digest is not None else {}
        if tag in memo:
            self._checked.add(key)
            return memo[tag]  # type: ignore[no-any-return]
        data = file.read_bytes()
        if digest is None:
            self._store(key, fingerprint, sha256_bytes(data))
        self._checked.add(key)
        value = compute(data)
        self._keep(self._entries[key], memo, tag, value)
        return value

    def _keep(self, entry: list[Any], memo: dict[str, Any], tag: str, value: Any) -> None:
        # One memo per kind (the tag's text before its first colon): a memo made against
        # an older sidecar, setting or assetgen version is replaced, not kept beside it.
        kind = tag.split(":", 1)[0]
        kept = {t: v for t, v in memo.items() if t.split(":", 1)[0] != kind}
        entry[4:] = [{**kept, tag: value}]
        self._dirty = True

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        with contextlib.suppress(OSError, UnsafePathError):
            ensure_state_dir(self.path.parent, root=self.root)
            # Atomic but not fsynced (as the masters cache): a cache a power loss tears is
            # unreadable JSON, read as empty, and every file is hashed again.
            atomic_write(self.path, json.dumps(self._entries, separators=(",", ":")).encode(),
                         root=self.root, durable=False)
            self._dirty = False
