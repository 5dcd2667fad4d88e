"""Which assets, images and pages a list of files touches (how pre-commit scopes verify)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assetgen.manifest import Asset, Manifest
from assetgen.provenance.naming import SUFFIX, image_path_for
from assetgen.verify.references import IMAGE_SUFFIXES, Reference


def file_key(path: Path | str) -> str:
    """One spelling per file path (absolute, normalised, symlinks not resolved)."""
    return os.path.normpath(os.path.abspath(path))


@dataclass
class Scope:
    """What a list of files touches; ``everything`` when no files (or the manifest) are given."""

    everything: bool = True
    images: set[str] = field(default_factory=set)  # image paths (sidecars mapped to theirs)
    sidecars: set[str] = field(default_factory=set)  # sidecars named directly
    pages: set[str] = field(default_factory=set)  # any other file may be a page
    assets: set[str] = field(default_factory=set)  # asset ids

    def has_image(self, key: str) -> bool:
        return self.everything or key in self.images

    def has_ref(self, ref: Reference, target: str) -> bool:
        return self.everything or target in self.images or file_key(ref.page) in self.pages


def scope_for(manifest: Manifest, files: Sequence[Path] | None,
               owner: Callable[[str], Asset | None]) -> Scope:
    if files is None:
        return Scope()
    keys = {file_key(f) for f in files}
    if file_key(manifest.file) in keys:
        return Scope()
    scope = Scope(everything=False)
    for key in keys:
        if key.endswith(SUFFIX):
            scope.sidecars.add(key)
            scope.images.add(str(image_path_for(Path(key))))
            continue
        if os.path.splitext(key)[1].lower() in IMAGE_SUFFIXES:
            scope.images.add(key)
        scope.pages.add(key)  # an .svg can be a scanned source too
    for key in scope.images:
        if (asset := owner(key)) is not None:
            scope.assets.add(asset.id)
    for asset in manifest.assets:
        touched = any(file_key(i.path) in keys for i in asset.inputs if not i.asset_id)
        if touched or (asset.mask is not None and file_key(asset.mask) in keys):
            scope.assets.add(asset.id)
    return scope


def concerned(scope: Scope, pages: set[str], roots: Sequence[str]) -> int:
    """How many given files are the site's pages, or images below one of its roots (any
    extension: `verify FILE...` checks a `docusaurus.config.ts` in sources like a page)."""
    if scope.everything:
        return 0
    folders = tuple(os.path.join(r, "") for r in roots)
    return sum(1 for key in scope.pages | scope.images
               if key in pages or (key in scope.images and key.startswith(folders)))


def with_dependents(manifest: Manifest, ids: set[str]) -> set[str]:
    """``ids`` and every asset that edits one of them, transitively (their state follows)."""
    result = set(ids)
    changed = True
    while changed:
        changed = False
        for asset in manifest.assets:
            if asset.id not in result and any(d in result for d in asset.dependencies):
                result.add(asset.id)
                changed = True
    return result
