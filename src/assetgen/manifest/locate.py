"""Which manifest a command works on: `assetgen.yaml`, found upwards like git finds `.git`."""

from __future__ import annotations

from pathlib import Path

from assetgen.errors import UsageError

MANIFEST_NAME = "assetgen.yaml"


def find_manifest(start: Path) -> Path:
    """The nearest `assetgen.yaml` in ``start`` or its parents, like git finds `.git`."""
    start = start.resolve()
    for folder in (start, *start.parents):
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            return candidate
    raise UsageError(
        f"no {MANIFEST_NAME} in {start} or any parent folder",
        hint="run `assetgen init` to create one, or pass --manifest FILE / -C DIR",
    )
