"""The codex route's view of a run's files: which image a session saved, read safely.

The image tool saves under ``$CODEX_HOME/generated_images/<session>/``; some codex versions
only record the image as base64 in the session's rollout log. Those folders are written by
an agent, so a symlink in them is refused rather than followed (SPEC 10).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import read_within
from assetgen.errors import PermanentError, UnsafePathError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp"})


@dataclass(frozen=True)
class Picked:
    data: bytes
    name: str | None  # the file's name, None when taken from the session log
    others: int  # further image files the same run saved
    source: str  # generated_images | session-log


def image_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir() and not folder.is_symlink():
        for path in folder.rglob("*"):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() \
                    and not path.is_symlink():
                yield path


def _refuse_links(root: Path, session: str | None) -> None:
    """The image folders are written by another program (an agent): a symlink there (the
    session's folder, or an image in it) could publish any file, so it fails the asset."""
    if session and (root / session).is_symlink():
        raise PermanentError(
            f"{root / session} is a symlink; assetgen does not follow it to publish an image",
            route="codex", code="unsafe_path", hint="remove the symlink and build again")
    if session and (root / session).is_dir():
        for path in (root / session).rglob("*"):
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_symlink():
                raise PermanentError(
                    f"{path} is a symlink; assetgen does not publish what it points to",
                    route="codex", code="unsafe_path",
                    hint="remove the symlink and build again")


def pick_image(home: Path, session: str | None, *, exclude: set[Path],
               session_required: bool) -> Picked | None:
    """This run's image: from generated_images (session folder first), else the session log."""
    root = home / "generated_images"
    _refuse_links(root, session)
    candidates: list[Path] = []
    if session and (root / session).is_dir():
        candidates = [p for p in image_files(root / session) if p not in exclude]
    if not candidates and not session_required:
        candidates = [p for p in image_files(root) if p not in exclude]
    if candidates:
        candidates.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
        chosen = candidates[-1]
        return Picked(_read_inside(chosen, root), chosen.name, len(candidates) - 1,
                      "generated_images")
    if session_required and not session:
        return None
    data = image_from_session_log(home / "sessions", session)
    return Picked(data, None, 0, "session-log") if data else None


def _read_inside(path: Path, root: Path) -> bytes:
    """``path``'s bytes, refused if a symlink was swapped in on the way since it was listed."""
    try:
        return read_within(path, root)
    except (OSError, UnsafePathError) as exc:
        raise PermanentError(f"cannot read the image codex saved ({path}): "
                             f"{getattr(exc, 'strerror', None) or exc}",
                             route="codex", code="unsafe_path") from exc


def image_from_session_log(sessions: Path, session: str | None) -> bytes | None:
    """The last image_generation_call result recorded in this run's rollout file."""
    if not sessions.is_dir():
        return None
    files = sorted(sessions.rglob("rollout-*.jsonl"), key=lambda p: p.stat().st_mtime_ns)
    if session:
        files = [p for p in files if session in p.name]
    found: bytes | None = None
    for path in files:
        with contextlib.suppress(OSError), path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if "image_generation" not in line:
                    continue
                with contextlib.suppress(ValueError):
                    found = _result_of(json.loads(line)) or found
    return found


def _result_of(node: Any) -> bytes | None:
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("image_generation") \
                and isinstance(node.get("result"), str) and len(node["result"]) > 64:
            with contextlib.suppress(binascii.Error, ValueError):
                return base64.b64decode(node["result"], validate=False)
        for value in node.values():
            found = _result_of(value)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _result_of(value)
            if found:
                return found
    return None
