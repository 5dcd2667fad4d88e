"""Filesystem safety: atomic writes, the build lock, and paths that stay inside.

Writes never follow a symlink out of the repository: a folder is opened by walking from the
repository's real root one component at a time with ``O_NOFOLLOW`` (see `SafeFolder`), and
every temp file, rename and delete is made relative to that open folder. A folder swapped
for a symlink after the manifest was loaded is therefore found at write time, not written
through.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from assetgen.errors import LockError, UnsafePathError

TEMP_MARKER = ".assetgen-tmp-"
# A sidecar written before its image is committed (build/store.py): half of a commit.
PENDING_SUFFIX = ".assetgen-pending"
NAME_MAX = 255  # bytes in one file or folder name on ext4, xfs, btrfs, apfs and ntfs
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC
# O_NONBLOCK: a FIFO planted where a file is expected must not hang the open.
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
STATE_DIR_NAME = ".assetgen"
# Like pytest's, mypy's and ruff's cache folders: the state folder ignores itself, so a
# repository that never ran `assetgen init` does not commit locks, caches and masters.
STATE_GITIGNORE = b"# Created by assetgen: local state (lock, caches, masters).\n*\n"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# Published images get the usual 0644 (umask-respecting), like any file the user writes.
_FILE_MODE = 0o666 & ~_umask()


def _inside(real: str, real_base: str) -> bool:
    return real == real_base or real.startswith(real_base.rstrip(os.sep) + os.sep)


class SafeFolder:
    """An open folder reached without following symlinks; names are relative to it.

    `open` resolves the folder once, checks that it stays inside ``inside`` (or ``root``),
    then walks the resolved path from the root with ``O_NOFOLLOW``: a symlink that appears
    on the way after the check is refused (`UnsafePathError`), never followed.
    """

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def open(cls, folder: Path, *, root: Path | None = None, inside: Path | None = None,
             create: bool = True) -> SafeFolder:
        if root is None:  # a folder the user named on the command line: trusted as given
            if create:
                folder.mkdir(parents=True, exist_ok=True)
            return cls(os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC), folder)
        real_root = os.path.realpath(root)
        bound = os.path.realpath(inside) if inside is not None else real_root
        if not _inside(bound, real_root):
            raise UnsafePathError(f"{inside} leads to {bound}, outside the repository",
                                  hint="replace the symlink with a real folder")
        real = os.path.realpath(folder)
        if not _inside(real, bound):
            where = "the repository" if inside is None else f"{Path(inside).name}/"
            raise UnsafePathError(
                f"{folder} leads to {real}, outside {where}",
                hint="assetgen never reads or writes through a symlink that leads out; "
                     "replace it with a real folder")
        fd = os.open(real_root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
        walked = Path(real_root)
        try:
            for part in Path(real).relative_to(real_root).parts:
                walked = walked / part
                below = _step(fd, part, walked, create)
                os.close(fd)
                fd = below
        except BaseException:
            os.close(fd)
            raise
        return cls(fd, folder)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> SafeFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def naming(self, name: str) -> Iterator[None]:
        """An OS error inside names ``name`` in this folder (the file the user knows, not
        a temp file), with the OS's reason."""
        try:
            yield
        except OSError as exc:
            if exc.errno is None:
                raise
            raise OSError(exc.errno, exc.strerror, str(self.path / name)) from exc

    def write_temp(self, name: str, data: bytes, *, durable: bool = True) -> str:
        """Write ``data`` to a new temp file for ``name``; returns the temp file's name."""
        with self.naming(name):
            return self._write_temp(name, data, durable)

    def _write_temp(self, name: str, data: bytes, durable: bool) -> str:
        # The target's name is cut short so that a long (but legal) file name still
        # leaves room for the temp suffix.
        temp = f".{name[:64]}{TEMP_MARKER}{os.urandom(4).hex()}"
        fd = os.open(temp, _NEW_FILE_FLAGS, _FILE_MODE, dir_fd=self.fd)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            self.discard(temp)
            raise
        return temp

    def replace(self, source: str, target: str) -> None:
        with self.naming(target):
            os.replace(source, target, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def unlink(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=self.fd)

    def discard(self, name: str) -> None:
        """Remove a temp file while cleaning up after a failure: never a second error."""
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=self.fd)

    def write_atomic(self, name: str, data: bytes, *, durable: bool = True) -> None:
        temp = self.write_temp(name, data, durable=durable)
        try:
            self.replace(temp, name)
        except BaseException:
            self.discard(temp)
            raise

    def read_bytes(self, name: str, limit: int | None = None) -> bytes:
        """A regular file's bytes (a symlink is refused with ELOOP); OSError when more than
        ``limit`` bytes (EFBIG)."""
        return read_fd(os.open(name, _READ_FLAGS, dir_fd=self.fd), self.path / name, limit)

    def is_file(self, name: str) -> bool:
        try:
            info = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode)


