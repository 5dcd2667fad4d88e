"""Which assets, images and pages a list of files touches (how pre-commit scopes verify).

`may_concern` answers first, and cheaply, whether any of the files can matter to a site at
all: a commit of unrelated files then loads no checker and scans no page. It may say yes
too often (the check then finds nothing), never too rarely: it is the same rule `scope_for`
and `concerned` apply, with the scanner's page list replaced by a match of the `sources`
globs (`sources_match`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from assetgen.manifest import Asset, Manifest
from assetgen.provenance.naming import SUFFIX, image_path_for
from assetgen.verify.suffixes import IMAGE_SUFFIXES

if TYPE_CHECKING:
    from assetgen.verify.model import Reference


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
        if not keys.isdisjoint(edit_files(asset)):
            scope.assets.add(asset.id)
    return scope


def edit_files(asset: Asset) -> list[str]:
    """The files an edit reads from the repository (its own inputs, not other assets, and
    its mask), as `file_key`s: a change to one selects the asset."""
    files = [file_key(i.path) for i in asset.inputs if not i.asset_id]
    if asset.mask is not None:
        files.append(file_key(asset.mask))
    return files


def source_glob(pattern: str) -> PurePosixPath | None:
    """A `sources` pattern as the page finder globs it, or None for one it skips (blank,
    absolute, or climbing out with `..`: the manifest loader reports those)."""
    pure = PurePosixPath(pattern.replace("\\", "/"))
    if not pattern.strip() or pure.is_absolute() or ".." in pure.parts:
        return None
    return pure


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


def may_concern(manifest: Manifest, files: Iterable[Path]) -> bool:
    """Whether a check of ``files`` (absolute paths) could report anything or count anything
    in ``manifest``'s site: the manifest, a sidecar, an image (wherever it is: an undeclared
    image with a sidecar is `untracked`), an edit's input or mask, or a page the `sources`
    globs may match. False means the full check would find nothing and count nothing."""
    keys = {file_key(f) for f in files}
    if file_key(manifest.file) in keys:
        return True
    if any(k.endswith(SUFFIX) or os.path.splitext(k)[1].lower() in IMAGE_SUFFIXES
           for k in keys):
        return True
    if any(not keys.isdisjoint(edit_files(asset)) for asset in manifest.assets):
        return True
    root = file_key(manifest.root)
    return any(sources_match(manifest.sources, os.path.relpath(k, root))
               for k in keys if k.startswith(os.path.join(root, "")))


def sources_match(patterns: Sequence[str], relative: str) -> bool:
    """Whether ``relative`` (a path below the site's folder) may be a file `Path.glob`
    finds for one of ``patterns`` (`verify.references.find_pages`): `**` is any number of
    folders, `*` `?` `[...]` stay within a name. Looser than glob on purpose (also with both
    sides lower-cased, as on a case-insensitive system; a `**` inside a name is a `*`, which
    glob refuses; folders only where glob wants them): a false yes costs a check, a false no
    would let a page slip past the hook."""
    parts = PurePosixPath(relative.replace(os.sep, "/")).parts
    folded = tuple(p.lower() for p in parts)
    for pattern in patterns:
        pure = source_glob(pattern)
        if pure is not None and (_parts_match(pure.parts, parts) or _parts_match(
                tuple(p.lower() for p in pure.parts), folded)):
            return True
    return False


def _parts_match(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    # Which (pattern index, path index) pairs can still match; at most len × len states,
    # so a hostile `**/**/**/...` pattern costs no more than a plain one.
    states = {(0, 0)}
    seen: set[tuple[int, int]] = set()
    while states:
        state = states.pop()
        if state in seen:
            continue
        seen.add(state)
        at, index = state
        if at == len(pattern):
            if index == len(parts):
                return True
            continue
        if pattern[at] == "**":
            states.add((at + 1, index))  # no more folders
            if index < len(parts):
                states.add((at, index + 1))  # one more folder
        elif index < len(parts) and fnmatchcase(parts[index], pattern[at]):
            states.add((at + 1, index + 1))
    return False
