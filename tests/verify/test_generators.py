"""Each generator's synthetic site: exactly the expected references (SPEC 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assetgen.manifest.load import load_manifest
from assetgen.verify.references import scan_sources
from assetgen.verify.resolve import resolver_for
from tests.verify.sites import SITES


def write(root: Path, files: dict[str, str], generator: str, output_dir: str,
          sources: list[str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    manifest = root / "assetgen.yaml"
    manifest.write_text(f"version: 1\ngenerator: {generator}\noutput_dir: {output_dir}\n"
                        f"sources: {json.dumps(sources)}\n", encoding="utf-8")
    return manifest


def references(root: Path) -> list[tuple[str, int, str, str]]:
    manifest = load_manifest(root / "assetgen.yaml")
    scan = scan_sources(manifest.root, manifest.sources, manifest.output_dir,
                        resolver_for(manifest))
    return sorted((r.page.relative_to(root).as_posix(), r.line, r.kind,
                   r.target.relative_to(root).as_posix()) for r in scan.references)


@pytest.mark.parametrize("generator", sorted(SITES))
def test_generator_site_references(tmp_path: Path, generator: str) -> None:
    files, output_dir, sources, expected = SITES[generator]
    write(tmp_path, files, generator, output_dir, sources)
    assert references(tmp_path) == sorted(expected)


PERMALINK_PAGES = {
    "_config.yml": "title: Site\n",
    "about.md": ("---\ntitle: Team\npermalink: /company/team/\n---\n"
                 "![team](img/team.png)\n<img src=\"../logo.png\">\n"),
    "_posts/2020-01-01-launch.md": ("---\npermalink: \"/blog/launch.html\"\n---\n"
                                    "![pic](pic.png)\n"),
    "_posts/2020-01-02-pattern.md": ("---\npermalink: /:categories/:title/\n---\n"
                                     "![own](own.png)\n"),
    "company/team/img/team.png": "", "company/logo.png": "", "blog/pic.png": "",
    "_posts/own.png": "",
}


@pytest.mark.parametrize("generator", ["jekyll", "eleventy"])
def test_a_permalink_is_the_url_relative_paths_resolve_against(tmp_path: Path,
                                                                generator: str) -> None:
    write(tmp_path, PERMALINK_PAGES, generator, ".", ["*.md", "_posts/*.md"])
    assert references(tmp_path) == [
        ("_posts/2020-01-01-launch.md", 4, "md", "blog/pic.png"),
        # a permalink pattern is no URL to resolve against: the page's folder still counts
        ("_posts/2020-01-02-pattern.md", 4, "md", "_posts/own.png"),
        ("about.md", 5, "md", "company/team/img/team.png"),
        ("about.md", 6, "img", "company/logo.png"),
    ]


def test_a_permalink_on_a_plain_site_changes_nothing(tmp_path: Path) -> None:
    pages = {"about.md": "---\npermalink: /company/team/\n---\n![team](img/team.png)\n",
             "company/team/img/team.png": ""}
    write(tmp_path, pages, "plain", ".", ["about.md"])
    assert [r[3] for r in references(tmp_path)] == ["img/team.png"]
