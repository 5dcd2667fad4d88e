"""The build engine against a `FakeRoute`: no HTTP, no emulator, only the engine's own
rules (retries, failures, blocking, concurrency, the budget) and what it writes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from assetgen.build.engine import BuildSettings, Engine, Event, Outcome
from assetgen.build.planner import Planner
from assetgen.build.scheduler import RetryPolicy
from assetgen.errors import PermanentError, TransientError
from assetgen.manifest.load import load_manifest
from assetgen.provenance.naming import sidecar_path
from tests.fakes.clock import FakeClock
from tests.fakes.routes import FakeRoute
from tests.fakes.sites import write_site


def _manifest(ids: list[str], *, edit_of: dict[str, str] | None = None) -> str:
    lines = ["version: 1", "assets:"]
    for asset_id in ids:
        lines += [f"  - id: {asset_id}", f"    path: img/{asset_id}.png",
                  f"    prompt: a picture called {asset_id}"]
        if edit_of and asset_id in edit_of:
            lines += ["    edit:", f"      images: [{edit_of[asset_id]}]"]
    return "\n".join(lines) + "\n"


def _build(site: Path, route: FakeRoute, *, concurrency: int = 8,
           max_cost: float | None = None) -> tuple[dict[str, Outcome], list[Event]]:
    manifest = load_manifest(site / "assetgen.yaml")
    planner = Planner(manifest)
    statuses = planner.plan()
    events: list[Event] = []
    build_settings = BuildSettings(concurrency=concurrency, max_cost=max_cost,
                                   clock=FakeClock(),
                                   retry=RetryPolicy(max_retries=3, base_s=1.0, jitter=0.0))
    engine = Engine(manifest, planner, build_settings, route.factory, events.append)
    outcomes = asyncio.run(engine.run(statuses))
    return {o.asset_id: o for o in outcomes}, events


def _sidecar(site: Path, asset_id: str) -> dict[str, object]:
    path = sidecar_path(site / "public" / "img" / f"{asset_id}.png")
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def test_success_writes_each_image_and_its_sidecar(tmp_path: Path) -> None:
    site = write_site(tmp_path, _manifest(["hero", "logo"]))
    route = FakeRoute()
    outcomes, events = _build(site, route)
    assert {k: o.action for k, o in outcomes.items()} == {"hero": "generated",
                                                          "logo": "generated"}
    assert sorted(job.asset.id for job in route.jobs) == ["hero", "logo"]
    assert route.jobs[0].size == "1024x1024" and route.jobs[0].output_format == "png"
    sidecar = _sidecar(site, "hero")
    assert sidecar["route"] == "images.generate"
    assert sidecar["request_id"] == "req_hero"
    assert sidecar["cost_usd"] == 0.01 and sidecar["billing"] == "openai-api"
    assert outcomes["hero"].cost_usd == 0.01
    assert [e.kind for e in events if e.asset_id == "hero"] == ["start", "done"]


def test_a_permanent_failure_fails_its_asset_once_and_blocks_its_edits(tmp_path: Path
                                                                      ) -> None:
    site = write_site(tmp_path, _manifest(["hero", "night", "logo"],
                                          edit_of={"night": "hero"}))
    refused = PermanentError("the prompt was refused", route="images.generate",
                             status=400, code="moderation_blocked", request_id="req_no")
    route = FakeRoute(scripts={"hero": [refused]})
    outcomes, _ = _build(site, route)
    assert outcomes["hero"].action == "failed"
    assert "moderation_blocked" in (outcomes["hero"].error or "")
    assert outcomes["hero"].request_id == "req_no"
    assert route.calls("hero") == 1  # never retried
    assert outcomes["night"].action == "blocked"
    assert route.calls("night") == 0
    assert outcomes["logo"].action == "generated"
    assert not (site / "public" / "img" / "hero.png").exists()


def test_a_transient_failure_is_retried_then_succeeds(tmp_path: Path) -> None:
    site = write_site(tmp_path, _manifest(["hero"]))
    busy = TransientError("server busy", route="images.generate", status=503)
    route = FakeRoute(scripts={"hero": [busy]})
    outcomes, events = _build(site, route)
    hero = outcomes["hero"]
    assert (hero.action, hero.attempts, hero.retries) == ("generated", 2, 1)
    assert route.calls("hero") == 2
    assert [e.kind for e in events if e.asset_id == "hero"] == ["start", "retry", "start",
                                                                "done"]
    assert _sidecar(site, "hero")["retries"] == [{"reason": "HTTP 503", "wait_s": 1.0,
                                                  "request_id": None}]


def test_transient_failures_past_the_retry_limit_fail_the_asset(tmp_path: Path) -> None:
    site = write_site(tmp_path, _manifest(["hero"]))
    busy = TransientError("server busy", route="images.generate", status=503)
    route = FakeRoute(scripts={"hero": [busy] * 10})
    outcomes, _ = _build(site, route)
    assert outcomes["hero"].action == "failed"
    assert route.calls("hero") == 4  # the first attempt and max_retries=3 more


def test_no_more_jobs_in_flight_than_the_concurrency(tmp_path: Path) -> None:
    ids = [f"a{n}" for n in range(6)]
    site = write_site(tmp_path, _manifest(ids))
    route = FakeRoute(hold_s=0.05)
    outcomes, _ = _build(site, route, concurrency=2)
    assert all(o.action == "generated" for o in outcomes.values())
    assert route.max_in_flight == 2  # reached, never passed


def test_a_route_cap_below_the_concurrency_holds(tmp_path: Path) -> None:
    ids = [f"a{n}" for n in range(4)]
    site = write_site(tmp_path, _manifest(ids))
    route = FakeRoute(hold_s=0.02, max_concurrency=1)
    outcomes, _ = _build(site, route, concurrency=4)
    assert all(o.action == "generated" for o in outcomes.values())
    assert route.max_in_flight == 1


def test_the_budget_stops_what_would_pass_max_cost_before_any_request(tmp_path: Path
                                                                      ) -> None:
    site = write_site(tmp_path, _manifest(["a0", "a1", "a2"]))
    manifest = load_manifest(site / "assetgen.yaml")
    estimate = Planner(manifest).plan()[0].estimate_usd
    assert estimate > 0  # the images route is priced from OpenAI's token prices
    route = FakeRoute(cost_usd=estimate)
    outcomes, _ = _build(site, route, max_cost=estimate * 1.5, concurrency=1)
    actions = sorted(o.action for o in outcomes.values())
    assert actions == ["budget", "budget", "generated"]  # which one runs is the scheduler's
    assert len(route.jobs) == 1  # nothing past the cap was asked
    stopped = [o for o in outcomes.values() if o.action == "budget"]
    assert all("--max-cost" in (o.error or "") for o in stopped)
