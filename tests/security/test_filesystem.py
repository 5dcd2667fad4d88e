"""Filesystem attacks and failures (SPEC 10): no write through a symlink out of the
repository, a build deletes only files it wrote, and disk trouble is one line, exit 1."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import pytest

from assetgen.build import store
from assetgen.core.canonical import sha256_bytes
from assetgen.errors import EXIT_INTERNAL, PermanentError
from assetgen.routes.codex import pick_image
from tests.fakes.sites import TWO_DRAFT_ASSETS, png_bytes, run_cli, write_site

MANIFEST = TWO_DRAFT_ASSETS

VARIANTS_MANIFEST = """\
version: 1
output_dir: public
defaults:
  route: draft
  size: 1024x1024
assets:
  - id: hero
    path: hero.webp
    prompt: "A rocket"
    variants: {widths: [480, 960]}
"""


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


# -- the state folder and its lock ------------------------------------------------------

def test_a_lock_symlinked_outside_is_refused_and_not_touched(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", MANIFEST)
    victim = _outside(tmp_path) / "precious.txt"
    victim.write_text("keep me\n")
    (site / ".assetgen").mkdir()
    (site / ".assetgen" / "build.lock").symlink_to(victim)
    result = run_cli("-C", site, "build")
    assert result.code == 2, result.output
    assert "build.lock is a symlink" in result.err and "Traceback" not in result.output
    assert victim.read_text() == "keep me\n"
    assert not (site / "public").exists()  # refused before any asset was made


def test_a_lock_that_is_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", MANIFEST)
    (site / ".assetgen").mkdir()
    os.mkfifo(site / ".assetgen" / "build.lock")
    result = run_cli("-C", site, "build")
    assert result.code == 2 and "not a regular file" in result.err


def test_a_state_folder_leading_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", MANIFEST)
    outside = _outside(tmp_path)
    (site / ".assetgen").symlink_to(outside, target_is_directory=True)
    for command in (["plan"], ["verify"], ["report"]):  # caches are skipped, not followed
        result = run_cli("-C", site, *command)
        assert result.code not in (EXIT_INTERNAL,), result.output
    assert run_cli("-C", site, "report").code == 2
    result = run_cli("-C", site, "build")
    assert result.code == 2, result.output
    assert "outside the repository" in result.err
    assert list(outside.iterdir()) == []  # no cache, master, lock or report written there


# -- a folder swapped for a symlink while a request is in flight --------------------------

def test_output_folder_swapped_mid_build_is_not_written_through(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path / "site", MANIFEST)
    assert run_cli("-C", site, "build").code == 0
    outside = _outside(tmp_path)
    real_derive = store.derive
    swap_once = threading.Lock()  # both assets derive at once; only one may swap

    def derive_then_swap(*args: object, **kwargs: object) -> store.Derived:
        derived = real_derive(*args, **kwargs)  # type: ignore[arg-type]
        img = site / "public" / "img"
        with swap_once:
            if not img.is_symlink():  # the answer is in; now the attacker swaps the folder
                img.rename(site / "public" / "img-before")
                img.symlink_to(outside, target_is_directory=True)
        return derived

    monkeypatch.setattr(store, "derive", derive_then_swap)
    result = run_cli("-C", site, "build", "--force", "--json")
    assert result.code == 1, result.output
    outcomes = {a["asset_id"]: a for a in json.loads(result.out)["assets"]}
    assert {o["action"] for o in outcomes.values()} == {"failed"}
    assert "outside public" in outcomes["hero"]["error"]
    assert list(outside.iterdir()) == []


def test_a_folder_that_becomes_a_symlink_after_the_check_is_refused(tmp_path: Path,
                                                                    monkeypatch:
                                                                    pytest.MonkeyPatch
                                                                    ) -> None:
    """The race past the real-path check: the walk with O_NOFOLLOW still refuses it."""
    from assetgen.core import fsutil
    from assetgen.errors import UnsafePathError

    root = tmp_path / "repo"
    (root / "public" / "img").mkdir(parents=True)
    outside = _outside(tmp_path)
    real_realpath = os.path.realpath

    def realpath_then_swap(path: object, *args: object, **kwargs: object) -> str:
        answer = real_realpath(path, *args, **kwargs)  # type: ignore[call-overload]
        img = root / "public" / "img"
        if str(path) == str(img) and not img.is_symlink():
            img.rename(root / "public" / "gone")
            img.symlink_to(outside, target_is_directory=True)
        return answer  # type: ignore[no-any-return]

    monkeypatch.setattr(fsutil.os.path, "realpath", realpath_then_swap)
    with pytest.raises(UnsafePathError, match="became a symlink"):
        fsutil.atomic_write(root / "public" / "img" / "a.png", b"x", root=root,
                            inside=root / "public")
    assert list(outside.iterdir()) == []


# -- a build deletes only files it wrote -------------------------------------------------

def test_tampered_variant_list_deletes_nothing_it_did_not_write(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", VARIANTS_MANIFEST, {
        "index.html": "<h1>hand written</h1>\n", "docs/notes.md": "# notes\n"})
    assert run_cli("-C", site, "build").code == 0
    public = site / "public"
    lookalike = public / "hero-1200w.webp"  # named like a variant, but not what was recorded
    lookalike.write_bytes(b"someone else's bytes")
    sidecar = public / "hero.webp.provenance.json"
    record = json.loads(sidecar.read_text())
    record["variants"] += [
        {"file": "../index.html", "sha256": sha256_bytes((site / "index.html").read_bytes())},
        {"file": "index.html", "sha256": "0" * 64},
        {"file": "../docs/notes.md", "sha256": sha256_bytes(b"# notes\n")},
        {"file": "hero-1200w.webp", "sha256": "f" * 64},
    ]
    (public / "index.html").write_text("<p>public page</p>\n")
    record["variants"][-3]["sha256"] = sha256_bytes(b"<p>public page</p>\n")
    sidecar.write_text(json.dumps(record))
    result = run_cli("-C", site, "build", "--force")
    assert result.code == 0, result.output
    assert (site / "index.html").read_text() == "<h1>hand written</h1>\n"
    assert (site / "docs/notes.md").read_text() == "# notes\n"
    assert (public / "index.html").read_text() == "<p>public page</p>\n"
    assert lookalike.read_bytes() == b"someone else's bytes"


def test_a_real_obsolete_variant_is_still_removed(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", VARIANTS_MANIFEST)
    assert run_cli("-C", site, "build").code == 0
    assert (site / "public" / "hero-480w.webp").is_file()
    (site / "assetgen.yaml").write_text(VARIANTS_MANIFEST.replace("[480, 960]", "[960]"))
    assert run_cli("-C", site, "build").code == 0
    assert not (site / "public" / "hero-480w.webp").exists()
    assert (site / "public" / "hero-960w.webp").is_file()


# -- codex: the session folder is written by an agent ------------------------------------

def _codex_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "generated_images").mkdir(parents=True)
    return home


def test_codex_session_folder_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    home, outside = _codex_home(tmp_path), _outside(tmp_path)
    (outside / "ig_secret.png").write_bytes(png_bytes(64, 64))
    (home / "generated_images" / "sess-12345678").symlink_to(outside,
                                                              target_is_directory=True)
    with pytest.raises(PermanentError, match="is a symlink") as caught:
        pick_image(home, "sess-12345678", exclude=set(), session_required=True)
    assert caught.value.code == "unsafe_path"


def test_codex_image_that_is_a_symlink_is_not_published(tmp_path: Path) -> None:
    home, outside = _codex_home(tmp_path), _outside(tmp_path)
    (outside / "private.png").write_bytes(png_bytes(64, 64))
    session = home / "generated_images" / "sess-12345678"
    session.mkdir()
    (session / "ig_1.png").symlink_to(outside / "private.png")
    with pytest.raises(PermanentError, match="is a symlink"):
        pick_image(home, "sess-12345678", exclude=set(), session_required=False)


# -- disk trouble: one line, that asset fails, the others are written, exit 1 ------------

def _hero_only(real: object, exc_errno: int) -> object:
    def fail_for_hero(fd: int, *args: object) -> object:
        if "hero" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(exc_errno, os.strerror(exc_errno))
        return real(fd, *args)  # type: ignore[operator]
    return fail_for_hero


def _assert_hero_failed_card_written(site: Path, result: object, reason: str) -> None:
    assert result.code == 1, result.output  # type: ignore[attr-defined]
    assert "Traceback" not in result.output and "internal error" not in result.output  # type: ignore[attr-defined]
    lines = [line for line in result.output.splitlines() if line.startswith("hero: failed")]  # type: ignore[attr-defined]
    assert len(lines) == 1 and reason in lines[0] and "img/hero" in lines[0], lines
    assert (site / "public/img/card.png.provenance.json").is_file()
    assert not (site / "public/img/hero.png").exists()
    assert not [p for p in site.rglob("*") if ".assetgen-tmp-" in p.name
                or p.name.endswith(".assetgen-pending")]


def test_full_disk_fails_that_asset_only(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path / "site", MANIFEST)
    monkeypatch.setattr(os, "write", _hero_only(os.write, errno.ENOSPC))
    result = run_cli("-C", site, "build", "--concurrency", "1")
    monkeypatch.undo()
    _assert_hero_failed_card_written(site, result, "No space left on device")


def test_read_only_folder_fails_that_asset_only(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path / "site", MANIFEST)
    real_open = os.open

    def read_only(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & os.O_CREAT and "hero" in os.fspath(path):  # type: ignore[arg-type]
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fspath(path))  # type: ignore[arg-type]
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    result = run_cli("-C", site, "build")
    monkeypatch.undo()
    _assert_hero_failed_card_written(site, result, "Read-only file system")


def test_a_long_but_legal_file_name_that_cannot_hold_its_sidecar_fails_that_asset_only(
        tmp_path: Path) -> None:
    long_name = "h" * 221 + ".png"  # 225 bytes: legal, but the sidecar's name would not be
    site = write_site(tmp_path / "site", MANIFEST.replace("img/hero.png", f"img/{long_name}"))
    result = run_cli("-C", site, "build")
    assert result.code == 1, result.output
    assert "internal error" not in result.output
    line = next(line for line in result.output.splitlines() if line.startswith("hero: failed"))
    assert "File name too long" in line and "img/hhh" in line
    assert (site / "public/img/card.png.provenance.json").is_file()
    for command in ("plan", "verify"):
        assert run_cli("-C", site, command).code != EXIT_INTERNAL


def test_a_name_no_file_system_allows_is_a_manifest_error(tmp_path: Path) -> None:
    long_name = "h" * 296 + ".png"
    site = write_site(tmp_path / "site", MANIFEST.replace("img/hero.png", f"img/{long_name}"))
    for command in ("build", "plan", "verify"):
        result = run_cli("-C", site, command)
        assert result.code == 2, result.output
        assert "assetgen.yaml:" in result.output and "300 bytes long" in result.output


@pytest.mark.parametrize("root", ['"x\\0y"', '"../outside"', "42"])
def test_an_edited_asset_whose_root_is_refused_is_a_manifest_error(tmp_path: Path,
                                                                   root: str) -> None:
    """The edit naming it must not resolve the refused root itself (a NUL byte made
    Path.resolve raise: exit 4)."""
    manifest = (
        "version: 1\noutput_dir: public\ndefaults:\n  route: draft\nassets:\n"
        f"  - id: a\n    root: {root}\n    path: a.png\n    prompt: \"p\"\n"
        "  - id: b\n    path: b.png\n    prompt: \"q\"\n    edit:\n      images: [a]\n")
    site = write_site(tmp_path / "site", manifest)
    for command in ("plan", "verify", "build"):
        result = run_cli("-C", site, command)
        assert result.code == 2, result.output
        assert "assetgen.yaml:7: root" in result.err and "is refused" in result.err
        assert "Traceback" not in result.output


@pytest.mark.parametrize("blocked", ["img/hero.png", "img/hero.png.provenance.json"])
def test_a_folder_where_a_file_should_be_fails_that_asset_only(tmp_path: Path,
                                                               blocked: str) -> None:
    site = write_site(tmp_path / "site", MANIFEST)
    (site / "public" / blocked).mkdir(parents=True)
    (site / "public" / blocked / "keep.txt").write_text("x")
    result = run_cli("-C", site, "build", "--force")
    assert result.code == 1, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("hero: failed"))
    assert "Is a directory" in line or "Directory not empty" in line or "Not a directory" in line
    assert str(Path("public") / blocked) in line
    assert (site / "public/img/card.png.provenance.json").is_file()
    for command in ("plan", "verify", "report"):
        assert run_cli("-C", site, command).code != EXIT_INTERNAL
