"""What the everyday commands import: a no-op build or a pre-commit verify must not pay
for the HTTP stack, Pillow, the YAML parsers or the C2PA bindings (each costs 15-60 ms
of start-up). Measured in a fresh interpreter running the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fakes.sites import TWO_DRAFT_ASSETS, run_cli, write_site

HEAVY = ("httpx", "PIL", "yaml", "ruamel", "jinja2", "c2pa", "rich")
# What a full check loads: the checker, the page scanners and the planner.
CHECKER = ("assetgen.verify.check", "assetgen.verify.syntaxes", "assetgen.build.planner")
_PROBE = """
import atexit, sys
atexit.register(lambda: print("HEAVY=" + ",".join(
    sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr))
from assetgen.cli.app import main
main(sys.argv[1:])
"""


def _heavy_imports(site: Path, *args: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=heavy), "-C", str(site),
                           *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    line = [text for text in done.stderr.splitlines() if text.startswith("HEAVY=")][-1]
    return [name for name in line.removeprefix("HEAVY=").split(",") if name]


def test_a_no_op_build_and_a_verify_import_nothing_heavy(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", TWO_DRAFT_ASSETS + "sources: ['pages/*.html']\n",
                      {"pages/index.html": '<img src="/img/hero.png">'})
    assert run_cli("-C", site, "build").code == 0  # fills the manifest cache too
    # The first verify reads each image's embedded record with Pillow and remembers the
    # answer by the file's stat in the hash cache; later ones (every commit) do not.
    assert run_cli("-C", site, "verify").code == 0
    assert _heavy_imports(site, "build") == []
    assert _heavy_imports(site, "verify") == []
    assert _heavy_imports(site, "verify", str(site / "pages/index.html")) == []
    assert _heavy_imports(site, "plan") == []


def test_a_verify_of_files_that_cannot_concern_the_site_loads_no_checker(
        tmp_path: Path) -> None:
    """A commit of unrelated files (how pre-commit calls the hook most of the time) costs a
    read of the manifest cache, not a parse nor a check: `verify.scope.may_concern`."""
    site = write_site(tmp_path / "site", TWO_DRAFT_ASSETS + "sources: ['pages/*.html']\n",
                      {"pages/index.html": '<img src="/img/hero.png">', "notes.txt": "x\n"})
    # The first run parses the manifest (and checks nothing); the manifest cache answers
    # every later one, so the YAML parser and resolvers are not loaded either.
    loader = "assetgen.manifest.load"
    assert _heavy_imports(site, "verify", "notes.txt", heavy=(*CHECKER, loader)) == [loader]
    assert _heavy_imports(site, "verify", "notes.txt", heavy=(*CHECKER, loader)) == []
    assert _heavy_imports(site, "verify", "pages/index.html",
                          heavy=(*CHECKER, loader)) == sorted(CHECKER)
