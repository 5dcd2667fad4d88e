"""verify/scope.py: `may_concern`, the cheap answer that lets `verify FILE...` skip the
checker, must never say no where the full check would report or count anything; and its
glob match must accept every file `Path.glob` finds."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from assetgen.manifest import Manifest
from assetgen.manifest.load import load_manifest
from assetgen.verify.check import check
from assetgen.verify.scope import may_concern, sources_match
from tests.fakes.sites import mask_bytes, png_bytes, write_site
from tests.verify.test_check import make_site

EDITS = """\
version: 1
sources: ["pages/**/*.html", "README.md"]
assets:
  - id: night
    path: img/night.png
    prompt: the same street at night
    edit:
      images: [inputs/day]
      mask: inputs/sky.png
"""


def _edit_site(root: Path) -> Manifest:
    write_site(root, EDITS, {"inputs/day": png_bytes(16, 16),
                             "inputs/sky.png": mask_bytes(16, 16),
                             "pages/a/index.html": '<img src="/img/night.png">',
                             "notes.txt": "unrelated\n"})
    return load_manifest(root / "assetgen.yaml")


def test_each_kind_of_file_a_check_reads_may_concern_the_site(tmp_path: Path) -> None:
    manifest = _edit_site(tmp_path)
    root = manifest.root

    def asks(*names: str) -> bool:
        return may_concern(manifest, [root / name for name in names])

    assert asks("assetgen.yaml")
    assert asks("inputs/day")  # an edit input, whatever its name
    assert asks("inputs/sky.png")
    assert asks("pages/a/index.html") and asks("README.md")
    assert asks("public/img/night.png.provenance.json")
    assert asks("elsewhere/photo.JPG")  # any image: with a sidecar it is `untracked`
    assert not asks("notes.txt")
    assert not asks("pages/a/notes.txt", "docs/README.md", "inputs/day.txt")
    assert not may_concern(manifest, [tmp_path.parent / "README.md"])  # outside the site
    assert asks("notes.txt", "pages/b.html")  # one file is enough


def _every_file(root: Path) -> list[Path]:
    return sorted(Path(folder, name) for folder, _, names in os.walk(root) for name in names)


def test_when_it_says_no_the_full_check_reports_and_counts_nothing(tmp_path: Path) -> None:
    """Exhaustive over two sites' files (every lineage state, edits) plus strangers: each
    file the cheap answer turns away gives an empty scoped report when checked in full."""
    sites = [make_site(tmp_path / "states"), _edit_site(tmp_path / "edits")]
    turned_away = 0
    for manifest in sites:
        strangers = [manifest.root / "notes.md", manifest.root / "pages/x.txt",
                     manifest.root / ".assetgen/cache.json"]
        for file in [*_every_file(manifest.root), *strangers]:
            if may_concern(manifest, [file]):
                continue
            turned_away += 1
            report = check(manifest, files=[file])
            assert report.findings == [], file
            assert (report.assets, report.static, report.references, report.files) == \
                (0, 0, 0, 0), file
    assert turned_away >= 6  # the test would pass vacuously if everything concerned the site


_NAMES = st.sampled_from(["a", "B", "index.md", "Post.MD", ".hidden.md", "x.html", "a.b.c"])
_PATTERN_PARTS = st.sampled_from(["**", "*", "*.md", "*.MD", "a", "B", "?", "[!a-c]*",
                                  "*.html", "[A-Z]*", "x.*", ".*", "a**"])


@settings(max_examples=120, deadline=None)
@given(files=st.lists(st.lists(_NAMES, min_size=1, max_size=4), min_size=1, max_size=6),
       pattern=st.lists(_PATTERN_PARTS, min_size=1, max_size=4))
def test_every_file_glob_finds_is_matched(files: list[list[str]], pattern: list[str]) -> None:
    glob = "/".join(pattern)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for parts in files:
            path = root.joinpath(*parts)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
            except OSError:
                continue  # a name already taken by a folder, or the other way round
        try:
            found = [p for p in root.glob(glob) if p.is_file()]
        except ValueError:
            return  # glob refuses the pattern (`a**`); find_pages skips it too
        for match in found:
            assert sources_match([glob], match.relative_to(root).as_posix()), (glob, match)


def test_hostile_patterns_are_skipped_or_matched_without_blowing_up() -> None:
    assert not sources_match(["/etc/**", "../**/*.md", "   "], "a/b.md")
    deep = "/".join(["**"] * 40 + ["*.md"])
    assert sources_match([deep], "/".join(["d"] * 60 + ["x.md"]))
    assert not sources_match([deep], "/".join(["d"] * 60 + ["x.txt"]))
