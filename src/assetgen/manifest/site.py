"""The manifest's site keys (SPEC 7): `generator:` and `roots:`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import escapes
from assetgen.manifest.checks import LoadContext
from assetgen.manifest.generators import GENERATORS
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
