"""verify/page_memo.py: a page's references remembered in the hash cache. A warm check
must report exactly what a cold one does, an edited page must be read again, a memo the
state folder was given by someone else must only cost a scan, and sites with a generator
are never answered from memos."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from assetgen.core.hashcache import PAGES_FILE, HashCache
from assetgen.manifest import Manifest
from assetgen.manifest.load import load_manifest
from assetgen.verify import page_memo, syntaxes
from assetgen.verify import references as references_module
from assetgen.verify.check import check
from assetgen.verify.report import LineageReport
from tests.fakes.sites import write_site
from tests.verify.test_check import make_site


def _checked(manifest: Manifest) -> LineageReport:
    """A check as `assetgen verify` runs it: file hashes and page memos kept apart."""
    hashes = HashCache(manifest.state_dir / "hashes.json", root=manifest.root)
    pages = HashCache(manifest.state_dir / PAGES_FILE, root=manifest.root)
    report = check(manifest, hashes=hashes, pages=pages)
    hashes.save()
    pages.save()
    return report


def _summary(report: LineageReport) -> tuple[Any, ...]:
    return ([(f.path, f.state, f.message, f.page, f.line) for f in report.findings],
            report.by_state, report.references, report.pages, report.skipped)


def _count_scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    scanned: list[str] = []
    real = syntaxes.scan_text

    def counting(page: str, *args: Any) -> Any:
        scanned.append(os.path.basename(page))
        return real(page, *args)

    monkeypatch.setattr(references_module, "scan_text", counting)
    return scanned


def test_a_warm_check_reports_what_a_cold_one_does_without_scanning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(tmp_path / "site")  # every lineage state, four pages
    cold = _checked(site)
    scans = _count_scans(monkeypatch)
    warm = _checked(site)
    assert _summary(warm) == _summary(cold)
    assert cold.pages == 4 and scans == []
    page = site.root / "content/post.md"
    stat = page.stat()
    page.write_text(page.read_text() + "![new](/img/new.png)\n")
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    edited = _checked(site)
    assert scans == ["post.md"]
    assert any(f.state == "broken-ref" and f.path.name == "new.png" for f in edited.findings)


@pytest.mark.parametrize("memo", [
    None, [], {"refs": []}, {"refs": [], "skipped": {}, "extra": 1},
    {"refs": [[1, "x.png", "relative/x.png", "img", None]], "skipped": {}},
    {"refs": [[0, "x.png", "/x.png", "img", None]], "skipped": {}},
    {"refs": [[True, "x.png", "/x.png", "img", None]], "skipped": {}},
    {"refs": [[1, "x.png", "/x.png", "img", {"width": 3}]], "skipped": {}},
    {"refs": [[1, "x.png", "/x.png", "img"]], "skipped": {}},
    {"refs": [], "skipped": {"external": -1}},
    {"refs": [], "skipped": {"made-up": 1}},
])
def test_a_memo_not_written_here_is_ignored_and_the_page_scanned(
        tmp_path: Path, memo: Any) -> None:
    assert page_memo.from_memo(memo, "/site/index.html", {}) is None
    site = make_site(tmp_path / "site")
    cold = _checked(site)
    cache_file = site.state_dir / PAGES_FILE
    entries = json.loads(cache_file.read_text())
    tagged = 0
    for entry in entries.values():
        if len(entry) > 4:
            for tag in list(entry[4]):
                if tag.startswith("scan:"):
                    entry[4][tag] = memo  # as a hand-edited or hostile state folder has it
                    tagged += 1
    assert tagged == 4
    cache_file.write_text(json.dumps(entries))
    assert _summary(_checked(site)) == _summary(cold)


def test_a_memo_holds_only_what_a_scan_found() -> None:
    scanned = syntaxes.scan_text("/site/pages/a.html", '<img src="/img/a.png" width="4" '
                                 'height="2">\n<img src="https://cdn/x.png">\n',
                                 "/site/public", {})
    memo = json.loads(json.dumps(page_memo.to_memo(scanned)))  # as the cache file keeps it
    back = page_memo.from_memo(memo, "/site/pages/a.html", {})
    assert back is not None
    assert back.references == scanned.references and back.skipped == scanned.skipped
    assert [r.attrs for r in back.references] == [{"width": "4", "height": "2"}]


def test_the_tag_changes_with_the_output_folder_and_the_code(
        monkeypatch: pytest.MonkeyPatch) -> None:
    tag = page_memo.memo_tag("/site/public")
    assert tag != page_memo.memo_tag("/site/dist") and tag.startswith("scan:")
    monkeypatch.setattr(page_memo, "code_stamp", lambda: "an edited scanner")
    assert page_memo.memo_tag("/site/public") != tag


def test_a_build_never_loads_the_page_memos(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site")
    _checked(site)
    hashes = json.loads((site.state_dir / "hashes.json").read_text())
    assert not any(tag.startswith("scan:") for entry in hashes.values() if len(entry) > 4
                   for tag in entry[4])  # a build reads this file: no page memo in it
    assert (site.state_dir / PAGES_FILE).is_file()


def test_a_site_with_a_generator_is_scanned_every_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_site(tmp_path, "version: 1\ngenerator: hugo\noutput_dir: static\n"
                      "sources: [content/**/*.md]\n",
                      {"content/a.md": "![a](/img/a.png)\n", "static/img/a.png": "x"})
    manifest = load_manifest(root / "assetgen.yaml")
    _checked(manifest)
    scans = _count_scans(monkeypatch)
    _checked(manifest)
    assert scans == ["a.md"]  # its resolver tries files in the order they exist
