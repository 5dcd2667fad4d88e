"""The masters cache: every image a route returned, content-addressed.

`.assetgen/masters/<sha256>.<ext>` (or the manifest's `masters_dir`) holds the bytes;
`index/<generation hash>.json` remembers which request made them. A build that finds its
generation hash here reuses the master instead of paying for it again: this is how an
interrupted build resumes. A change to fitting, format, variants or encoding re-derives
from the master the sidecar names (`get_sha`) without a request.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from assetgen.core.canonical import readable_json, sha256_bytes
from assetgen.core.fsutil import atomic_write, read_within
from assetgen.core.secrets import redact_fields
from assetgen.errors import UnsafePathError
from assetgen.provenance.record import IDENTITY_FIELDS


class CachedMaster(NamedTuple):
    data: bytes
    sha256: str
    meta: dict[str, Any]


def _safe(sha256: Any, ext: Any) -> bool:
    """A sidecar's master fields name a file inside the cache, nothing else."""
    return (isinstance(sha256, str) and len(sha256) == 64
            and all(c in "0123456789abcdef" for c in sha256)
            and isinstance(ext, str) and ext.isalnum() and len(ext) <= 10)


def index_key(generation_hash: str) -> str:
    """The name a generation hash is indexed under (its hex part)."""
    return generation_hash.split(":")[-1]


class MastersCache:
    def __init__(self, folder: Path, *, root: Path | None = None) -> None:
        """``root``: the repository; the cache is then read and written only through
        folders that stay inside it (a state folder symlinked elsewhere is refused)."""
        self.folder = folder
        self.root = root

    def _read(self, path: Path) -> bytes:
        if self.root is None:
            return path.read_bytes()
        return read_within(path, self.root)

    def _index_file(self, generation_hash: str) -> Path:
        return self.folder / "index" / (index_key(generation_hash) + ".json")

    def get(self, generation_hash: str) -> CachedMaster | None:
        """The cached master for this generation spec, if present and intact."""
        index_file = self._index_file(generation_hash)
        if not os.path.lexists(index_file):
            # Most lookups are of masters not paid for yet: one stat answers them, where
            # the symlink-safe read below resolves and walks every folder first.
            return None
        try:
            meta = json.loads(self._read(index_file).decode("utf-8"))
            sha, ext = meta["sha256"], meta["ext"]
            if not _safe(sha, ext) or not isinstance(meta.get("extra") or {}, dict):
                return None
            data = self._read(self.folder / f"{sha}.{ext}")
        except (OSError, ValueError, KeyError, TypeError, RecursionError, UnsafePathError):
            return None
        if sha256_bytes(data) != sha:
            return None  # a damaged cache entry is ignored, never trusted
        return CachedMaster(data=data, sha256=sha, meta=meta)

    def indexed(self) -> frozenset[str]:
        """The `index_key` of every generation hash indexed now, from one listing: a plan
        asks it of every asset that needs building."""
        try:
            with os.scandir(self.folder / "index") as entries:
                return frozenset(entry.name[:-5] for entry in entries
                                 if entry.name.endswith(".json"))
        except OSError:  # no index yet (the first build), or unreadable: nothing cached
            return frozenset()

    def master_file(self, sha256: str, ext: str) -> Path:
        return self.folder / f"{sha256}.{ext}"

    def has_sha(self, sha256: object, ext: object) -> bool:
        """Whether the master with these bytes is here (existence only: cheap, for plans)."""
        return isinstance(sha256, str) and isinstance(ext, str) and _safe(sha256, ext) \
            and self.master_file(sha256, ext).is_file()

    def get_sha(self, sha256: object, ext: object) -> CachedMaster | None:
        """The master with these bytes, if present and intact (found by content, not spec)."""
        if not (isinstance(sha256, str) and isinstance(ext, str) and _safe(sha256, ext)):
            return None
        try:
            data = self._read(self.master_file(sha256, ext))
        except (OSError, UnsafePathError):
            return None
        if sha256_bytes(data) != sha256:
            return None
        return CachedMaster(data=data, sha256=sha256, meta={"sha256": sha256, "ext": ext})

    def put(self, generation_hash: str, data: bytes, ext: str, meta: dict[str, Any]) -> str:
        """Keep a paid master. Atomic (a kill leaves it whole or absent) but not fsynced:
        this runs while a request slot is held, and an entry a power loss tears is found
        by its sha256 on read and ignored (that image is then paid for again)."""
        sha = sha256_bytes(data)
        master = self.folder / f"{sha}.{ext}"
        if not master.exists():
            atomic_write(master, data, durable=False, root=self.root)
        record = {**meta, "sha256": sha, "ext": ext, "generation_hash": generation_hash}
        atomic_write(self._index_file(generation_hash),
                     readable_json(redact_fields(record, IDENTITY_FIELDS)).encode(),
                     durable=False, root=self.root)
        return sha

    def forget(self, generation_hash: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._index_file(generation_hash).unlink()
