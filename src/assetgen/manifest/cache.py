"""A cache of the resolved manifest, for large manifests loaded on every commit.

Parsing and resolving a 2,000-asset manifest (validating every asset, checking every path
against symlink escapes, rendering every prompt) takes a few hundred milliseconds; the
resolved result only changes with the manifest's bytes, the code that resolves it and the
files it checks. Every command loads through here (`load.load_manifest_cached`); this
module imports no part of the loader, so that `verify` on unrelated files, answered from
the cache, loads none of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import assetgen
from assetgen.core.fsutil import (
    STATE_DIR_NAME,
    atomic_write,
    ensure_state_dir,
    escapes,
    read_within,
)
from assetgen.core.hashcache import code_stamp
from assetgen.errors import UnsafePathError
from assetgen.manifest.model import Manifest


def cache_file_for(manifest_path: Path) -> Path:
    """Where the resolved manifest is cached: `.assetgen/manifest.json` beside it."""
    return manifest_path.resolve().parent / STATE_DIR_NAME / "manifest.json"


# The resolved manifest is kept as JSON (never pickle: the folder is in
# the repository's tree) under .assetgen/, keyed by the manifest's bytes *and* its
# size/mtime/inode (so a copy committed by someone else never matches a fresh checkout), and
# re-validated against the filesystem on every use: output_dir and edit inputs must resolve as
# they did, and nothing below output_dir may be a symlink (the loader's escape checks would
# need re-running). Anything unusual falls back to the normal load.

_CACHE_FORMAT = 6  # 2: no `vars` in the cached manifest; 3: Asset.path_line; 4: generator, roots
# 5: an asset's `root:` (Asset.file outside output_dir), Manifest.site_folders; 6: a
# dataclass's values by position
_MAX_CACHE_BYTES = 256 * 1024 * 1024


class _Uncacheable(Exception):
    pass


# Exact types JSON writes and reads as they are: passed through without a call (most of a
# cached manifest's 50,000 values at 2,000 assets). Subclasses (ruamel's scalars) are not.
_PLAIN = frozenset({str, int, float, bool, type(None)})


def lookup(path: Path, cache_file: Path) -> tuple[Manifest | None, dict[str, Any] | None]:
    """(the cached manifest or None, the key a fresh load of ``path`` is stored under; None
    when the manifest cannot be read: the loader then reports why). ``path`` is resolved.
    Imports no parser: a hit costs the model's types only; on a miss
    `load.load_and_cache` loads it and keeps it under the key."""
    try:
        data = path.read_bytes()
        stat = path.stat()
    except OSError:
        return None, None
    key = _cache_key(path, data, stat)
    root = cache_file.parent.parent  # the state folder's parent: the manifest's folder
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, ImportError,
                             AttributeError, RecursionError, UnsafePathError, _Uncacheable):
        stored = json.loads(read_within(cache_file, root, _MAX_CACHE_BYTES).decode("utf-8"))
        if stored.get("key") == key:
            manifest = _decode(stored["manifest"])
            if isinstance(manifest, Manifest) and _still_valid(manifest, stored["checks"]):
                return manifest, key
    return None, key


def store(manifest: Manifest, key: dict[str, Any], cache_file: Path) -> None:
    """Keep ``manifest``, loaded from the bytes ``key`` describes, for the next run; a
    manifest that cannot be cached (symlinks below its folders) is not, silently."""
    root = cache_file.parent.parent
    with contextlib.suppress(OSError, ValueError, TypeError, UnsafePathError, _Uncacheable):
        document = {"key": key, "manifest": _encode(manifest), "checks": _checks(manifest)}
        ensure_state_dir(cache_file.parent, root=root)
        # Not fsynced: a torn cache fails to parse, or its key, and the manifest is loaded.
        atomic_write(cache_file, json.dumps(document, separators=(",", ":")).encode(),
                     root=root, durable=False)


def _cache_key(path: Path, data: bytes, stat: os.stat_result) -> dict[str, Any]:
    return {"format": _CACHE_FORMAT, "path": str(path), "sha256": hashlib.sha256(data).hexdigest(),
            "stat": [stat.st_size, stat.st_mtime_ns, stat.st_ino], "code": code_stamp(),
            "tool": assetgen.__version__,
            # Prompts render with Jinja2, and the variant formats accepted depend on the
            # Pillow build: either one installed anew is a new key. Stamped by their files,
            # found without importing them (Pillow and Jinja2 cost ~30 ms each to import).
            "pillow": _package_stamp("PIL"), "jinja2": _package_stamp("jinja2")}


def _package_stamp(name: str) -> list[int] | None:
    """Size and mtime of an installed package's `__init__.py`, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin:
        return None
    info = Path(spec.origin).stat()
    return [info.st_size, info.st_mtime_ns]


