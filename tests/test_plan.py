from __future__ import annotations

import json
from pathlib import Path

from assetgen.manifest import load_manifest
from assetgen.plan import Planner, State, build_order
from assetgen.provenance import sidecar_path
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
