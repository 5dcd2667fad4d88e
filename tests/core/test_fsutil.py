from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from assetgen.core.fsutil import (
    STATE_GITIGNORE,
    TEMP_MARKER,
    atomic_write,
    build_lock,
    ensure_state_dir,
    escapes,
    read_no_follow,
    real_path,
    remove_stale_temp_files,
)
from assetgen.errors import LockError
from tests.fakes.sites import run_cli, write_site


def test_atomic_write_replaces_whole_and_respects_umask(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.bin"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"
    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode & 0o044  # readable by others, like any published file
    assert not list(tmp_path.rglob(f"*{TEMP_MARKER}*"))


def test_only_durable_writes_are_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    atomic_write(tmp_path / "cache.bin", b"x", durable=False)
    assert synced == [] and (tmp_path / "cache.bin").read_bytes() == b"x"
    atomic_write(tmp_path / "published.bin", b"y")
    assert len(synced) == 1


def test_stale_temp_files_are_removed(tmp_path: Path) -> None:
    leftover = tmp_path / "img" / f".hero.png{TEMP_MARKER}abc"
    leftover.parent.mkdir()
    leftover.write_bytes(b"half")
    (tmp_path / "img" / "hero.png").write_bytes(b"keep")
    assert remove_stale_temp_files(tmp_path) == [leftover]
    assert (tmp_path / "img" / "hero.png").exists()


@pytest.mark.parametrize(("path", "phrase"), [
    ("../x.png", "'..'"), ("/etc/passwd", "absolute"), ("", "empty"), ("a/../../x", "'..'"),
])
def test_escapes_refuses_hostile_paths(tmp_path: Path, path: str, phrase: str) -> None:
    reason = escapes(path, tmp_path)
    assert reason is not None and phrase in reason


def test_escapes_follows_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    base = tmp_path / "base"
    base.mkdir()
    os.symlink(outside, base / "link")
    os.symlink(outside / "f.png", base / "file.png")
    assert "symlink" in (escapes("link/x.png", base) or "")
    assert "symlink" in (escapes("file.png", base) or "")
    assert escapes("inside/x.png", base) is None


def test_escapes_with_a_shared_memo_gives_the_same_answers(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    base = tmp_path / "base"
    (base / "real" / "sub").mkdir(parents=True)
    os.symlink(outside, base / "out")
    os.symlink(base / "real", base / "alias")  # a link that stays inside
    os.symlink("alias/sub", base / "chain")  # a relative link to a link
    os.symlink(outside / "f.png", base / "real" / "sub" / "leak.png")
    paths = ["a.png", "real/sub/x.png", "alias/sub/x.png", "chain/x.png", "out/x.png",
             "out/deep/x.png", "real/sub/leak.png", "chain/leak.png", "missing/dir/x.png"]
    memo: dict[str, str] = {}
    assert [escapes(p, base, memo) for p in paths] == [escapes(p, base) for p in paths]
    assert [escapes(p, base, memo) is None for p in paths] == [
        True, True, True, True, False, False, False, False, True]
    for rel in paths:
        assert real_path(base / rel, memo) == (base / rel).resolve()
    os.symlink("loop-b", base / "loop-a")
    os.symlink("loop-a", base / "loop-b")  # Path.resolve() raises RuntimeError on this
    assert escapes("loop-a/x.png", base) is None  # a loop inside base stays inside


def test_lock_refuses_a_second_holder(tmp_path: Path) -> None:
    lock = tmp_path / "build.lock"
    with build_lock(lock), pytest.raises(LockError, match="another build"), build_lock(lock):
        pass
    with build_lock(lock):  # released on exit
        pass


def test_state_dir_ignores_itself_and_keeps_an_existing_gitignore(tmp_path: Path) -> None:
    state = ensure_state_dir(tmp_path / "site" / ".assetgen")
    ignore = state / ".gitignore"
    assert ignore.read_bytes() == STATE_GITIGNORE
    assert ignore.read_text().splitlines()[-1] == "*"
    assert sorted(p.name for p in state.iterdir()) == [".gitignore"]  # no temp file left
    ignore.write_text("masters/\n")  # a user's own rules are never overwritten
    ensure_state_dir(state)
    assert ignore.read_text() == "masters/\n"
    other = tmp_path / "other"
    other.mkdir()
    (other / ".gitignore").symlink_to(tmp_path / "elsewhere")  # dangling: still left alone
    ensure_state_dir(other)
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("command", [("plan",), ("verify",), ("build", "--draft"),
                                     ("report",)])
def test_every_command_that_creates_the_state_dir_ignores_it(tmp_path: Path,
                                                             command: tuple[str, ...]) -> None:
    site = write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    path: a.png\n"
                                "    prompt: x\n")
    assert not (site / ".assetgen").exists()
    result = run_cli("-C", site, *command)
    assert result.code in (0, 1), result.output
    assert (site / ".assetgen" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_name_longer_than_the_file_system_allows_is_refused(tmp_path: Path) -> None:
    from assetgen.core.fsutil import NAME_MAX, escapes

    assert escapes("img/" + "x" * NAME_MAX, tmp_path) is None
    why = escapes("x" * (NAME_MAX + 1) + "/img/logo.svg", tmp_path)
    assert why is not None and "256 bytes" in why
    # bytes, not characters: 128 two-byte characters are 256 bytes
    assert escapes("é" * 128, tmp_path) is not None


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 3 * 1024 * 1024 + 5])
def test_read_no_follow_reads_whole_files_up_to_the_limit(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f.bin"
    data = os.urandom(size)
    path.write_bytes(data)
    assert read_no_follow(path) == data
    assert read_no_follow(path, size) == data
    if size:
        with pytest.raises(OSError, match="larger than"):
            read_no_follow(path, size - 1)


def test_read_no_follow_refuses_links_and_folders(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OSError):
        read_no_follow(tmp_path / "link")
    with pytest.raises(OSError, match="not a regular file"):
        read_no_follow(tmp_path)  # O_NOFOLLOW opens a folder; it is not read


def test_read_fd_reads_on_when_the_file_grew_after_fstat(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "growing"
    path.write_bytes(b"a" * 10)
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        with path.open("ab") as handle:  # the writer appends between fstat and read
            handle.write(b"b" * 5000)
        return info

    monkeypatch.setattr(os, "fstat", fstat_then_grow)
    assert read_no_follow(path, 6000) == b"a" * 10 + b"b" * 5000
    with pytest.raises(OSError, match="larger than 100"):
        read_no_follow(path, 100)
