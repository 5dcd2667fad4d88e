"""`assetgen verify` end to end through the real CLI: exit codes, messages, scoping, --json,
--strict and the caches."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from assetgen.manifest import Manifest
from assetgen.manifest.load import load_manifest
from tests.fakes.sites import png_bytes, run_cli, write_site
from tests.verify.test_check import make_site, record

CLEAN = """\
version: 1
sources: ["pages/*.html"]
static:
  - path: logo.svg
assets:
  - id: hero
    path: img/hero.png
    prompt: a rocket
  - id: card
    path: img/card.png
    prompt: a card
"""
PAGE = """\
<img src="/logo.svg" alt="">
<img src="/img/hero.png" alt="" width="64" height="64">
<img src="/img/card.png" alt="">
"""


@pytest.fixture
def clean(tmp_path: Path) -> Manifest:
    root = write_site(tmp_path / "site", CLEAN, {"pages/index.html": PAGE,
                                                 "public/logo.svg": "<svg/>\n"})
    manifest = load_manifest(root / "assetgen.yaml")
    record(manifest, "hero", png_bytes(64, 64))
    record(manifest, "card", png_bytes(48, 48))
    return manifest


def test_clean_site_passes_with_one_summary_line(clean: Manifest) -> None:
    result = run_cli("-C", clean.root, "verify")
    assert result.code == 0, result.output
    assert result.out.strip() == ("verify: 2 assets, 1 static, 3 references — all lineage "
                                  "intact")


def test_every_problem_is_one_line_with_path_state_and_remedy(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    result = run_cli("-C", site.root, "verify")
    assert result.code == 1
    lines = result.out.splitlines()
    problems = [line for line in lines if not line.startswith("verify:")]
    assert len(problems) == 14
    for line in problems:
        assert re.match(r"^[\w./-]+: [a-z-]+ — .+; .+$", line), line
    assert ("public/img/dented.png: tampered — the file's bytes differ from its sidecar's "
            "sha256; restore it, run `assetgen build dented` to remake it") in result.out
    assert "public/img/ghost.png: missing — no image file yet; used by pages/index.html:5; " \
           "run `assetgen build ghost`" in result.out
    assert "public/img/nope.png: broken-ref — pages/index.html:11 references `/img/nope.png`" \
        in result.out
    assert "public/img/stray.png: untracked — " in result.out
    assert "public/img/gone.png.provenance.json: orphan-sidecar — " in result.out
    assert "public/img/codex.png: unknown — referenced by pages/about/index.html:4" \
        in result.out
    # errors first, then warnings; the summary last
    states = [line.split(": ", 1)[1].split(" ")[0] for line in problems]
    first_warning = min(i for i, s in enumerate(states)
                        if s in ("stale", "draft", "unreferenced", "aspect-mismatch"))
    assert all(s in ("stale", "draft", "unreferenced", "aspect-mismatch")
               for s in states[first_warning:])
    assert "verify: 9 errors, 5 warnings in 7 assets, 2 static, 15 references" in result.out


def test_warnings_pass_unless_strict(clean: Manifest) -> None:
    record(clean, "card", png_bytes(48, 48), route="draft")
    result = run_cli("-C", clean.root, "verify")
    assert result.code == 0
    assert "public/img/card.png: draft — " in result.out
    assert "no errors, 1 warning" in result.out
    strict = run_cli("-C", clean.root, "verify", "--strict")
    assert strict.code == 1
    assert "public/img/card.png: draft — " in strict.out


def test_stale_is_a_warning_and_strict_error(clean: Manifest) -> None:
    text = clean.file.read_text().replace("prompt: a card", "prompt: a better card")
    clean.file.write_text(text)
    assert run_cli("-C", clean.root, "verify").code == 0
    result = run_cli("-C", clean.root, "verify", "--strict")
    assert result.code == 1
    assert "public/img/card.png: stale — prompt changed; run `assetgen build card`" in result.out


def test_unreferenced_and_aspect_are_warnings(clean: Manifest) -> None:
    page = clean.root / "pages/index.html"
    page.write_text(PAGE.replace('<img src="/img/card.png" alt="">\n', "")
                    .replace('width="64" height="64"', 'width="64" height="32"'))
    result = run_cli("-C", clean.root, "verify")
    assert result.code == 0, result.output
    assert "public/img/card.png: unreferenced — " in result.out
    assert ("public/img/hero.png: aspect-mismatch — pages/index.html:2 sets width=64 "
            "height=32") in result.out
    assert run_cli("-C", clean.root, "verify", "--strict").code == 1


def test_json_document(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    result = run_cli("-C", site.root, "verify", "--json")
    assert result.code == 1
    doc = json.loads(result.out)
    assert set(doc) == {"findings", "summary", "skipped_references", "exit_code"}
    assert doc["exit_code"] == 1
    summary = doc["summary"]
    assert summary["errors"] == 9 and summary["warnings"] == 5
    assert summary["by_state"]["fresh"] == 2 and summary["by_state"]["broken-ref"] == 2
    assert summary["assets"] == 7 and summary["references"] == 15
    assert doc["skipped_references"]["external"] == 1
    assert doc["skipped_references"]["template"] == 1
    nope = next(f for f in doc["findings"] if f["path"] == "public/img/nope.png")
    assert nope == {"path": "public/img/nope.png", "state": "broken-ref", "severity": "error",
                    "message": "pages/index.html:11 references `/img/nope.png`, which does "
                               "not exist", "remedy": nope["remedy"],
                    "page": "pages/index.html", "line": 11, "asset": None}
    assert nope["remedy"].startswith("fix the reference")


def test_json_is_alone_on_stdout_when_clean(clean: Manifest) -> None:
    result = run_cli("-C", clean.root, "verify", "--json", "--strict")
    assert json.loads(result.out)["exit_code"] == 0
    assert result.code == 0


def test_paths_are_relative_to_where_verify_runs(tmp_path: Path, clean: Manifest,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    clean.by_id["hero"].file.write_bytes(png_bytes(64, 64, (0, 0, 0)))
    monkeypatch.chdir(clean.root.parent)
    result = run_cli("verify", "site/public/img/hero.png")  # as pre-commit passes it
    assert result.code == 1
    assert result.out.startswith("site/public/img/hero.png: tampered — ")


def test_file_arguments_scope_the_check(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")

    def states(*files: str) -> tuple[int, list[str]]:
        result = run_cli("-C", site.root, "verify", "--json", *files)
        return result.code, sorted(f"{f['path']}:{f['state']}"
                                   for f in json.loads(result.out)["findings"])

    assert states("public/img/dented.png") == (1, ["public/img/dented.png:tampered"])
    assert states("public/img/sketch.png") == (0, ["public/img/sketch.png:draft"])
    assert states("public/img/stray.png.provenance.json") == (
        1, ["public/img/stray.png:untracked"])
    assert states("content/post.md") == (1, ["content/missing.png:broken-ref"])
    assert states("public/img/hero.png")[0] == 0
    code, everything = states("assetgen.yaml")
    assert code == 1 and len(everything) == 14


def test_files_that_cannot_concern_a_site_are_not_checked(clean: Manifest) -> None:
    (clean.root / "notes.txt").write_text("unrelated\n")
    text = run_cli("-C", clean.root, "verify", "notes.txt", "pages/notes.txt")
    assert (text.code, text.out) == (0, "verify: nothing in the given files concerns this "
                                         "site\n")
    summary = json.loads(run_cli("-C", clean.root, "verify", "--json", "notes.txt").out)
    assert summary["summary"]["pages"] == 0  # none scanned: the answer came before the check
    assert summary["summary"]["scoped"] is True and summary["findings"] == []
    scanned = json.loads(run_cli("-C", clean.root, "verify", "--json", "notes.txt",
                                 "pages/index.html").out)
    assert scanned["summary"]["pages"] == 1 and scanned["summary"]["references"] == 3
    # The cheap answer comes from the manifest cache: an edited manifest is parsed (and a
    # broken one reported) before anything is said of the files.
    clean.file.write_text(clean.file.read_text() + "  - id: Bad Id\n")
    broken = run_cli("-C", clean.root, "verify", "notes.txt")
    assert broken.code == 2 and "assetgen.yaml:" in broken.err


def test_a_manifest_the_cache_misses_is_looked_up_once(
        clean: Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify looks the manifest cache up before deciding whether to check; on a miss the
    loader keeps the manifest under that lookup's key instead of reading both again."""
    from assetgen.commands import verify as verify_command
    from assetgen.manifest import cache

    looked: list[Path] = []
    real = cache.lookup

    def counting(path: Path, cache_file: Path) -> Any:
        looked.append(path)
        return real(path, cache_file)

    monkeypatch.setattr(cache, "lookup", counting)
    monkeypatch.setattr(verify_command, "lookup", counting)
    assert run_cli("-C", clean.root, "verify", "pages/index.html").code == 0  # a miss
    assert looked == [clean.file]
    assert run_cli("-C", clean.root, "verify", "pages/index.html").code == 0  # a hit
    assert looked == [clean.file, clean.file]


