"""Filesystem safety: atomic writes, the build lock, and paths that stay inside."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from assetgen.errors import LockError

TEMP_MARKER = ".assetgen-tmp-"
STATE_DIR_NAME = ".assetgen"
# Like pytest's, mypy's and ruff's cache folders: the state folder ignores itself, so a
# repository that never ran `assetgen init` does not commit locks, caches and masters.
STATE_GITIGNORE = b"# Created by assetgen: local state (lock, caches, masters).\n*\n"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# mkstemp creates files 0600; published images must get the usual 0644 (umask-respecting).
_FILE_MODE = 0o666 & ~_umask()


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The temp file lives in the target's folder (a rename is only atomic within
    one filesystem) and, when ``durable``, is fsynced before the rename, so the new bytes
    also survive a power loss. A killed process never leaves half a file either way.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{TEMP_MARKER}")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def ensure_state_dir(folder: Path) -> Path:
    """Create assetgen's local state folder (if needed) with a `.gitignore` holding `*`.

    An existing `.gitignore` (or anything by that name, a symlink included) is left as it
    is: the file is linked into place from a temp file, which never replaces a target.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if os.path.lexists(ignore):
        return folder
    temp = write_temp_beside(ignore, STATE_GITIGNORE)
    try:
        with contextlib.suppress(FileExistsError):  # another process was first: keep theirs
            os.link(temp, ignore)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return folder


def write_temp_beside(path: Path, data: bytes) -> Path:
    """Write ``data`` to a fsynced temp file next to ``path``; the caller renames it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{TEMP_MARKER}")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return Path(tmp_name)


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete temp files an interrupted build left below ``folder``; returns them.

    Only safe while holding the build lock: then no live writer owns them.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for candidate in folder.rglob(f"*{TEMP_MARKER}*"):
        if candidate.is_file() and not candidate.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                candidate.unlink()
                removed.append(candidate)
    return removed


def is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def escapes(relative: str, base: Path, resolved: dict[str, str] | None = None) -> str | None:
    """Why ``relative`` (a manifest path) would leave ``base``, or None if it stays inside.

    Absolute paths and ``..`` are refused lexically; then symlinks on the way are
    resolved, so a link inside ``base`` that points outside is refused too. Callers checking
    many paths pass one ``resolved`` dict (see `real_path`).
    """
    if not relative or not relative.strip():
        return "the path is empty"
    if "\x00" in relative:
        return "the path contains a NUL character"
    if relative.startswith(("/", "\\")) or os.path.isabs(relative) or ":" in relative[:3]:
        return "absolute paths are not allowed"
    if ".." in relative.split("/"):
        return "'..' is not allowed"
    if resolved is None:
        resolved = {}
    real_base = _real(os.path.abspath(base), resolved)
    real = _real(os.path.abspath(os.path.join(base, relative)), resolved)
    if real != real_base and not real.startswith(real_base.rstrip(os.sep) + os.sep):
        return f"it resolves through a symlink to {real}, outside {base.name}/"
    return None


def real_path(path: Path, resolved: dict[str, str]) -> Path:
    """``path.resolve()`` (symlinks followed, loops left as they are), remembering every
    folder on the way in ``resolved``: checking 2,000 asset paths then costs ~2 lstat
    calls each instead of one per path component."""
    return Path(_real(os.path.abspath(path), resolved))


def _real(path: str, resolved: dict[str, str]) -> str:
    known = resolved.get(path)
    if known is not None:
        return known
    parent, name = os.path.split(path)
    if not name:
        return path  # the root
    candidate = os.path.join(_real(parent, resolved), name)
    real = os.path.realpath(candidate) if os.path.islink(candidate) else candidate
    resolved[path] = real
    return real


@contextlib.contextmanager
def build_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock for one build of one manifest.

    The kernel drops the lock when the process dies (even by SIGKILL), so a
    crashed build never leaves a stale lock behind.
    """
    import fcntl

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            owner = _lock_owner(handle)
            raise LockError(
                f"another build of this manifest is running ({owner})",
                hint="wait for it to finish, or stop it; the lock is released when it exits",
            ) from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()


def _lock_owner(handle: IO[str]) -> str:
    """Who holds the lock, as its holder wrote it ("pid N").

    The holder can only write its pid after taking the lock, so a contender may look in
    between: give it a moment before settling for "another process".
    """
    import time

    for _ in range(25):
        handle.seek(0)
        owner = handle.read().strip()
        if owner:
            return owner
        time.sleep(0.02)
    return "another process"

