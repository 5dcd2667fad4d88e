"""`assetgen report`: one self-contained, escaped HTML gallery."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assetgen.commands.report import make_thumb
from tests.fakes.sites import png_bytes, run_cli, write_site

XSS = "<script>alert(1)</script>"

MANIFEST = f"""\
version: 1
output_dir: public
defaults:
  quality: low
  size: 1024x1024
vars:
  brand: Acme
static:
  - path: img/logo.svg
    author: "Design <b>team</b>"
    license: proprietary
  - path: img/gone.png
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket for {{{{ brand }}}} {XSS}"
    alt: "a rocket \\"quoted\\" <img src=x onerror=alert(2)>"
  - id: night
    path: img/night.webp
    edit:
      images: [hero, photos/base.png]
    prompt: The same at night
  - id: broken
    path: img/broken.png
    prompt: Bytes that are not an image
  - id: never
    path: img/never.jpg
    route: codex
    prompt: Never built
"""

LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">'
        '<rect width="8" height="8"/></svg>')


class _Page(HTMLParser):
    """Collects what the assertions need: cards, links, resources, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict[str, str]] = {}
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self.badges = 0
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if tag == "article":
            self.cards[values["id"]] = values
        if "badge" in values.get("class", "").split():
            self.badges += 1
        for name in ("src", "href", "action", "poster", "data"):
            if name in values:
                self.urls.append((tag, name, values[name]))
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_site(tmp_path_factory.mktemp("site"), MANIFEST, {
        "public/img/logo.svg": LOGO,
        "photos/base.png": png_bytes(64, 64),
    })
    result = run_cli("-C", root, "build", "--draft", "hero", "night", "broken")
    assert result.code == 0, result.output
    (root / "public" / "img" / "broken.png").write_bytes(b"definitely not a png")
    return root


@pytest.fixture(scope="module")
def page(site: Path) -> tuple[str, _Page]:
    result = run_cli("-C", site, "report")
    assert result.code == 0, result.output
    path = site / ".assetgen" / "report.html"
    assert ".assetgen/report.html" in result.out
    html = path.read_text(encoding="utf-8")
    parser = _Page()
    parser.feed(html)
    return html, parser


def test_one_card_per_asset_and_static_image(page: tuple[str, _Page]) -> None:
    _, parsed = page
    assert list(parsed.cards) == ["asset-hero", "asset-night", "asset-broken", "asset-never",
                                  "static-1", "static-2"]
    states = {anchor: card["data-state"] for anchor, card in parsed.cards.items()}
    assert states == {"asset-hero": "draft", "asset-night": "draft", "asset-broken": "tampered",
                      "asset-never": "missing", "static-1": "static", "static-2": "missing"}
    routes = {anchor: card["data-route"] for anchor, card in parsed.cards.items()}
    assert routes["asset-never"] == "codex" and routes["static-1"] == "static"
    assert parsed.badges == len(parsed.cards)


def test_page_is_self_contained(page: tuple[str, _Page]) -> None:
    html, parsed = page
    for tag, name, value in parsed.urls:
        assert not re.match(r"^\s*(https?:)?//", value), (tag, name, value)
    assert "link" not in parsed.tags  # no stylesheets, fonts or icons fetched
    assert not any(tag == "script" and name == "src" for tag, name, _ in parsed.urls)
    assert "@import" not in html and "url(http" not in html
    images = [value for tag, name, value in parsed.urls if tag == "img" and name == "src"]
    assert len(images) == 3  # hero, night, logo; the rest are tiles
    assert all(src.startswith(("data:image/webp;base64,", "data:image/svg+xml;base64,"))
               for src in images)


def test_untrusted_text_is_escaped(page: tuple[str, _Page]) -> None:
    html, parsed = page
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onerror=alert(2)>" not in html
    assert "Design &lt;b&gt;team&lt;/b&gt;" in html
    # The only scripts are the page's own inline filter code.
    assert len(parsed.scripts) == 1 and "alert" not in parsed.scripts[0]


def test_missing_and_unreadable_images_become_tiles(page: tuple[str, _Page]) -> None:
    html, _ = page
    assert html.count("<strong>Missing</strong>") == 2  # never, img/gone.png
    assert html.count("<strong>Unreadable</strong>") == 1
    assert "not an image format Pillow can read" in html


def test_cards_carry_sidecar_facts_and_linked_inputs(page: tuple[str, _Page]) -> None:
    html, _ = page
    night = html[html.index('id="asset-night"'):html.index('id="asset-broken"')]
    assert '<a href="#asset-hero">hero</a>' in night
    assert "photos/base.png" in night
    hero = html[html.index('id="asset-hero"'):html.index('id="asset-night"')]
    assert '<a href="#asset-night">night</a>' in hero  # used by
    for label in ("Route", "Model", "Quality", "Size", "Cost", "Billing", "Created", "File"):
        assert f"<dt>{label}</dt>" in hero, label
    assert "gpt-image-2" in hero and "1024x1024" in hero and "not billed" in hero


def test_summary_counts_states_and_filters_are_offered(page: tuple[str, _Page]) -> None:
    html, _ = page
    for state in ("draft", "tampered", "missing", "static"):
        assert f'data-filter="state" data-value="{state}"' in html
    for route in ("images", "codex", "static"):
        assert f'data-filter="route" data-value="{route}"' in html
    assert "prefers-color-scheme: dark" in html


def test_json_output_and_custom_path(site: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "gallery.html"
    result = run_cli("-C", site, "report", "-o", target, "--json")
    assert result.code == 0, result.output
    assert json.loads(result.out) == {"output": str(target.resolve()), "assets": 4, "static": 2}
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_unwritable_output_is_an_error_not_a_traceback(site: Path, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    result = run_cli("-C", site, "report", "-o", tmp_path / "a-file" / "report.html")
    assert result.code == 1, result.output
    assert "Traceback" not in result.output and "cannot write the report" in result.err


def test_empty_manifest_still_renders(tmp_path: Path) -> None:
    root = write_site(tmp_path, "version: 1\n")
    result = run_cli("-C", root, "report", "--json")
    assert result.code == 0, result.output
    assert json.loads(result.out)["assets"] == 0


def test_thumbnails_are_small_and_keep_alpha(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    big.write_bytes(png_bytes(1536, 1024, (10, 20, 30, 0), mode="RGBA"))
    thumb = make_thumb(big)
    assert thumb.kind == "image" and (thumb.width, thumb.height) == (480, 320)
    assert thumb.info == "1536×1024 · png · " + thumb.info.rsplit(" · ", 1)[1]
    import base64
    import io

    from PIL import Image

    data = base64.b64decode(thumb.src.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "WEBP" and image.mode == "RGBA"
    assert make_thumb(tmp_path / "nope.png").kind == "missing"
    (tmp_path / "fake.svg").write_text("hello", encoding="utf-8")
    assert make_thumb(tmp_path / "fake.svg").kind == "unreadable"
