"""Where a sidecar lives: `<image>.provenance.json` next to each image.

Apart from `sidecar.py` (which reads them) so that naming a sidecar, as `verify FILE...`
does before deciding whether to check anything, loads no record type.
"""

from __future__ import annotations

from pathlib import Path

SUFFIX = ".provenance.json"


def sidecar_path(image: Path) -> Path:
    return image.with_name(image.name + SUFFIX)


def image_path_for(sidecar: Path) -> Path:
    return sidecar.with_name(sidecar.name[: -len(SUFFIX)])
