"""What several commands share: finding the manifest and choosing assets."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator
from pathlib import Path

from assetgen.build import store
from assetgen.commands.reporting import Listener
from assetgen.core.fsutil import build_lock, ensure_state_dir, remove_stale_temp_files
from assetgen.errors import UsageError
from assetgen.manifest import Asset, Manifest
from assetgen.manifest.cache import cache_file_for
from assetgen.manifest.load import load_manifest_cached
from assetgen.manifest.locate import find_manifest


def open_manifest(manifest_path: Path | None, cwd: Path, *, cache: bool = True) -> Manifest:
    """The manifest at ``manifest_path`` or found upwards from ``cwd``, fully validated.

    Answered from the resolved-manifest cache (`manifest.cache`) when nothing it depends
    on changed; ``cache=False`` always parses.
    """
    path = manifest_path if manifest_path is not None else find_manifest(cwd)
    if manifest_path is not None and not path.exists():
        raise UsageError(f"{path}: no such manifest",
                         hint="check --manifest, or run `assetgen init` to create one")
    return load_manifest_cached(path, cache_file_for(path) if cache else None)


def select_assets(manifest: Manifest, ids: list[str], *, with_inputs: bool) -> list[Asset]:
    """The named assets (all when none are named), plus their inputs when asked."""
    if not ids:
        return list(manifest.assets)
    unknown = [i for i in ids if i not in manifest.by_id]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, list(manifest.by_id), n=1)
            hints.append(f"`{name}`" + (f" (did you mean `{close[0]}`?)" if close else ""))
        raise UsageError(f"unknown asset id {', '.join(hints)}",
                         hint="run `assetgen plan` to list the declared assets")
    chosen: dict[str, Asset] = {}

    def add(asset: Asset) -> None:
        if asset.id in chosen:
            return
        if with_inputs:
            for dep in asset.dependencies:
                add(manifest.by_id[dep])
        chosen[asset.id] = asset

    for name in ids:
        add(manifest.by_id[name])
    return list(chosen.values())


@contextlib.contextmanager
def build_session(manifest: Manifest, listener: Listener) -> Iterator[None]:
    """Hold the build lock, then finish or discard what a killed build left half-written.

    Every command that writes images (build, batch collection) runs inside one.
    """
    with build_lock(ensure_state_dir(manifest.state_dir, root=manifest.root) / "build.lock",
                    root=manifest.root):
        other_roots = sorted({a.base for a in manifest.assets} - {manifest.output_dir})
        for note in store.recover(manifest.output_dir, *other_roots):
            listener.note(f"recovered: {note}")
        # A killed command can also leave half-written local state: masters, the hash
        # and manifest caches (written by every command, outside the lock). Writers of
        # those caches ignore a vanished temp file, so removing them here is safe.
        remove_stale_temp_files(manifest.state_dir)
        if not manifest.masters_folder.is_relative_to(manifest.state_dir):
            remove_stale_temp_files(manifest.masters_folder)
        yield
