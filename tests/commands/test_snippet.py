"""`assetgen snippet ID`: <picture> markup from what the sidecar says was published."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.fakes.sites import run_cli, write_site

SITE = """\
version: 1
defaults:
  route: draft
assets:
  - id: hero
    path: img/hero.webp
    prompt: "A rocket"
    size: 1536x1024
    alt: A "rocket" <launch> & more
    variants: {widths: [480, 1600], formats: [avif, webp], sizes: "(min-width: 60rem) 60rem, 100vw"}
  - id: plain
    path: img/plain.png
    prompt: "A plain field"
    width: 300
    height: 200
  - id: same-format
    path: img/same.webp
    prompt: "Same"
    size: 1024x1024
    alt: Same
    variants: {widths: [512]}
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = write_site(tmp_path, SITE)
    assert run_cli("-C", root, "build").code == 0
    return root


def test_picture_with_sources_srcset_sizes_and_escaped_alt(site: Path) -> None:
    result = run_cli("-C", site, "snippet", "hero")
    assert result.code == 0, result.output
    assert result.out == (
        '<picture>\n'
        '  <source type="image/avif" srcset="/img/hero-480w.avif 480w, /img/hero-1536w.avif '
        '1536w" sizes="(min-width: 60rem) 60rem, 100vw">\n'
        '  <img src="/img/hero.webp" srcset="/img/hero-480w.webp 480w, /img/hero.webp 1536w" '
        'sizes="(min-width: 60rem) 60rem, 100vw" width="1536" height="1024" '
        'alt="A &#34;rocket&#34; &lt;launch&gt; &amp; more">\n'
        '</picture>\n')
    assert result.err == ""


def test_sizes_option_overrides(site: Path) -> None:
    result = run_cli("-C", site, "snippet", "hero", "--sizes", "50vw")
    assert result.code == 0 and result.out.count('sizes="50vw"') == 2


def test_without_variants_a_plain_img_and_a_warning_for_missing_alt(site: Path) -> None:
    result = run_cli("-C", site, "snippet", "plain")
    assert result.code == 0
    assert result.out == '<img src="/img/plain.png" width="300" height="200" alt="">\n'
    assert "has no `alt:`" in result.err


def test_variants_in_the_main_format_only_need_no_picture(site: Path) -> None:
    result = run_cli("-C", site, "snippet", "same-format")
    assert result.out == ('<img src="/img/same.webp" srcset="/img/same-512w.webp 512w, '
                          '/img/same.webp 1024w" sizes="100vw" width="1024" height="1024" '
                          'alt="Same">\n')


def test_not_built_and_unknown_ids(tmp_path: Path) -> None:
    root = write_site(tmp_path, SITE)
    missing = run_cli("-C", root, "snippet", "hero")
    assert missing.code == 1 and "`hero` has not been built yet" in missing.err
    assert "assetgen build hero" in missing.err and missing.out == ""
    unknown = run_cli("-C", root, "snippet", "heor")
    assert unknown.code == 2 and "did you mean `hero`" in unknown.err


def test_a_manifest_template_replaces_the_built_in_one(site: Path) -> None:
    (site / "templates").mkdir()
    (site / "templates/pic.html.j2").write_text(
        "{% for f in files %}{{ f.src }}={{ f.width }}x{{ f.height }};{% endfor %}"
        "{{ asset.id }}|{{ alt }}")
    manifest = site / "assetgen.yaml"
    manifest.write_text("snippet_template: templates/pic.html.j2\n" + manifest.read_text())
    result = run_cli("-C", site, "snippet", "hero")
    assert result.code == 0, result.output
    assert result.out.startswith("/img/hero.webp=1536x1024;/img/hero-480w.avif=480x320;")
    assert result.out.strip().endswith("hero|A &#34;rocket&#34; &lt;launch&gt; &amp; more")


def test_a_broken_template_is_a_clear_error(site: Path) -> None:
    (site / "bad.j2").write_text("line one\n{% for x in %}\n")
    manifest = site / "assetgen.yaml"
    manifest.write_text("snippet_template: bad.j2\n" + manifest.read_text())
    result = run_cli("-C", site, "snippet", "hero")
    assert result.code == 2 and "bad.j2:2: invalid snippet template" in result.err
    assert "Traceback" not in result.output
    (site / "bad.j2").write_text("{{ nope }}")
    result = run_cli("-C", site, "snippet", "hero")
    assert result.code == 2 and "'nope' is undefined" in result.err


def test_a_missing_template_is_a_manifest_error(site: Path) -> None:
    manifest = site / "assetgen.yaml"
    manifest.write_text("snippet_template: nowhere.j2\n" + manifest.read_text())
    result = run_cli("-C", site, "snippet", "hero")
    assert result.code == 2 and "snippet_template `nowhere.j2` does not exist" in result.err


# --- the example site uses this markup ------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("asset_id", ["hero", "post-cover-first"])
def test_example_site_pages_use_the_snippet_markup(repo_root: Path, asset_id: str) -> None:
    site = repo_root / "example-site"
    result = run_cli("-C", site, "snippet", asset_id)
    assert result.code == 0, result.output
    wanted = _tags(result.out)
    assert [tag for tag, _ in wanted] == ["picture", "source", "img"]
    page = _tags((site / "public/index.html").read_text(encoding="utf-8"))
    # Each tag of the snippet is on the page, in order, with the same attributes (the page
    # may add its own, such as loading or fetchpriority).
    for start in range(len(page) - len(wanted) + 1):
        window = page[start:start + len(wanted)]
        if all(tag == want_tag and attrs.items() >= want_attrs.items()
               for (tag, attrs), (want_tag, want_attrs) in zip(window, wanted, strict=True)):
            break
    else:
        pytest.fail(f"public/index.html does not contain the markup of `snippet {asset_id}`")
    # and every file the markup names exists
    for _tag, attrs in wanted:
        for url in re.findall(r"(/img/\S+)", attrs.get("srcset", "") + " " + attrs.get("src", "")):
            assert (site / "public" / url.lstrip("/")).is_file(), url
