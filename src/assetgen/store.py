"""Where finished assets land: derive from the master, then commit atomically.

Commit order: image to a temp file, sidecar to a *pending* file, rename the
image, rename the sidecar. A crash between the two renames leaves a pending
sidecar whose sha256 matches the new image; `recover()` finishes that commit
at the next build, and discards anything else half-made.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assetgen.canonical import sha256_bytes
from assetgen.fsutil import atomic_write, remove_stale_temp_files, write_temp_beside
from assetgen.manifest import Asset
from assetgen.provenance import render_sidecar, sidecar_path

PENDING_SUFFIX = ".assetgen-pending"


@dataclass(frozen=True)
class Derived:
    data: bytes
    width: int
    height: int
    format: str
    postprocess: list[dict[str, Any]]


def final_size(asset: Asset) -> tuple[int, int] | None:
    """The exact size the file must have: width/height if set, else the asked size."""
    from assetgen.sizes import parse_size

    if asset.width and asset.height:
        return asset.width, asset.height
    return parse_size(asset.size) if asset.size != "auto" else None


def derive(master: bytes, asset: Asset) -> Derived:
    """The final file from a master: fit to the exact size, convert the format.

    Routes that choose their own size (codex, gateway) are fitted to the size
    asked; for the Images API the master already has it and nothing is resized.
    """
    from assetgen import imaging

    info = imaging.probe(master)
    steps: list[dict[str, Any]] = []
    image = None
    target = final_size(asset)
    if target and (info.width, info.height) != target:
        image = imaging.fit(imaging.decode(master), *target)
        steps.append({"op": "fit", "from": [info.width, info.height],
                      "to": list(target), "method": "cover-centre-crop"})
    if image is None and info.format == asset.format:
        return Derived(master, info.width, info.height, info.format, steps)
    if image is None:
        image = imaging.decode(master)
    data = imaging.encode(image, asset.format)
    steps.append({"op": "encode", "from": info.format, "to": asset.format})
    return Derived(data, image.width, image.height, asset.format, steps)


def pending_path(image: Path) -> Path:
    return image.with_name(f".{image.name}.provenance.json{PENDING_SUFFIX}")


def commit(image_path: Path, data: bytes, record: dict[str, Any]) -> None:
    """Write image + sidecar so that each is whole; image first, sidecar last."""
    sidecar_bytes = render_sidecar(record)
    temp_image = write_temp_beside(image_path, data)
    pending = pending_path(image_path)
    try:
        atomic_write(pending, sidecar_bytes)
        os.replace(temp_image, image_path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp_image.unlink()
        with contextlib.suppress(FileNotFoundError):
            pending.unlink()
        raise
    os.replace(pending, sidecar_path(image_path))


def recover(output_dir: Path) -> list[str]:
    """Finish or discard commits an interrupted build left; remove its temp files.

    Call only while holding the build lock. Returns what was done, for the log.
    """
    notes: list[str] = []
    if not output_dir.is_dir():
        return notes
    for pending in sorted(output_dir.rglob(f"*{PENDING_SUFFIX}")):
        image = pending.with_name(pending.name[1: -len(".provenance.json" + PENDING_SUFFIX)])
        try:
            record = json.loads(pending.read_text(encoding="utf-8"))
            matches = image.is_file() and sha256_bytes(image.read_bytes()) == record["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            matches = False
        if matches:
            os.replace(pending, sidecar_path(image))
            notes.append(f"completed the interrupted write of {image.name}")
        else:
            pending.unlink(missing_ok=True)
            notes.append(f"discarded an unfinished write of {image.name}")
    for temp in remove_stale_temp_files(output_dir):
        notes.append(f"removed temp file {temp.name}")
    return notes
