"""`assetgen build` end to end: the real CLI against the emulator over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from assetgen.provenance.naming import sidecar_path
from assetgen.provenance.record import REQUIRED
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import BASIC_MANIFEST, mask_bytes, png_bytes, run_cli, write_site

GENERATIONS = "/v1/images/generations"
EDITS = "/v1/images/edits"

EDIT_MANIFEST = """\
version: 1
output_dir: public
defaults:
  quality: low
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket on a launch pad"
    size: 1536x1024
  - id: night
    path: img/night.webp
    prompt: "The same scene at night"
    size: 1536x1024
    edit:
      images: [hero]
      mask: masks/sky.png
  - id: plain
    path: img/plain.jpg
    prompt: "A plain field"
"""


def sidecar(site: Path, rel: str) -> dict:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


def test_generate_writes_images_and_sidecars(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    assert openai_env.count(GENERATIONS) == 2
    hero = sidecar(site, "img/hero.png")
    assert set(REQUIRED) <= set(hero)
    assert hero["route"] == "images.generate" and hero["billing"] == "openai-api"
    assert hero["prompt"] == "A rocket launching for Acme" and hero["quality"] == "low"
    assert hero["request_id"].startswith("req_") and hero["cost_basis"] == "usage"
    assert hero["cost_usd"] > 0 and hero["usage"]["output_tokens"] > 0
    assert hero["spec_hash"].startswith("sha256:") and hero["base_url"] == openai_env.base_url
    with Image.open(site / "public/img/hero.png") as image:
        assert image.size == (1024, 1024) and image.format == "PNG"
    # The exact final size: generated at a valid size, then fitted to 1200x630, as webp.
    card = sidecar(site, "img/card.webp")
    with Image.open(site / "public/img/card.webp") as image:
        assert image.size == (1200, 630) and image.format == "WEBP"
    assert card["width"] == 1200 and card["height"] == 630 and card["format"] == "webp"
    assert card["postprocess"][0]["op"] == "fit" and card["master"]["format"] == "webp"
    sent = openai_env.requests_to(GENERATIONS)
    assert {r.json["size"] for r in sent} == {"1024x1024", card["size"]}
    assert all(r.json["model"] == "gpt-image-2" for r in sent)
    assert "cost:" in result.out and "2 generated" in result.out
    assert "routes: images.generate 2" in result.out


def test_second_build_sends_nothing(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    assert run_cli("-C", site, "build").code == 0
    before = len(openai_env.requests)
    again = run_cli("-C", site, "build")
    assert again.code == 0 and "2 skipped" in again.out
    assert len(openai_env.requests) == before


def test_edit_with_mask_sends_multipart(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, EDIT_MANIFEST, {"masks/sky.png": mask_bytes(1536, 1024)})
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    edit = openai_env.requests_to(EDITS)
    assert len(edit) == 1
    # gpt-image-2 refuses input_fidelity; one input goes as `image`, like the SDK sends it.
    assert "input_fidelity" not in edit[0].form and edit[0].form["model"] == "gpt-image-2"
    names = [f["field"] for f in edit[0].files]
    assert names == ["image", "mask"]
    night = sidecar(site, "img/night.webp")
    hero_sha = sidecar(site, "img/hero.png")["sha256"]
    assert night["route"] == "images.edit"
    assert night["inputs"][0]["asset"] == "hero" and night["inputs"][0]["sha256"] == hero_sha
    assert night["mask"]["path"] == "masks/sky.png"
    with Image.open(site / "public/img/night.webp") as image:
        assert image.size == (1536, 1024)


def test_prompt_change_rebuilds_that_asset_and_its_edit(tmp_path: Path,
                                                        openai_env: Emulator) -> None:
    site = write_site(tmp_path, EDIT_MANIFEST, {"masks/sky.png": mask_bytes(1536, 1024)})
    assert run_cli("-C", site, "build").code == 0
    manifest = site / "assetgen.yaml"
    manifest.write_text(manifest.read_text().replace("on a launch pad", "in the desert"))
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    states = {a["id"]: (a["state"], a["needs_build"]) for a in plan["assets"]}
    assert states == {"hero": ("stale", True), "night": ("stale", True),
                      "plain": ("fresh", False)}
    openai_env.reset()
    result = run_cli("-C", site, "build", "--json")
    assert result.code == 0, result.err
    actions = {a["asset_id"]: a["action"] for a in json.loads(result.out)["assets"]}
    assert actions == {"hero": "generated", "night": "edited", "plain": "skipped"}
    assert openai_env.count(GENERATIONS) == 1 and openai_env.count(EDITS) == 1


def test_dry_run_and_check_send_nothing(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    dry = run_cli("-C", site, "build", "--dry-run")
    assert dry.code == 0 and "missing" in dry.out and "estimated cost" in dry.out
    check = run_cli("-C", site, "build", "--check")
    assert check.code == 1
    assert openai_env.requests == []
    assert not (site / "public").exists()
    assert run_cli("-C", site, "build").code == 0
    assert run_cli("-C", site, "build", "--check").code == 0


def test_missing_key_fails_before_any_work(tmp_path: Path, emulator: Emulator,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    site = write_site(tmp_path, BASIC_MANIFEST)
    result = run_cli("-C", site, "build")
    assert result.code == 2
    assert "OPENAI_API_KEY" in result.err and "--draft" in result.err
    assert emulator.requests == []


def test_draft_needs_no_key_and_plain_build_replaces_it(tmp_path: Path,
                                                        openai_env: Emulator,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    monkeypatch.delenv("OPENAI_API_KEY")
    assert run_cli("-C", site, "build", "--draft").code == 0
    assert sidecar(site, "img/card.webp")["route"] == "draft"
    assert sidecar(site, "img/card.webp")["billing"] == "none"
    with Image.open(site / "public/img/card.webp") as image:
        assert image.size == (1200, 630)
    again = run_cli("-C", site, "build", "--draft")
    assert again.code == 0 and "2 skipped" in again.out
    assert openai_env.requests == []
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    real = run_cli("-C", site, "build")
    assert real.code == 0 and openai_env.count(GENERATIONS) == 2
    assert sidecar(site, "img/card.webp")["route"] == "images.generate"


def test_budget_stops_the_build(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    result = run_cli("-C", site, "build", "--max-cost", "0.0001")
    assert result.code == 3, result.output
    assert "--max-cost" in result.out
    assert openai_env.requests == []
    assert not (site / "public/img/hero.png").exists()


def test_named_ids_build_only_those_and_their_inputs(tmp_path: Path,
                                                     openai_env: Emulator) -> None:
    site = write_site(tmp_path, EDIT_MANIFEST, {"masks/sky.png": mask_bytes(1536, 1024)})
    result = run_cli("-C", site, "build", "night")
    assert result.code == 0, result.output
    assert (site / "public/img/hero.png").exists() and (site / "public/img/night.webp").exists()
    assert not (site / "public/img/plain.jpg").exists()
    unknown = run_cli("-C", site, "build", "nigth")
    assert unknown.code == 2 and "did you mean `night`" in unknown.err


def test_json_output_is_one_document(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    result = run_cli("-C", site, "build", "--json")
    document = json.loads(result.out)
    assert document["exit_code"] == 0 and document["counts"] == {"generated": 2}
    assert document["cost_by_billing"]["openai-api"] == pytest.approx(document["cost_usd"])
    assert document["assets_by_route"] == {"images.generate": 2}


def test_key_never_reaches_files_or_output(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    openai_env.inject("401", prompt_contains="rocket")
    result = run_cli("-C", site, "build")
    assert TEST_KEY not in result.output
    for path in site.rglob("*"):
        if path.is_file():
            assert TEST_KEY.encode() not in path.read_bytes(), path


def test_edit_input_that_is_not_an_image_fails_that_asset(tmp_path: Path,
                                                         openai_env: Emulator) -> None:
    manifest = EDIT_MANIFEST.replace("images: [hero]", "images: [art/broken.png]")
    site = write_site(tmp_path, manifest, {"masks/sky.png": mask_bytes(1536, 1024),
                                          "art/broken.png": b"not a png"})
    result = run_cli("-C", site, "build")
    assert result.code == 1
    assert "night: failed" in result.out and "not a readable image" in result.out
    assert (site / "public/img/hero.png").exists()
    assert not (site / "public/img/night.webp").exists()


def test_mask_of_the_wrong_size_fails_that_asset(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, EDIT_MANIFEST, {"masks/sky.png": png_bytes(64, 64)})
    result = run_cli("-C", site, "build")
    assert result.code == 1 and "same size" in result.out
    assert openai_env.count(EDITS) == 0


def test_certificates_that_cannot_load_fail_the_build_in_one_line(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    site = write_site(tmp_path / "site", BASIC_MANIFEST)
    result = run_cli("-C", site, "build")
    assert result.code == 2, result.output
    assert "cannot load the TLS certificates of SSL_CERT_FILE=" in result.err
    assert "Traceback" not in result.output and openai_env.requests == []


def test_only_a_build_that_sends_requests_makes_a_tls_context_ahead(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.routes import base

    started: list[bool] = []
    real_start = base.RouteSet.start_tls

    def start_tls(self: base.RouteSet, transport: object | None = None) -> None:
        started.append(transport is None)
        real_start(self, transport)

    monkeypatch.setattr(base.RouteSet, "start_tls", start_tls)
    site = write_site(tmp_path / "site", BASIC_MANIFEST)
    assert run_cli("-C", site, "build", "--draft").code == 0 and started == []
    assert run_cli("-C", site, "build").code == 0 and started == [True]
    assert run_cli("-C", site, "build").code == 0 and started == [True]  # nothing to do
