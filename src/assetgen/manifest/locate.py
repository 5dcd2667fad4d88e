"""Which manifest a command works on: `assetgen.yaml`, found upwards like git finds `.git`."""

from __future__ import annotations

from pathlib import Path

from assetgen.errors import UsageError

MANIFEST_NAME = "assetgen.yaml"


def find_manifest(start: Path) -> Path:
    """The nearest `assetgen.yaml` in ``start`` or its parents, like git finds `.git`."""
    start = start.resolve()
    found = nearest_manifest(start)
    if found is None:
        raise UsageError(
            f"no {MANIFEST_NAME} in {start} or any parent folder",
            hint="run `assetgen init` to create one, or pass --manifest FILE / -C DIR",
        )
    return found


def nearest_manifest(folder: Path, memo: dict[Path, Path | None] | None = None
                     ) -> Path | None:
    """The nearest `assetgen.yaml` in ``folder`` or its parents, or None. ``memo`` keeps
    the answer for every folder walked, so that the files of one commit (`verify FILE...`)
    walk each folder once."""
    seen: list[Path] = []
    found: Path | None = None
    for candidate in (folder, *folder.parents):
        if memo is not None and candidate in memo:
            found = memo[candidate]
            break
        seen.append(candidate)
        if (candidate / MANIFEST_NAME).is_file():
            found = candidate / MANIFEST_NAME
            break
    if memo is not None:
        memo.update(dict.fromkeys(seen, found))
    return found
