"""The route registry is the one place route knowledge lives: the copies that layers
below routes must keep (they cannot import it) are compared with it here."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from assetgen.build.planner import Planner
from assetgen.manifest import model_rules, schema
from assetgen.manifest.load import load_manifest
from assetgen.routes.base import ImageJob, RouteContext, RouteSet
from assetgen.routes.registry import (
    DEFAULT_RESPONSES_MODEL,
    ROUTE_NAMES,
    ROUTES,
    generating_record_values,
    responses_model,
)
from assetgen.routes.responses import request_body
from tests.fakes.sites import write_site


def test_the_manifest_schema_accepts_exactly_the_registry_routes() -> None:
    assert set(schema.ROUTES) == set(ROUTE_NAMES)
    assert set(schema.ROUTE_SETTINGS) == set(ROUTE_NAMES)
    assert schema.DEFAULT_ROUTE in ROUTES


def test_the_model_rules_check_the_routes_the_registry_says() -> None:
    assert set(model_rules.CHECKED_ROUTES) == {
        info.name for info in ROUTES.values() if info.checks_image_model}


def test_generated_images_are_those_of_every_route_but_draft() -> None:
    recorded = {value for info in ROUTES.values() for value in info.recorded_as}
    assert recorded >= {"images.generate", "images.edit", "responses", "gateway", "codex"}
    assert generating_record_values() == recorded - {"draft"}


@pytest.mark.parametrize("name", ROUTE_NAMES)
def test_each_route_module_matches_its_entry(name: str, tmp_path: Path) -> None:
    info = ROUTES[name]
    module = importlib.import_module(info.module)
    site = write_site(tmp_path, "version: 1\nassets: []\n")
    context = RouteContext(manifest=load_manifest(site / "assetgen.yaml"), client=None,
                           environ={})
    route = module.create(context)
    assert route.name == name
    assert route.exact_size == info.exact_size
    assert route.billing.split(":")[0] == info.billing  # gateway: provider:<name>


def test_a_route_set_loads_each_route_once(tmp_path: Path) -> None:
    site = write_site(tmp_path, "version: 1\nassets: []\n")
    routes = RouteSet(RouteContext(manifest=load_manifest(site / "assetgen.yaml"),
                                   client=None, environ={}))
    assert routes("draft") is routes("draft")
    assert list(routes.loaded) == ["draft"]


def test_reading_the_registry_loads_no_route_nor_httpx() -> None:
    code = ("import sys, assetgen.routes.registry, assetgen.build.planner; "
            "print(sorted(m for m in sys.modules if m == 'httpx' or m == 'PIL' "
            "or m.startswith('assetgen.routes.') and m != 'assetgen.routes.registry'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


RESPONSES_SITE = """\
version: 1
routes:
  responses:
    {setting}
assets:
  - id: hero
    path: img/hero.png
    prompt: hero
    route: responses
"""


@pytest.mark.parametrize("setting", ['model: ""', "timeout_s: 60"])
def test_an_empty_responses_model_hashes_the_model_that_is_sent(setting: str,
                                                                tmp_path: Path) -> None:
    """The bug issue 13 names: with `routes.responses.model: ""` the spec hash recorded
    '' while the request sent gpt-5.5. One function decides, for both."""
    site = write_site(tmp_path, RESPONSES_SITE.format(setting=setting))
    manifest = load_manifest(site / "assetgen.yaml")
    status = Planner(manifest).plan()[0]
    route = RouteSet(RouteContext(manifest=manifest, client=None, environ={}))("responses")
    job = ImageJob(asset=status.asset, prompt="hero", model="gpt-image-2",
                   size="1024x1024", quality="medium", output_format="png")
    sent = request_body(job, route.responses_model)["model"]  # type: ignore[attr-defined]
    assert sent == DEFAULT_RESPONSES_MODEL
    assert status.generation["responses_model"] == sent


def test_a_set_responses_model_is_sent_and_hashed(tmp_path: Path) -> None:
    site = write_site(tmp_path, RESPONSES_SITE.format(setting="model: gpt-5.4"))
    manifest = load_manifest(site / "assetgen.yaml")
    assert Planner(manifest).plan()[0].generation["responses_model"] == "gpt-5.4"
    assert responses_model(manifest.route_settings("responses")) == "gpt-5.4"
