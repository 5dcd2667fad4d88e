"""Variants and encoding settings: naming, never upscaling, sidecar records, manifest rules,
every format round-tripping, the assets.json map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from assetgen.build.planner import derivation_spec
from assetgen.core.canonical import sha256_bytes
from assetgen.errors import ManifestError
from assetgen.images import variants
from assetgen.manifest.load import load_manifest
from assetgen.provenance.naming import sidecar_path
from tests.fakes.sites import run_cli, write_site

DRAFT_SITE = """\
version: 1
defaults:
  route: draft
assets:
  - id: hero
    path: img/hero.webp
    prompt: "A rocket"
    size: 1536x1024
    alt: A rocket on its pad
    variants: {widths: [480, 960, 1600], formats: [avif, webp]}
  - id: card
    path: img/card.png
    prompt: "A card"
    width: 600
    height: 300
"""


def load(tmp_path: Path, text: str):
    write_site(tmp_path, text)
    return load_manifest(tmp_path / "assetgen.yaml")


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ManifestError) as info:
        load(tmp_path, text)
    return [str(p) for p in info.value.problems]


def sidecar(site: Path, rel: str) -> dict:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


# --- planning -------------------------------------------------------------------------------


def test_plan_never_upscales_and_stands_in_the_own_width(tmp_path: Path) -> None:
    hero = load(tmp_path, DRAFT_SITE).by_id["hero"]
    planned = variants.plan(hero, 1536, 1024)
    assert [(v.width, v.height, v.format, v.rel) for v in planned] == [
        (480, 320, "avif", "img/hero-480w.avif"), (480, 320, "webp", "img/hero-480w.webp"),
        (960, 640, "avif", "img/hero-960w.avif"), (960, 640, "webp", "img/hero-960w.webp"),
        # 1600 > 1536: not upscaled; the image's own width takes its place, and the main
        # file itself is that width in webp.
        (1536, 1024, "avif", "img/hero-1536w.avif"),
    ]
    assert all(v.width <= 1536 for v in variants.plan(hero, 1536, 1024))
    assert [v.width for v in variants.plan(hero, 400, 300)] == [400]  # all too wide


def test_formats_default_to_the_main_files(tmp_path: Path) -> None:
    asset = load(tmp_path, DRAFT_SITE.replace(", formats: [avif, webp]", "")).by_id["hero"]
    assert asset.variant_formats == ()
    assert [v.rel for v in variants.plan(asset, 1536, 1024)] == [
        "img/hero-480w.webp", "img/hero-960w.webp"]


def test_defaults_and_asset_merge_key_by_key(tmp_path: Path) -> None:
    manifest = load(tmp_path, """\
        version: 1
        defaults:
          variants: {widths: [320, 640], formats: [avif]}
          encoding: {avif: {quality: 50}, webp: {quality: 70}}
        assets:
          - id: a
            path: a.webp
            prompt: x
            variants: {formats: [webp, avif]}
            encoding: {webp: {lossless: true}}
          - id: b
            path: b.png
            prompt: y
        """)
    a, b = manifest.by_id["a"], manifest.by_id["b"]
    assert a.variant_widths == (320, 640) and a.variant_formats == ("webp", "avif")
    assert a.encoding == {"avif": {"quality": 50}, "webp": {"lossless": True, "quality": 70}}
    assert b.variant_formats == ("avif",)
    # Only the formats an asset writes enter its derivation spec.
    assert derivation_spec(b)["encoding"] == {"avif": {"quality": 50}}
    assert variants.encoding_for(a, "webp") == {"quality": 70, "lossless": True}


def test_an_asset_without_the_new_keys_keeps_its_spec(tmp_path: Path) -> None:
    asset = load(tmp_path, DRAFT_SITE).by_id["card"]
    assert derivation_spec(asset) == {
        "format": "png", "postprocess": [{"op": "fit", "width": 600, "height": 300,
                                          "method": "cover-centre-crop"}]}


# --- manifest rules -------------------------------------------------------------------------

BAD = {
    "zero-width": ("variants: {widths: [0, 480]}", "variant width 0"),
    "duplicate-width": ("variants: {widths: [480, 480]}", "listed twice"),
    "width-type": ("variants: {widths: [wide]}", "must be an integer"),
    "bad-format": ("variants: {widths: [480], formats: [heic]}", "variant format `heic`"),
    "formats-without-widths": ("variants: {formats: [avif]}", "but no widths"),
    "unknown-variants-key": ("variants: {width: [480]}", "did you mean `widths`"),
    "quality-for-png": ("encoding: {png: {quality: 80}}", "`quality` does not apply to png"),
    "lossless-jpeg": ("encoding: {jpeg: {lossless: true}}", "`lossless` does not apply to jpeg"),
    "quality-range": ("encoding: {webp: {quality: 101}}", "must be at most 100"),
    "unknown-encoding-format": ("encoding: {heic: {quality: 80}}", "not a format with"),
    "unknown-setting": ("encoding: {webp: {qualty: 80}}", "did you mean `quality`"),
    "encoding-not-mapping": ("encoding: {webp: 80}", "must be a mapping"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_variant_and_encoding_settings_name_the_line(tmp_path: Path, name: str) -> None:
    setting, phrase = BAD[name]
    found = problems(tmp_path, f"version: 1\nassets:\n  - id: a\n    path: img/a.webp\n"
                               f"    prompt: x\n    {setting}\n")
    assert any(phrase in p for p in found), found
    assert all("assetgen.yaml:6: " in p for p in found), found


def test_a_variant_may_not_overwrite_another_file(tmp_path: Path) -> None:
    found = problems(tmp_path, """\
        version: 1
        assets:
          - id: a
            path: img/a.png
            prompt: x
            size: 1024x1024
            variants: {widths: [480]}
          - id: b
            path: img/a-480w.png
            prompt: y
        """)
    assert any("variant `img/a-480w.png` of asset `a` would overwrite asset `b`" in p
               for p in found), found


def test_cli_reports_variant_errors_with_exit_2(tmp_path: Path) -> None:
    site = write_site(tmp_path, DRAFT_SITE.replace("[480, 960, 1600]", "[480, -1]"))
    result = run_cli("-C", site, "plan")
    assert result.code == 2 and "variant width -1" in result.err
    assert "Traceback" not in result.output


# --- building ------------------------------------------------------------------------------


def test_build_writes_variants_listed_in_the_sidecar(tmp_path: Path) -> None:
    site = write_site(tmp_path, DRAFT_SITE)
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    record = sidecar(site, "img/hero.webp")
    assert len(record["variants"]) == 5
    for entry in record["variants"]:
        path = site / "public" / entry["file"]
        data = path.read_bytes()
        assert entry["sha256"] == sha256_bytes(data) and entry["bytes"] == len(data)
        with Image.open(path) as image:
            assert image.size == (entry["width"], entry["height"])
            assert image.format.lower() == entry["format"]
            assert image.width <= record["width"]  # never upscaled
        assert set(entry) == {"file", "width", "height", "format", "sha256", "bytes",
                              "embedded"}
    assert record["derivation"]["variants"] == {"widths": [480, 960, 1600],
                                                "formats": ["avif", "webp"]}
    assert "variants" not in sidecar(site, "img/card.png")


def test_changing_widths_removes_the_variants_no_longer_listed(tmp_path: Path) -> None:
    site = write_site(tmp_path, DRAFT_SITE)
    assert run_cli("-C", site, "build").code == 0
    manifest = site / "assetgen.yaml"
    manifest.write_text(manifest.read_text().replace("[480, 960, 1600]", "[960]"))
    result = run_cli("-C", site, "build")
    assert result.code == 0 and "1 rederived" in result.out
    names = sorted(p.name for p in (site / "public/img").glob("hero-*"))
    assert names == ["hero-960w.avif", "hero-960w.webp"]


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "avif", "gif", "tiff"])
def test_every_format_round_trips_with_correct_dimensions(tmp_path: Path, fmt: str) -> None:
    site = write_site(tmp_path, f"""\
        version: 1
        assets:
          - id: pic
            path: img/pic.png
            route: draft
            prompt: "A picture"
            width: 640
            height: 400
            variants: {{widths: [200, 320], formats: [{fmt}]}}
        """)
    assert run_cli("-C", site, "build").code == 0
    record = sidecar(site, "img/pic.png")
    assert [(v["width"], v["height"], v["format"]) for v in record["variants"]] == [
        (200, 125, fmt), (320, 200, fmt)]
    for entry in record["variants"]:
        with Image.open(site / "public" / entry["file"]) as image:
            image.load()
            assert image.size == (entry["width"], entry["height"])
            assert image.format.lower() == fmt


def test_encoding_settings_reach_the_encoder(tmp_path: Path) -> None:
    site = write_site(tmp_path, """\
        version: 1
        defaults:
          route: draft
          encoding:
            jpeg: {quality: 70, progressive: false}
            webp: {lossless: true}
        assets:
          - id: photo
            path: img/photo.jpg
            prompt: "A photo"
            size: 1024x1024
            variants: {widths: [256], formats: [webp]}
        """)
    assert run_cli("-C", site, "build").code == 0
    with Image.open(site / "public/img/photo.jpg") as image:
        assert not image.info.get("progressive") and not image.info.get("progression")
    encode_step = sidecar(site, "img/photo.jpg")["postprocess"][-1]
    assert encode_step == {"op": "encode", "from": "png", "to": "jpeg", "quality": 70,
                           "progressive": False, "optimize": True}
    with Image.open(site / "public/img/photo-256w.webp") as image:
        assert image.info.get("lossless") or image.mode in ("RGB", "RGBA")
        lossless_size = (site / "public/img/photo-256w.webp").stat().st_size
    manifest = site / "assetgen.yaml"
    manifest.write_text(manifest.read_text().replace("webp: {lossless: true}",
                                                     "webp: {quality: 30}"))
    assert run_cli("-C", site, "build").code == 0
    assert (site / "public/img/photo-256w.webp").stat().st_size < lossless_size


def test_transparent_asset_may_not_list_jpeg_variants(tmp_path: Path) -> None:
    found = problems(tmp_path, "version: 1\nassets:\n  - id: a\n    path: img/a.png\n"
                               "    prompt: x\n    transparent: true\n"
                               "    variants: {widths: [100], formats: [jpeg]}\n")
    assert any("lists jpeg variants" in p for p in found), found


# --- assets.json ----------------------------------------------------------------------------


def test_assets_json_maps_every_asset(tmp_path: Path) -> None:
    site = write_site(tmp_path, "assets_json: data/assets.json\n" + DRAFT_SITE)
    assert run_cli("-C", site, "build").code == 0
    path = site / "data/assets.json"
    text = path.read_text()
    document = json.loads(text)
    hero = document["assets"]["hero"]
    assert hero["src"] == "/img/hero.webp" and (hero["width"], hero["height"]) == (1536, 1024)
    assert hero["alt"] == "A rocket on its pad" and hero["sidecar"] == \
        "img/hero.webp.provenance.json"
    assert hero["srcset"]["avif"].startswith("/img/hero-480w.avif 480w, ")
    assert hero["srcset"]["webp"].endswith("/img/hero.webp 1536w")
    assert hero["variants"][0]["file"] == "img/hero-480w.avif"
    assert document["assets"]["card"]["variants"] == [] and document["missing"] == []
    assert text == json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    before = path.stat().st_mtime_ns
    assert run_cli("-C", site, "build").code == 0
    assert path.read_text() == text and path.stat().st_mtime_ns == before  # unchanged: kept


def test_assets_json_is_only_written_when_asked(tmp_path: Path) -> None:
    site = write_site(tmp_path, DRAFT_SITE)
    assert run_cli("-C", site, "build").code == 0
    assert not list(site.rglob("assets.json"))


@pytest.mark.parametrize(("value", "phrase"), [("../assets.json", "'..' is not allowed"),
                                               ("data/assets.yaml", "is not a .json file")])
def test_assets_json_path_is_checked(tmp_path: Path, value: str, phrase: str) -> None:
    found = problems(tmp_path, f"assets_json: {value}\n" + DRAFT_SITE)
    assert any(phrase in p and "assetgen.yaml:1: " in p for p in found), found


def test_variant_pixels_come_from_the_final_image(tmp_path: Path) -> None:
    site = write_site(tmp_path, DRAFT_SITE)
    assert run_cli("-C", site, "build").code == 0
    with Image.open(site / "public/img/hero.webp") as main, \
            Image.open(site / "public/img/hero-1536w.avif") as same_width:
        main_rgb = main.convert("RGB").resize((48, 32))
        other = same_width.convert("RGB").resize((48, 32))
        difference = sum(abs(a - b) for a, b in zip(main_rgb.tobytes(), other.tobytes(),
                                                    strict=True)) / (48 * 32 * 3)
        assert difference < 12  # the same picture, two lossy encoders


# --- variants are part of the asset for plan and verify ----------------------------------


def test_a_changed_or_missing_variant_fails_verify_even_for_drafts(tmp_path: Path) -> None:
    site = write_site(tmp_path, DRAFT_SITE)
    assert run_cli("-C", site, "build").code == 0
    assert run_cli("-C", site, "verify").code == 0  # drafts are warnings
    variant = site / "public/img/hero-480w.avif"
    original = variant.read_bytes()
    variant.write_bytes(original[:-10])
    tampered = run_cli("-C", site, "verify")
    assert tampered.code == 1 and ": tampered — " in tampered.out
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)["assets"][0]
    assert plan["state"] == "tampered" and plan["next"] == "rederive"
    assert plan["reason"] == "variant img/hero-480w.avif: bytes differ from the sidecar"
    variant.unlink()
    missing = run_cli("-C", site, "verify")
    assert missing.code == 1 and ": missing — " in missing.out
    result = run_cli("-C", site, "build")
    assert result.code == 0 and "1 rederived" in result.out
    assert variant.read_bytes() == original
    assert run_cli("-C", site, "verify").code == 0
