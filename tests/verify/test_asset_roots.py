"""Generated assets in another of the site's roots (SPEC 7): `root:` on an asset entry makes
build write image, variants and sidecar there, and plan/verify treat the file as declared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.fakes.sites import run_cli, write_site

ASTRO_MANIFEST = """\
version: 1
generator: astro
output_dir: public
sources: ["src/**/*.astro"]
defaults: {model: gpt-image-2, quality: low, size: 1024x1024}
assets:
  - id: hero
    path: hero.webp
    root: src/assets
    prompt: "A hero image"
    width: 1200
    height: 630
  - id: og
    path: og.png
    prompt: "A social card"
"""

ASTRO_FILES = {
    "astro.config.mjs": "export default {};\n",
    "src/components/Hero.astro": ("---\nimport hero from '../assets/hero.webp';\n---\n"
                                  '<Image src={hero} alt="" />\n<meta content="/og.png">\n'
                                  '<img src="/og.png" alt="">\n'),
    "public/.keep": "",
}

HUGO_MANIFEST = """\
version: 1
generator: hugo
output_dir: static
sources: ["layouts/**/*.html", "content/**/*.md"]
defaults: {model: gpt-image-2, quality: low, size: 1024x1024}
assets:
  - id: logo
    path: img/logo.png
    root: assets
    prompt: "A logo"
    width: 512
    height: 512
    variants: {widths: [256], formats: [webp]}
  - id: cover
    path: cover.webp
    root: content/posts/launch
    prompt: "A launch cover"
"""

HUGO_FILES = {
    "hugo.toml": 'title = "x"\n',
    "layouts/partials/head.html": '{{ $logo := resources.Get "img/logo.png" }}\n',
    "content/posts/launch/index.md": "---\ntitle: Launch\ncover: cover.webp\n---\n"
                                     "![cover](cover.webp)\n",
    "static/.keep": "",
}


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # --draft needs none


def _sidecar(image: Path) -> dict[str, object]:
    loaded = json.loads(image.with_name(image.name + ".provenance.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_astro_asset_is_generated_into_src_assets_and_verifies(tmp_path: Path) -> None:
    site = write_site(tmp_path, ASTRO_MANIFEST, ASTRO_FILES)
    before = run_cli("-C", site, "verify")
    assert before.code == 1 and "src/assets/hero.webp: missing" in before.out, before.out
    built = run_cli("-C", site, "build", "--draft")
    assert built.code == 0, built.out + built.err
    hero = site / "src/assets/hero.webp"
    with Image.open(hero) as image:
        assert image.size == (1200, 630)
    assert _sidecar(hero)["file"] == "hero.webp"
    assert not (site / "public/hero.webp").exists()
    plan = run_cli("-C", site, "plan")
    assert plan.code == 0 and "hero" in plan.out and "pending" not in plan.out, plan.out
    verified = run_cli("-C", site, "verify")
    assert verified.code == 0, verified.out
    assert "unknown" not in verified.out and "broken-ref" not in verified.out
    again = run_cli("-C", site, "build", "--draft")
    assert again.code == 0 and "2 skipped" in again.out, again.out


def test_hugo_assets_and_page_bundle_are_generated_in_place_and_verify(tmp_path: Path) -> None:
    site = write_site(tmp_path, HUGO_MANIFEST, HUGO_FILES)
    built = run_cli("-C", site, "build", "--draft")
    assert built.code == 0, built.out + built.err
    logo = site / "assets/img/logo.png"
    assert logo.is_file() and (site / "assets/img/logo-256w.webp").is_file()
    variants = _sidecar(logo)["variants"]
    assert isinstance(variants, list) and variants[0]["file"] == "img/logo-256w.webp"
    cover = site / "content/posts/launch/cover.webp"
    assert cover.is_file() and _sidecar(cover)["file"] == "cover.webp"
    assert not (site / "static/img").exists()
    verified = run_cli("-C", site, "verify")
    assert verified.code == 0, verified.out
    # A variant deleted in the asset's own root is noticed there (not looked for in static/).
    (site / "assets/img/logo-256w.webp").unlink()
    gone = run_cli("-C", site, "verify")
    assert gone.code == 1 and "variant img/logo-256w.webp is missing" in gone.out, gone.out


def test_a_bad_asset_root_is_refused_with_its_line(tmp_path: Path) -> None:
    write_site(tmp_path, HUGO_MANIFEST.replace("root: assets", "root: ../elsewhere"),
               HUGO_FILES)
    result = run_cli("-C", tmp_path, "plan")
    assert result.code == 2
    assert "assetgen.yaml:9" in result.err and "root `../elsewhere` is refused" in result.err


def test_the_same_name_in_two_roots_is_two_files(tmp_path: Path) -> None:
    manifest = HUGO_MANIFEST + ("  - id: static-logo\n    path: img/logo.png\n"
                                '    prompt: "The served logo"\n')
    write_site(tmp_path, manifest, HUGO_FILES)
    result = run_cli("-C", tmp_path, "plan")
    assert result.code == 0, result.err
    assert "declared twice" not in result.err


def test_schema_lists_the_asset_root_key(tmp_path: Path) -> None:
    result = run_cli("-C", tmp_path, "schema")
    assert result.code == 0
    schema = json.loads(result.out)
    asset = schema["$defs"]["asset"]["properties"]
    assert "root" in asset and "src/assets" in asset["root"]["description"]
