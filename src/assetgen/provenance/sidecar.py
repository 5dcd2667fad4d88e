"""Provenance sidecars on disk: `<image>.provenance.json` next to each image.

The record inside is a `Record` (provenance/record.py), the file names are
`provenance/naming.py`'s; this module reads them the way hostile input is read.
"""

from __future__ import annotations

import json
from pathlib import Path

from assetgen.core.fsutil import read_no_follow
from assetgen.provenance.naming import sidecar_path
from assetgen.provenance.record import MAX_RECORD_BYTES, CorruptSidecar, Record


def read_sidecar(image: Path) -> Record | None:
    """The sidecar of ``image``, None if there is none; CorruptSidecar if unreadable.

    Sidecars come from the repository, so they are hostile input: a symlink is not
    followed, size is capped, and the record is checked by `Record.parse`.
    """
    path = sidecar_path(image)
    try:
        data = read_no_follow(path, MAX_RECORD_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptSidecar(f"{path.name}: {exc.strerror or exc}") from exc
    return Record.parse(data, path.name)


def claimed(image: Path, field: str) -> str | None:
    """The string ``field`` (e.g. `asset`, `route`) a sidecar of ``image`` names, even when
    the rest of it is not a valid record (a stray sidecar still says where it came from);
    None when there is no sidecar or it names none.

    Only for hints and messages, never for lineage: the value is untrusted text.
    """
    try:
        value = json.loads(read_no_follow(sidecar_path(image), MAX_RECORD_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    named = value.get(field) if isinstance(value, dict) else None
    return named if isinstance(named, str) else None
