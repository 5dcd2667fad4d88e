"""The manifest's site keys (SPEC 7): `generator:` and `roots:`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from assetgen.core.fsutil import escapes
from assetgen.manifest.checks import LoadContext
from assetgen.manifest.generators import GENERATORS, profile
from assetgen.manifest.model import FolderLines, Manifest
from assetgen.manifest.nodes import line_of


def resolve_site(context: LoadContext, data: Mapping[str, Any]) -> tuple[str, list[Path]]:
    """The generator's name (`plain` when unset or wrong: the key check reports it) and the
    declared roots, absolute; a root that escapes the manifest's folder is a problem."""
    raw = data.get("generator", "plain")
    generator = raw if isinstance(raw, str) and raw in GENERATORS else "plain"
    roots: list[Path] = []
    entries = data.get("roots")
    if not isinstance(entries, list):
        return generator, roots
    for index, entry in enumerate(entries):
        if not isinstance(entry, str) or not entry.strip():
            context.problem(line_of(entries, index), f"roots entry {index + 1} must be a "
                            "folder path", "e.g. assets or src/assets")
            continue
        why = escapes(entry, context.root, context.resolved_paths)
        if why:
            context.problem(line_of(entries, index), f"root `{entry}` is refused: {why}",
                            "use a folder inside the manifest's folder")
            continue
        roots.append((context.root / entry).resolve())
    return generator, roots


def folder_lines(data: Mapping[str, Any]) -> FolderLines:
    """Where the manifest names output_dir, each `roots:` entry and each asset's `root:`
    (the folders build writes into), for `missing_folders` to point at. An unset
    output_dir is the default `public`, named on line 1."""
    found: list[tuple[str, str, int]] = []
    raw = data.get("output_dir")
    found.append(("output_dir", raw, line_of(data, "output_dir")) if isinstance(raw, str)
                 else ("output_dir", "public", 1))
    for key, entries in (("roots", data.get("roots")), ("assets", data.get("assets"))):
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            if key == "roots" and isinstance(entry, str):
                found.append(("roots", entry, line_of(entries, index)))
            elif isinstance(entry, Mapping) and isinstance(entry.get("root"), str):
                found.append(("root", entry["root"], line_of(entry, "root")))
    return tuple(found)


class MissingFolder(NamedTuple):
    """A folder the manifest names (output_dir, a `roots:` entry, an asset's `root:`) that
    is not there: a warning with its manifest line, never silence (SPEC 7)."""

    key: str  # output_dir | roots | root
    folder: Path  # absolute
    raw: str  # as the manifest writes it
    line: int
    served_hint: str | None  # which folders the generator serves, when this is not one

    @property
    def message(self) -> str:
        what = {"output_dir": "output_dir", "roots": "root", "root": "asset root"}[self.key]
        return f"{what} `{self.raw}` does not exist yet"

    @property
    def remedy(self) -> str:
        remedy = "build creates it" if self.key != "roots" else "create it, or remove the entry"
        return remedy + (f"; {self.served_hint}" if self.served_hint else "")


def missing_folders(manifest: Manifest) -> list[MissingFolder]:
    """The manifest's image folders that are not there (SPEC 7: never accepted in silence);
    for output_dir, the hint of where the generator serves files from when it is elsewhere."""
    generator = profile(manifest.generator)
    missing: list[MissingFolder] = []
    seen: set[str] = set()
    for key, raw, line in manifest.site_folders:
        folder = os.path.normpath(manifest.root / raw)
        if folder in seen or os.path.isdir(folder):
            continue
        seen.add(folder)
        hint = None
        served = [f for f in generator.served if f != "."]
        rel = Path(os.path.relpath(folder, manifest.root)).as_posix()
        if key == "output_dir" and served and rel not in served:
            named = " and ".join(f"{f}/" for f in served)
            hint = (f"{generator.name} serves {named} at the site's URL: set output_dir to it "
                    "if these images are to be served as they are")
        missing.append(MissingFolder(key, Path(folder), raw, line, hint))
    return missing
