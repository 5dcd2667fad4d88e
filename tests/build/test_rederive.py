"""Derivation-only changes re-derive from the cached master: zero requests, cost 0."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from assetgen.build.planner import Planner
from assetgen.core.canonical import sha256_bytes, tagged_hash
from assetgen.manifest.load import load_manifest
from assetgen.provenance.naming import sidecar_path
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import run_cli, write_site

GENERATIONS = "/v1/images/generations"

SITE = """\
version: 1
defaults:
  quality: low
assets:
  - id: hero
    path: img/hero.webp
    prompt: "A rocket on a launch pad"
    size: 1536x1024
    alt: A rocket
"""


def sidecar(site: Path, rel: str = "img/hero.webp") -> dict:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


def plan_of(site: Path, asset_id: str = "hero") -> dict:
    result = run_cli("-C", site, "plan", "--json")
    assert result.code == 0, result.output
    return next(a for a in json.loads(result.out)["assets"] if a["id"] == asset_id)


def build_json(site: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("-C", site, "build", "--json", *args)
    return result.code, json.loads(result.out)


def edit(site: Path, old: str, new: str) -> None:
    manifest = site / "assetgen.yaml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))


@pytest.fixture
def built(tmp_path: Path, openai_env: Emulator) -> Path:
    site = write_site(tmp_path, SITE)
    code, _ = build_json(site)
    assert code == 0
    assert openai_env.count(GENERATIONS) == 1
    return site


def test_adding_variants_rederives_with_zero_requests(built: Path, openai_env: Emulator) -> None:
    first = sidecar(built)
    edit(built, "    alt: A rocket\n",
         "    alt: A rocket\n    variants: {widths: [480, 960, 1600], formats: [avif, webp]}\n")
    planned = plan_of(built)
    assert planned["state"] == "stale" and planned["next"] == "rederive"
    assert planned["estimated_cost_usd"] == 0
    assert planned["reason"] == "derivation changed (variants)"
    table = run_cli("-C", built, "plan").out
    assert "rederive" in table and "derivation changed (variants)" in table

    code, document = build_json(built)
    assert code == 0
    assert document["counts"] == {"rederived": 1} and document["cost_usd"] == 0
    assert openai_env.count(GENERATIONS) == 1  # nothing new was asked
    record = sidecar(built)
    # The lineage of the master is kept; only the derived files changed.
    assert record["request_id"] == first["request_id"] and record["master"] == first["master"]
    assert record["created_at"] == first["created_at"] and "rederived_at" in record
    assert record["generation_hash"] == first["generation_hash"]
    assert record["spec_hash"] != first["spec_hash"]
    assert [v["file"] for v in record["variants"]] == [
        "img/hero-480w.avif", "img/hero-480w.webp", "img/hero-960w.avif", "img/hero-960w.webp",
        "img/hero-1536w.avif"]
    assert plan_of(built)["state"] == "fresh"
    again = run_cli("-C", built, "build")
    assert again.code == 0 and "1 skipped" in again.out


def test_encoding_change_rederives_and_changes_the_bytes(built: Path,
                                                        openai_env: Emulator) -> None:
    before = (built / "public/img/hero.webp").read_bytes()
    edit(built, "defaults:\n", "defaults:\n  encoding: {webp: {quality: 40}}\n")
    assert plan_of(built)["reason"] == "derivation changed (encoding)"
    code, document = build_json(built)
    assert code == 0 and document["assets"][0]["action"] == "rederived"
    after = (built / "public/img/hero.webp").read_bytes()
    assert after != before and len(after) < len(before)
    assert openai_env.count(GENERATIONS) == 1
    encode_step = sidecar(built)["postprocess"][-1]
    assert encode_step["op"] == "encode" and encode_step["quality"] == 40


def test_rederive_needs_no_api_key(built: Path, openai_env: Emulator,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    edit(built, "defaults:\n", "defaults:\n  encoding: {webp: {lossless: true}}\n")
    result = run_cli("-C", built, "build")
    assert result.code == 0, result.output
    assert "1 rederived" in result.out
    with Image.open(built / "public/img/hero.webp") as image:
        assert image.size == (1536, 1024)


def test_missing_master_is_reported_and_never_paid_silently(built: Path,
                                                           openai_env: Emulator) -> None:
    shutil.rmtree(built / ".assetgen" / "masters")
    edit(built, "    alt: A rocket\n", "    alt: A rocket\n    variants: {widths: [480]}\n")
    planned = plan_of(built)
    assert planned["state"] == "stale" and planned["next"] == "needs --force"
    assert planned["estimated_cost_usd"] == 0
    assert ("master missing: rebuilding will pay again" in planned["reason"]
            and "run `assetgen build --force hero`" in planned["reason"])
    result = run_cli("-C", built, "build")
    assert result.code == 1
    assert "hero: failed — " in result.out and "assetgen build --force hero" in result.out
    assert openai_env.count(GENERATIONS) == 1
    assert "variants" not in sidecar(built)  # nothing was written
    forced = run_cli("-C", built, "build", "--force", "hero")
    assert forced.code == 0 and "1 generated" in forced.out
    assert openai_env.count(GENERATIONS) == 2
    assert [v["file"] for v in sidecar(built)["variants"]] == ["img/hero-480w.webp"]


def test_a_cache_hit_after_a_generation_change_is_resumed_not_rederived(
        built: Path, openai_env: Emulator) -> None:
    first = sidecar(built)
    edit(built, "on a launch pad", "in the desert")
    code, document = build_json(built)
    assert code == 0 and document["assets"][0]["action"] == "generated"
    edit(built, "in the desert", "on a launch pad")  # back to a request already paid for
    planned = plan_of(built)
    # No request will be sent, and plan says so: free, from the master already paid for.
    assert planned["next"] == "rederive" and planned["estimated_cost_usd"] == 0
    assert planned["reason"].endswith("its master is cached: no request")
    code, document = build_json(built)
    assert code == 0 and document["assets"][0]["action"] == "resumed"
    assert document["cost_usd"] == 0
    assert openai_env.count(GENERATIONS) == 2
    # The lineage is the cached master's own, not the sidecar's (the desert request).
    record = sidecar(built)
    assert record["request_id"] == first["request_id"] and record["master"] == first["master"]


def test_a_deleted_variant_is_missing_and_restored_for_free(built: Path,
                                                           openai_env: Emulator) -> None:
    edit(built, "    alt: A rocket\n",
         "    alt: A rocket\n    variants: {widths: [480], formats: [avif]}\n")
    assert run_cli("-C", built, "build").code == 0
    variant = built / "public/img/hero-480w.avif"
    original = variant.read_bytes()
    variant.unlink()
    planned = plan_of(built)
    assert planned["state"] == "missing" and planned["next"] == "rederive"
    assert "variant img/hero-480w.avif is missing" in planned["reason"]
    variant.write_bytes(b"not the variant")
    planned = plan_of(built)
    assert planned["state"] == "tampered" and "img/hero-480w.avif" in planned["reason"]
    variant.unlink()
    code, document = build_json(built)
    assert code == 0 and document["assets"][0]["action"] == "rederived"
    assert variant.read_bytes() == original  # deterministic: byte for byte the same
    assert openai_env.count(GENERATIONS) == 1


def test_draft_mode_rederives_a_real_image_instead_of_replacing_it(
        built: Path, openai_env: Emulator) -> None:
    edit(built, "    alt: A rocket\n", "    alt: A rocket\n    variants: {widths: [480]}\n")
    result = run_cli("-C", built, "build", "--draft")
    assert result.code == 0 and "1 rederived" in result.out
    record = sidecar(built)
    assert record["route"] == "images.generate" and record["variants"]
    assert openai_env.count(GENERATIONS) == 1


def test_masters_dir_setting_moves_the_cache(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, "masters_dir: art/masters\n" + SITE)
    assert run_cli("-C", site, "build").code == 0
    record = sidecar(site)
    master = site / "art" / "masters" / f"{record['master']['sha256']}.webp"
    assert master.is_file() and sha256_bytes(master.read_bytes()) == record["master"]["sha256"]
    assert not (site / ".assetgen" / "masters").exists()
    edit(site, "    alt: A rocket\n", "    alt: A rocket\n    variants: {widths: [480]}\n")
    result = run_cli("-C", site, "build")
    assert result.code == 0 and "1 rederived" in result.out


@pytest.mark.parametrize(("value", "phrase"), [
    ("../elsewhere", "'..' is not allowed"),
    ("/tmp/masters", "absolute paths are not allowed"),
    ("public/masters", "is inside output_dir"),
])
def test_masters_dir_must_stay_inside_and_unpublished(tmp_path: Path, value: str,
                                                      phrase: str) -> None:
    site = write_site(tmp_path, f"masters_dir: {value}\n" + SITE)
    result = run_cli("-C", site, "plan")
    assert result.code == 2
    assert "assetgen.yaml:1: masters_dir" in result.err and phrase in result.err


def test_key_is_still_needed_for_real_work(built: Path, openai_env: Emulator,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    edit(built, "on a launch pad", "on the moon")
    result = run_cli("-C", built, "build")
    assert result.code == 2 and "OPENAI_API_KEY" in result.err
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    assert run_cli("-C", built, "build").code == 0


def test_a_format_only_change_rederives_from_the_master_with_zero_requests(
        built: Path, openai_env: Emulator) -> None:
    """hero.webp → hero.png: the webp master (the API was asked for webp) becomes a png
    of the same pixels; nothing is asked again and nothing is paid (SPEC 2.1)."""
    first = sidecar(built)
    asked = openai_env.requests_to(GENERATIONS)
    assert len(asked) == 1 and asked[0].json["output_format"] == "webp"
    edit(built, "path: img/hero.webp", "path: img/hero.png")
    planned = plan_of(built)
    assert planned["state"] == "missing" and planned["next"] == "rederive"
    assert planned["estimated_cost_usd"] == 0 and planned["format"] == "png"
    table = run_cli("-C", built, "plan")
    assert table.code == 0 and "rederive" in table.out
    assert "$0" in table.out.split("hero", 1)[1].splitlines()[0]
    dry = run_cli("-C", built, "build", "--dry-run", "--json")
    assert json.loads(dry.out)["summary"]["estimated_cost_usd"] == 0

    code, document = build_json(built, "--max-cost", "0")
    assert code == 0, document
    assert document["cost_usd"] == 0 and document["estimated_cost_usd"] == 0
    assert openai_env.count(GENERATIONS) == 1  # zero new requests
    record = sidecar(built, "img/hero.png")
    # The same generation and request lineage, with the new format and post-processing.
    for key in ("generation_hash", "request_id", "master", "prompt", "model", "size",
                "quality", "route", "usage"):
        assert record[key] == first[key], key
    assert record["master"]["format"] == "webp"
    assert record["format"] == "png" and record["spec_hash"] != first["spec_hash"]
    assert record["file"] == "img/hero.png" and record["postprocess"]
    with Image.open(built / "public/img/hero.png") as image:
        assert image.format == "PNG" and image.size == (1536, 1024)
    assert plan_of(built)["state"] == "fresh"
    again = run_cli("-C", built, "build")
    assert again.code == 0 and "1 skipped" in again.out


def test_a_format_change_back_and_forth_never_pays(tmp_path: Path,
                                                   openai_env: Emulator) -> None:
    site = write_site(tmp_path, SITE.replace("img/hero.webp", "img/hero.png"))
    assert build_json(site)[0] == 0
    assert openai_env.requests_to(GENERATIONS)[0].json["output_format"] == "png"
    previous = "img/hero.png"
    for path in ("img/hero.avif", "img/hero.jpg"):  # converted, then asked of the API as is
        edit(site, f"path: {previous}", f"path: {path}")
        assert plan_of(site)["next"] == "rederive"
        code, document = build_json(site)
        assert code == 0 and document["cost_usd"] == 0, document
        assert sidecar(site, path)["master"]["format"] == "png"
        previous = path
    edit(site, f"path: {previous}", "path: img/hero.png")
    assert plan_of(site)["state"] == "fresh"  # the first file is still there, still fresh
    assert openai_env.count(GENERATIONS) == 1


def test_masters_from_before_the_format_left_the_hash_still_serve(
        built: Path, openai_env: Emulator) -> None:
    """Sidecars and masters written while the asked format was part of the generation
    hash keep working: nothing goes stale, and a format change still costs nothing."""
    record = sidecar(built)
    status = Planner(load_manifest(built / "assetgen.yaml")).plan()[0]
    legacy = tagged_hash({"generation": status.generation, "derivation": {}})
    assert status.generation["format"] == "webp" and legacy != record["generation_hash"]
    # Key the cache and the sidecar the way the previous release did.
    index = built / ".assetgen" / "masters" / "index"
    (current,) = index.iterdir()
    current.rename(index / (legacy.split(":")[1] + ".json"))
    sidecar_path(built / "public/img/hero.webp").write_text(
        json.dumps({**record, "generation_hash": legacy}, indent=2))
    assert plan_of(built)["state"] == "fresh"
    edit(built, "path: img/hero.webp", "path: img/hero.png")  # found by the old index name
    planned = plan_of(built)
    assert planned["next"] == "rederive" and planned["estimated_cost_usd"] == 0
    code, document = build_json(built)
    assert code == 0 and document["cost_usd"] == 0
    assert openai_env.count(GENERATIONS) == 1
    assert sidecar(built, "img/hero.png")["request_id"] == record["request_id"]


def test_a_status_asked_after_a_plan_sees_masters_cached_since(built: Path) -> None:
    # The engine asks for an edit's status again once its inputs are rebuilt; masters the
    # build cached meanwhile must count (a plan lists the index only for its own pass).
    edit(built, "on a launch pad", "in the desert")
    planner = Planner(load_manifest(built / "assetgen.yaml"))
    (planned,) = planner.plan()
    assert planned.next.value == "build" and not planned.from_cache
    planner.masters.put(planned.generation_hash, b"paid-for bytes", "png", {})
    again = planner.status(planned.asset)
    assert again.next.value == "rederive" and again.from_cache
    assert planner.plan()[0].from_cache  # and the next plan lists the index anew