def _step(fd: int, part: str, walked: Path, create: bool) -> int:
    """Open ``part`` below ``fd`` without following it (making it when missing)."""
    try:
        try:
            return os.open(part, _DIR_FLAGS, dir_fd=fd)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=fd)
            return os.open(part, _DIR_FLAGS, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
            raise UnsafePathError(
                f"{walked} became a symlink while assetgen was running",
                hint="assetgen does not write through it; replace it with a real folder "
                     "and build again") from exc
        raise OSError(exc.errno, exc.strerror, str(walked)) from exc


_READ_CHUNK = 1024 * 1024


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def read_fd(fd: int, path: Path, limit: int | None) -> bytes:
    """Read a whole regular file from ``fd`` (closed after), at most ``limit`` bytes.

    Reads what fstat reports plus one byte (a file that grew meanwhile is read on, up to
    ``limit``): asking for ``limit`` bytes up front would allocate that much on every call
    (4 MB per sidecar was most of a no-op build's reading time).
    """
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        if limit is not None and info.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes", str(path))
        cap = limit + 1 if limit is not None else None
        parts: list[bytes] = []
        total, want = 0, info.st_size + 1
        while cap is None or total < cap:
            chunk = os.read(fd, want if cap is None else min(want, cap - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            want = _READ_CHUNK
        if limit is not None and total > limit:
            raise OSError(errno.EFBIG, f"larger than {limit:,} bytes", str(path))
        return parts[0] if len(parts) == 1 else b"".join(parts)
    finally:
        os.close(fd)


def read_no_follow(path: Path, limit: int | None = None) -> bytes:
    """``path``'s bytes, refusing a symlink as the last component (ELOOP) and non-files."""
    return read_fd(os.open(path, _READ_FLAGS), path, limit)


def read_within(path: Path, root: Path, limit: int | None = None) -> bytes:
    """``path``'s bytes, refused (UnsafePathError) if any folder on the way leaves ``root``."""
    with SafeFolder.open(path.parent, root=root, create=False) as folder:
        return folder.read_bytes(path.name, limit)


def atomic_write(path: Path, data: bytes, *, durable: bool = True, root: Path | None = None,
                 inside: Path | None = None) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The temp file lives in the target's folder (a rename is only atomic within
    one filesystem) and, when ``durable``, is fsynced before the rename, so the new bytes
    also survive a power loss. A killed process never leaves half a file either way.
    With ``root`` (the repository), the folder is opened symlink-safely (see `SafeFolder`)
    and must stay inside ``inside`` (default: ``root``).
    """
    with SafeFolder.open(path.parent, root=root, inside=inside) as folder:
        folder.write_atomic(path.name, data, durable=durable)


def ensure_state_dir(folder: Path, *, root: Path | None = None) -> Path:
    """Create assetgen's local state folder (if needed) with a `.gitignore` holding `*`.

    With ``root`` the folder is reached symlink-safely (see `SafeFolder`). An existing
    `.gitignore` (or anything by that name, a symlink included) is left as it is: the file
    is linked into place from a temp file, which never replaces a target.
    """
    with SafeFolder.open(folder, root=root) as safe:
        try:
            os.stat(".gitignore", dir_fd=safe.fd, follow_symlinks=False)
            return folder
        except FileNotFoundError:
            pass
        temp = safe.write_temp(".gitignore", STATE_GITIGNORE)
        try:
            with contextlib.suppress(FileExistsError):  # another process was first: keep it
                os.link(temp, ".gitignore", src_dir_fd=safe.fd, dst_dir_fd=safe.fd,
                        follow_symlinks=False)
        finally:
            safe.discard(temp)
    return folder


def write_temp_beside(path: Path, data: bytes) -> Path:
    """Write ``data`` to a fsynced temp file next to ``path``; the caller renames it."""
    with SafeFolder.open(path.parent) as folder:
        return path.parent / folder.write_temp(path.name, data)


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete temp files an interrupted build left below ``folder``; returns them.

    Only safe while holding the build lock: then no live writer owns them.
    """
    removed: list[Path] = []
    if not folder.is_dir() or folder.is_symlink():
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
    parts = relative.split("/")
    if ".." in parts:
        return "'..' is not allowed"
    longest = max(len(part.encode("utf-8", "surrogatepass")) for part in parts)
    if longest > NAME_MAX:
        return f"a name in it is {longest} bytes long; file systems allow at most {NAME_MAX}"
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
def build_lock(lock_path: Path, *, root: Path | None = None) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock for one build of one manifest.

    The kernel drops the lock when the process dies (even by SIGKILL), so a
    crashed build never leaves a stale lock behind. The lock file is opened with
    ``O_NOFOLLOW`` in a folder reached symlink-safely from ``root``: a lock (or state
    folder) committed as a symlink to a file elsewhere is refused, never truncated.
    """
    import fcntl

    with SafeFolder.open(lock_path.parent, root=root) as folder:
        try:
            fd = os.open(lock_path.name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
                         | _CLOEXEC, 0o644, dir_fd=folder.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(
                    f"{lock_path} is a symlink; assetgen never writes through one",
                    hint="delete it (it is local state, safe to remove) and run again") from exc
            raise OSError(exc.errno, exc.strerror, str(lock_path)) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafePathError(f"{lock_path} is not a regular file",
                              hint="delete it (it is local state, safe to remove) and run again")
    handle = os.fdopen(fd, "r+", encoding="utf-8")
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
        owner = handle.read(64).strip()
        if owner:
            return owner
        time.sleep(0.02)
    return "another process"

