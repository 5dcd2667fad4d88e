from __future__ import annotations

import json
from pathlib import Path

from assetgen.build.planner import Planner, State, build_order
from assetgen.manifest.load import load_manifest
from assetgen.provenance.naming import sidecar_path
from tests.fakes.sites import png_bytes, run_cli, write_site

MANIFEST = """\
version: 1
assets:
  - id: night
    path: img/night.png
    prompt: night
    edit:
      images: [hero]
  - id: hero
    path: img/hero.png
    prompt: hero
"""


def _states(site: Path, draft: bool = False) -> dict[str, tuple[State, bool, str]]:
    manifest = load_manifest(site / "assetgen.yaml")
    return {s.asset.id: (s.state, s.needs_build, s.reason)
            for s in Planner(manifest, draft_mode=draft).plan()}


def test_build_order_puts_inputs_first(tmp_path: Path) -> None:
    manifest = load_manifest(write_site(tmp_path, MANIFEST) / "assetgen.yaml")
    assert [a.id for a in build_order(manifest)] == ["hero", "night"]


def test_every_declared_state(tmp_path: Path) -> None:
    site = write_site(tmp_path, MANIFEST)
    assert {k: v[0] for k, v in _states(site).items()} == {"hero": State.MISSING,
                                                           "night": State.MISSING}
    assert run_cli("-C", site, "build", "--draft").code == 0
    states = _states(site)
    assert states["hero"][0] == State.DRAFT and states["hero"][1]  # a plain build replaces it
    draft_states = _states(site, draft=True)
    assert draft_states["hero"][:2] == (State.DRAFT, False)  # build --draft leaves it alone

    hero = site / "public/img/hero.png"
    hero.write_bytes(png_bytes(8, 8))
    states = _states(site, draft=True)
    assert states["hero"][0] == State.TAMPERED
    assert states["night"][0] == State.DRAFT and states["night"][1]
    assert "input hero" in states["night"][2]

    sidecar_path(hero).unlink()
    assert _states(site)["hero"][0] == State.UNRECORDED


def test_fresh_then_stale_with_a_reason(tmp_path: Path) -> None:
    site = write_site(tmp_path, MANIFEST.replace("route", "route"))
    manifest_text = (site / "assetgen.yaml").read_text()
    (site / "assetgen.yaml").write_text(manifest_text.replace("version: 1\n",
                                                              "version: 1\ndefaults:\n"
                                                              "  route: draft\n"))
    assert run_cli("-C", site, "build").code == 0
    # With route: draft in the manifest, its placeholders are what was asked for.
    assert all(not v[1] for v in _states(site).values())
    text = (site / "assetgen.yaml").read_text().replace("prompt: hero", "prompt: hero two")
    (site / "assetgen.yaml").write_text(text)
    states = _states(site)
    assert states["hero"][1] and states["night"][1]
    assert "hero" in states["night"][2]


def test_stale_reason_names_what_changed(tmp_path: Path) -> None:
    site = write_site(tmp_path, MANIFEST)
    assert run_cli("-C", site, "build", "--draft").code == 0
    sidecar = sidecar_path(site / "public/img/hero.png")
    record = json.loads(sidecar.read_text())
    record.update(route="images.generate", spec_hash="sha256:old", prompt="older prompt")
    sidecar.write_text(json.dumps(record))
    state, needs, reason = _states(site)["hero"]
    assert state == State.STALE and needs and "prompt changed" in reason


def test_plan_does_not_load_pillow(repo_root: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path;"
            "from assetgen.manifest.load import load_manifest;"
            "from assetgen.build.planner import Planner;"
            f"m = load_manifest(Path({str(repo_root / 'example-site/assetgen.yaml')!r}));"
            "states = {str(s.state) for s in Planner(m, draft_mode=True).plan()};"
            "print(sorted(states), 'PIL.Image' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().endswith("False"), out


def test_next_action_and_derivation_reason(tmp_path: Path) -> None:
    site = write_site(tmp_path, MANIFEST.replace("version: 1\n",
                                                 "version: 1\ndefaults:\n  route: draft\n"))
    assert run_cli("-C", site, "build").code == 0
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    assert {a["id"]: a["next"] for a in plan["assets"]} == {"hero": "-", "night": "-"}
    text = (site / "assetgen.yaml").read_text()
    (site / "assetgen.yaml").write_text(text.replace(
        "    prompt: hero\n", "    prompt: hero\n    encoding: {png: {optimize: true}}\n"))
    states = _states(site)
    # hero's files change but not its pixels' request; night edits hero's *file*, so it
    # will be rebuilt after it (its input's bytes change).
    assert states["hero"] == (State.DRAFT, True,
                              "draft placeholder out of date: derivation changed (encoding)")
    manifest = load_manifest(site / "assetgen.yaml")
    statuses = {s.asset.id: s for s in Planner(manifest).plan()}
    assert str(statuses["hero"].next) == "rederive" and statuses["hero"].estimate_usd == 0
    assert str(statuses["night"].next) == "build"
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    assert plan["summary"]["to_rederive"] == 1


def test_chroma_assets_ask_for_a_png_with_the_key_in_the_prompt(tmp_path: Path) -> None:
    from assetgen.build.planner import generation_spec, request_prompt

    write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    path: a.webp\n    prompt: x\n"
                         "    transparent: chroma\n")
    manifest = load_manifest(tmp_path / "assetgen.yaml")
    asset = manifest.assets[0]
    spec = generation_spec(asset, manifest, "images", {}, None)
    assert spec["format"] == "png" and spec["background"] == "opaque"
    assert spec["prompt"] == request_prompt(asset) and "#00FF00" in spec["prompt"]
    assert request_prompt(asset).startswith("x\n\n")
