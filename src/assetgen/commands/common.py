"""What several commands share: finding the manifest and choosing assets."""

from __future__ import annotations

import difflib
from pathlib import Path

from assetgen.errors import UsageError
from assetgen.manifest import Asset, Manifest, cache_file_for, find_manifest, load_manifest_cached


def open_manifest(manifest_path: Path | None, cwd: Path, *, cache: bool = True) -> Manifest:
    """The manifest at ``manifest_path`` or found upwards from ``cwd``, fully validated.

    Answered from the resolved-manifest cache (`manifest_cache`) when nothing it depends
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