def _checks(manifest: Manifest) -> dict[str, Any]:
    files = sorted({str(i.path) for a in manifest.assets for i in a.inputs if not i.asset_id}
                   | {str(a.mask) for a in manifest.assets if a.mask is not None})
    if not _roots_plain(manifest):
        raise _Uncacheable("symlinks below output_dir or an asset's root")
    return {"output_dir": os.path.relpath(manifest.output_dir, manifest.root), "files": files}


def _still_valid(manifest: Manifest, checks: dict[str, Any]) -> bool:
    raw = checks["output_dir"]
    if escapes(raw, manifest.root) or (manifest.root / raw).resolve() != manifest.output_dir:
        return False
    for name in checks["files"]:
        file = Path(name)
        if not file.is_file() or file.resolve() != file:
            return False
    return _roots_plain(manifest)


def _roots_plain(manifest: Manifest) -> bool:
    """No symlink at or below output_dir and the assets' own roots (`root:`): the loader's
    escape checks on those paths hold as long as this does."""
    others = {a.base for a in manifest.assets} - {manifest.output_dir}
    return not _has_symlink(manifest.output_dir) and all(
        base.resolve() == base and not _has_symlink(base) for base in others)


def _has_symlink(folder: Path) -> bool:
    stack = [str(folder)]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        return True
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except FileNotFoundError:
            continue
    return False


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:  # three per asset, nearly always empty: before the slower checks
        return {"$tuple": [v if type(v) in _PLAIN else _encode(v) for v in value]}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):  # ruamel's ScalarFloat etc. become plain numbers
        return float(value) if isinstance(value, float) else int(value)
    if isinstance(value, Path):
        return {"$path": str(value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        label, names = _shape(type(value))
        # Values in field order, without the names: 2,000 assets' field names were 40 %
        # of the file, and of the time spent writing and reading it. Read from the
        # instance's __dict__ where it has one (a frozen dataclass does): no getattr each.
        try:
            held = value.__dict__
            values = [held[n] for n in names]
        except (AttributeError, KeyError):  # slots, or a field kept elsewhere
            values = [getattr(value, n) for n in names]
        return {"$dc": label, "values": [v if type(v) in _PLAIN else _encode(v)
                                         for v in values]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: _encode(v) for k, v in value.items()}}
    raise _Uncacheable(kind.__name__)


@functools.cache
def _shape(kind: type) -> tuple[str, tuple[str, ...]]:
    """A dataclass's cache label and the fields written (those `__init__` takes)."""
    if not kind.__module__.startswith("assetgen."):
        raise _Uncacheable(kind.__name__)
    names = tuple(f.name for f in dataclasses.fields(kind)
                  if f.init and not (kind is Manifest and f.name == "by_id"))
    return f"{kind.__module__}:{kind.__qualname__}", names


def _decode(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, list):
        return [v if type(v) in _PLAIN else _decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$path" in value:
        return Path(value["$path"])
    if "$dc" in value:
        kind = _dataclass(value["$dc"])
        names, values = _shape(kind)[1], value["values"]
        if not isinstance(values, list) or len(values) != len(names):
            raise _Uncacheable(f"{value['$dc']}: {len(values)} values")
        return kind(**{n: v if type(v) in _PLAIN else _decode(v)
                       for n, v in zip(names, values, strict=True)})
    if "$tuple" in value:
        return tuple([_decode(v) for v in value["$tuple"]])
    if "$dict" in value:
        return {k: _decode(v) for k, v in value["$dict"].items()}
    raise _Uncacheable("unexpected object")


@functools.cache
def _dataclass(name: str) -> Any:
    """Only assetgen's own dataclasses are ever rebuilt from the cache."""
    module, _, qualname = name.partition(":")
    if not module.startswith("assetgen.") or "." in qualname:
        raise _Uncacheable(name)
    kind = getattr(importlib.import_module(module), qualname, None)
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise _Uncacheable(name)
    return kind
