"""The example site builds through every local route; responses and gateway have their own
example-site tests in test_route_responses.py and test_route_gateway.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PIL import Image

from assetgen.provenance.naming import sidecar_path
from tests.fakes.codex_cli import Codex
from tests.fakes.emulator import Emulator
from tests.fakes.sites import run_cli


def _copy(repo_root: Path, tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(repo_root / "example-site", site, ignore=shutil.ignore_patterns(".assetgen"))
    return site


def _sidecar(site: Path, rel: str) -> dict:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


def test_committed_example_site_is_complete_and_verified(repo_root: Path,
                                                         tmp_path: Path) -> None:
    site = _copy(repo_root, tmp_path)
    plan = json.loads(run_cli("-C", site, "plan", "--draft", "--json").out)
    assert plan["summary"]["to_build"] == 0  # the committed drafts match the manifest
    result = run_cli("-C", site, "verify")
    assert result.code == 0, result.output


def test_example_site_builds_through_the_images_route(repo_root: Path, tmp_path: Path,
                                                      openai_env: Emulator) -> None:
    site = _copy(repo_root, tmp_path)
    result = run_cli("-C", site, "build", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    routes = {a["asset_id"]: (a["route"], a["billing"]) for a in doc["assets"]}
    assert routes["hero-dusk"] == ("images.edit", "openai-api")
    assert {r for r, _ in routes.values()} == {"images.generate", "images.edit"}
    assert openai_env.count("/v1/images/edits") == 1
    card = _sidecar(site, "img/social-card.png")
    assert (card["width"], card["height"]) == (1200, 630)
    with Image.open(site / "public/img/hero-480w.avif") as variant:
        assert variant.width == 480
    assert run_cli("-C", site, "verify", "--strict").code == 0


def test_example_site_builds_through_codex(repo_root: Path, tmp_path: Path,
                                           codex: Codex) -> None:
    site = _copy(repo_root, tmp_path)
    manifest = site / "assetgen.yaml"
    text = manifest.read_text()
    assert "  route: images " in text
    # Codex takes no mask: the masked edit stays on a mask-capable route, as a user would.
    manifest.write_text(text.replace("  route: images ", "  route: codex ", 1))
    result = run_cli("-C", site, "build", "--json", "--force")
    assert result.code == 2 and "mask" in result.err  # refused up front, nothing run
    assert codex.calls() == []
    ids = ["hero", "social-card", "feature-offline", "feature-lineage", "feature-fast",
           "post-cover-first"]
    result = run_cli("-C", site, "build", "--json", "--force", *ids)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert {(a["route"], a["billing"]) for a in doc["assets"]} == {("codex", "codex-credits")}
    assert len(codex.calls()) == len(ids)
    hero = _sidecar(site, "img/hero.webp")
    assert hero["session"] and hero["requested_size"] == "1536x1024"


def test_example_site_drafts_from_scratch(repo_root: Path, tmp_path: Path) -> None:
    site = _copy(repo_root, tmp_path)
    for sidecar in (site / "public").rglob("*.provenance.json"):
        sidecar.unlink()
    result = run_cli("-C", site, "build", "--draft", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert {a["billing"] for a in doc["assets"]} == {"none"}
    assert run_cli("-C", site, "verify").code == 0