def test_files_outside_any_site_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.md").write_text("![x](/nope.png)\n")
    monkeypatch.chdir(tmp_path)
    result = run_cli("verify", "notes.md")
    assert result.code == 0
    assert "nothing to check" in result.err


def test_each_file_is_checked_against_its_own_manifest(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("one", "two"):
        root = write_site(tmp_path / name, CLEAN, {"pages/index.html": PAGE,
                                                    "public/logo.svg": "<svg/>\n"})
        manifest = load_manifest(root / "assetgen.yaml")
        record(manifest, "hero", png_bytes(64, 64))
        record(manifest, "card", png_bytes(48, 48))
    (tmp_path / "two/public/img/card.png").write_bytes(png_bytes(48, 48, (1, 1, 1)))
    monkeypatch.chdir(tmp_path)
    result = run_cli("verify", "one/pages/index.html", "two/public/img/card.png")
    assert result.code == 1
    assert result.out.startswith("two/public/img/card.png: tampered — ")
    assert "verify: one/assetgen.yaml: 2 assets, 1 static, 3 references — all lineage " \
           "intact" in result.out


def test_hash_cache_is_written_and_trusted_until_dropped(clean: Manifest) -> None:
    assert run_cli("-C", clean.root, "verify").code == 0
    cache = json.loads((clean.state_dir / "hashes.json").read_text())
    hero = clean.by_id["hero"].file
    assert os.fspath(hero) in cache
    # Same size, same inode, same mtime: the cache is trusted and the file not re-read...
    stat = hero.stat()
    data = bytearray(hero.read_bytes())
    data[-20] ^= 0xFF
    with hero.open("r+b") as handle:
        handle.write(bytes(data))
    os.utime(hero, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert hero.stat().st_ino == stat.st_ino and hero.stat().st_size == stat.st_size
    assert run_cli("-C", clean.root, "verify").code == 0
    # ...until --no-cache re-derives every hash.
    result = run_cli("-C", clean.root, "verify", "--no-cache")
    assert result.code == 1
    assert "public/img/hero.png: tampered — " in result.out
    # A changed mtime invalidates the entry even with the cache.
    os.utime(hero, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert run_cli("-C", clean.root, "verify").code == 1


def test_manifest_cache_follows_manifest_changes(clean: Manifest) -> None:
    assert run_cli("-C", clean.root, "verify").code == 0
    cached = clean.state_dir / "manifest.json"
    assert json.loads(cached.read_text())["key"]["sha256"]
    assert run_cli("-C", clean.root, "verify").code == 0  # answered from the cache
    text = clean.file.read_text() + "  - id: extra\n    path: img/extra.png\n    prompt: new\n"
    clean.file.write_text(text)
    result = run_cli("-C", clean.root, "verify")
    assert result.code == 1
    assert "public/img/extra.png: missing — " in result.out
    cached.write_text("{not json")
    assert run_cli("-C", clean.root, "verify").code == 1  # a broken cache is ignored
    assert json.loads(cached.read_text())["key"]["sha256"]  # and rewritten


def test_manifest_cache_rechecks_edit_inputs(tmp_path: Path) -> None:
    root = write_site(tmp_path, """\
        version: 1
        assets:
          - id: night
            path: night.png
            prompt: at night
            edit:
              images: [inputs/day.png]
        """, {"inputs/day.png": png_bytes(16, 16)})
    assert run_cli("-C", root, "verify").code == 1  # missing
    (root / "inputs/day.png").unlink()
    result = run_cli("-C", root, "verify")
    assert result.code == 2  # the manifest error, as without a cache
    assert "does not exist" in result.err


def test_no_cache_writes_no_cache_files(clean: Manifest) -> None:
    assert run_cli("-C", clean.root, "verify", "--no-cache").code == 0
    assert not (clean.state_dir / "hashes.json").exists()
    assert not (clean.state_dir / "manifest.json").exists()
    assert not (clean.state_dir / "pages.json").exists()
    assert run_cli("-C", clean.root, "verify").code == 0  # and a normal run does keep them
    assert {p.name for p in clean.state_dir.iterdir()} >= {"hashes.json", "manifest.json",
                                                            "pages.json"}


def test_manifest_error_exits_2_without_traceback(tmp_path: Path) -> None:
    root = write_site(tmp_path, "version: 1\nassets:\n  - id: Bad Id\n")
    result = run_cli("-C", root, "verify")
    assert result.code == 2
    assert "Traceback" not in result.output
    assert "assetgen.yaml:3" in result.err


def test_missing_manifest_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("--manifest", tmp_path / "nope.yaml", "verify")
    assert result.code == 2
    assert "no such manifest" in result.err


def test_example_site_verifies_without_errors(repo_root: Path, tmp_path: Path) -> None:
    import shutil

    site = tmp_path / "example-site"
    shutil.copytree(repo_root / "example-site", site,
                    ignore=shutil.ignore_patterns(".assetgen"))
    if not (site / "public/img/hero.webp").exists():
        assert run_cli("-C", site, "build", "--draft").code == 0
    result = run_cli("-C", site, "verify")
    assert result.code == 0, result.output
    assert "2 static" in result.out


def test_no_manifest_cache_when_output_dir_has_symlinks(clean: Manifest) -> None:
    (clean.output_dir / "alias").symlink_to(clean.output_dir / "img")
    assert run_cli("-C", clean.root, "verify").code == 0
    assert not (clean.state_dir / "manifest.json").exists()  # the loader's checks must run
    assert (clean.state_dir / "hashes.json").exists()


def test_a_folder_argument_stands_for_the_files_below_it(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    result = run_cli("-C", site.root, "verify", "--json", "content")
    assert sorted(f["path"] for f in json.loads(result.out)["findings"]) == [
        "content/missing.png"]
    result = run_cli("-C", site.root, "verify", "--json", "public")
    states = {f["state"] for f in json.loads(result.out)["findings"]}
    # every image and sidecar that exists below public/; not pages/, nor absent files
    assert states == {"stale", "tampered", "unrecorded", "draft", "untracked",
                      "orphan-sidecar", "unknown", "unreferenced", "aspect-mismatch"}
