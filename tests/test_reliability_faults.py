"""Reliability: the fault matrix, every HTTP route x every fault the emulator can inject.

Documented behaviour (README "Building" and "gateway"):
- transient faults (429 with and without Retry-After, 500, 502, 503, 504, a read timeout,
  a dropped connection, a reset mid-body, truncated JSON) are retried; the asset completes
  and its sidecar records `attempts` and `retries` (reason, wait, request id);
- permanent ones (bad base64, a non-image, a wrong size where the route promises exact
  sizes, a moderation refusal, 401, 403, model_not_found) fail that asset at once: exit 1,
  one line naming the asset, the route, the HTTP status, the error code and the request
  id; nothing is written for it (no image, sidecar, master, temp or pending file) and the
  other asset still completes;
- gateway specifics: a submitted task is never resubmitted (poll hiccups are retried
  inside `timeout_s`, a hanging poll runs into the task's deadline); the provider picks
  its own pixel size, so a "wrong" size is fitted, not refused; task-level failures name
  the task.

Each fault is aimed at `hero` only (its prompt is the only one saying "rocket").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from assetgen.provenance.naming import sidecar_path
from tests.fakes.emulator import Emulator
from tests.fakes.reliability import (
    GATEWAY_KEY,
    IMAGE_PATH,
    ROUTE_LABEL,
    leftovers,
    make_site,
    master_index,
    sidecar_matches,
    sidecar_of,
    two_asset_manifest,
)
from tests.fakes.sites import CliResult, run_cli

HERO = "rocket"  # only hero's prompt says it
GATEWAY_HANG_TIMEOUT_S = 1.5


@dataclass(frozen=True)
class Case:
    route: str
    kind: str
    expect: str  # retried | failed | fitted | deadline
    status: int | None = None  # HTTP status named in the failure line
    code: str | None = None  # error code named in the failure line (or retry reason)
    reasons: tuple[str, ...] = ()  # accepted `retries[0].reason` values
    shape: str = "url_string"  # the gateway's result shape
    path: str | None = None  # aim the fault at another path than the image request
    retry_after: float | None = None
    ident: str = "request"  # how the failure line identifies the call: request | task
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.route}-{self.label or self.kind}"


def _cases() -> list[Any]:
    cases: list[Any] = []
    for route in ("images", "responses", "gateway"):
        for status in ("429", "500", "502", "503", "504"):
            cases.append(Case(route, status, "retried", reasons=(f"HTTP {status}",)))
        cases.append(Case(route, "429", "retried", reasons=("HTTP 429",), retry_after=0.3,
                          label="429-retry-after"))
        cases.append(Case(route, "drop", "retried", reasons=("connection_error",)))
        cases.append(Case(route, "reset_mid_body", "retried", reasons=("connection_error",)))
        cases.append(Case(route, "truncated_json", "retried",
                          reasons=("invalid_json",)))
        cases.append(Case(route, "moderation", "failed", 400, "moderation_blocked"))
        cases.append(Case(route, "401", "failed", 401, "invalid_api_key"))
        cases.append(Case(route, "403", "failed", 403, "organization_verification_required"))
        cases.append(Case(route, "model_not_found", "failed", 404, "model_not_found"))
        if route == "gateway":
            continue
        cases.append(Case(route, "hang", "retried", reasons=("timeout",)))
        cases.append(Case(route, "bad_base64", "failed", None, "bad_base64"))
        cases.append(Case(route, "not_image", "failed", None, "bad_image"))
        cases.append(Case(route, "broken_pixels", "failed", None, "bad_image"))
        cases.append(Case(route, "wrong_size", "failed", None, "wrong_size"))
    gateway = [
        # A hanging poll: the poll's own timeout is bounded by the task's deadline.
        Case("gateway", "hang", "deadline", None, "task_timeout", path="/tasks/",
             ident="task", label="hang-poll"),
        # Poll hiccups are retried inside the task's time limit, never resubmitted.
        Case("gateway", "500", "retried", path="/tasks/", label="poll-500"),
        Case("gateway", "429", "retried", path="/tasks/", label="poll-429"),
        Case("gateway", "drop", "retried", path="/tasks/", label="poll-drop"),
        Case("gateway", "truncated_json", "retried", path="/tasks/",
             label="poll-truncated_json"),
        Case("gateway", "drop", "retried", path="/gateway/files/", label="download-drop"),
        # Task results: these change the task, not the submit.
        Case("gateway", "not_image", "failed", None, "not_image", ident="task"),
        Case("gateway", "not_image", "failed", None, "bad_image", shape="b64",
             label="not_image-b64"),
        Case("gateway", "wrong_size", "fitted"),
        Case("gateway", "task_failed", "failed", None, "generation_failed", ident="task"),
        Case("gateway", "task_cancelled", "failed", None, "task_cancelled", ident="task"),
    ]
    cases += gateway
    cases.append(Case("gateway", "bad_base64", "failed", None, "bad_base64", shape="b64",
                      ident="task"))
    return [c if not isinstance(c, Case) else pytest.param(c, id=c.id) for c in cases]


@pytest.fixture
def api(openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The emulator serving the OpenAI routes and the gateway, with both keys set."""
    openai_env.gateway_key = GATEWAY_KEY
    openai_env.gateway_task_s = 0.05
    monkeypatch.setenv("GATEWAY_API_KEY", GATEWAY_KEY)
    return openai_env


def _hero_requests(emu: Emulator, route: str) -> list[Any]:
    return [r for r in emu.requests_to(IMAGE_PATH[route]) if r.prompt and HERO in r.prompt]


def _failure_line(result: CliResult) -> str:
    lines = [line for line in result.out.splitlines() if line.startswith("hero: failed — ")]
    assert len(lines) == 1, result.output
    return lines[0]


def _assert_card_complete(site: Path) -> None:
    card = site / "public/img/card.png"
    assert card.is_file() and sidecar_matches(card)
    assert sidecar_of(card)["asset"] == "card"


@pytest.mark.parametrize("case", _cases())
def test_fault_matrix(tmp_path: Path, api: Emulator, case: Case) -> None:
    api.gateway_result_shape = case.shape
    timeout = GATEWAY_HANG_TIMEOUT_S if case.expect == "deadline" else 10.0
    site = make_site(tmp_path, two_asset_manifest(case.route, api, timeout_s=1.0,
                                                  gateway_timeout_s=timeout))
    api.inject(case.kind, prompt_contains=HERO, path_contains=case.path,
               retry_after=case.retry_after)
    started = time.monotonic()
    result = run_cli("-C", site, "build")
    elapsed = time.monotonic() - started

    assert "Traceback" not in result.output
    assert api.pending_faults == [], "the fault was never triggered"
    hero = site / "public/img/hero.png"
    _assert_card_complete(site)
    assert leftovers(site) == []
    if case.expect in ("retried", "fitted"):
        assert result.code == 0, result.output
        assert hero.is_file() and sidecar_matches(hero)
        assert len(master_index(site)) == 2
        _check_completed(api, case, sidecar_of(hero), hero)
        return

    # failed or deadline: nothing at all for hero, the failure line says why and where.
    assert result.code == 1, result.output
    assert not hero.exists() and not sidecar_path(hero).exists()
    assert len(master_index(site)) == 1  # only card's master: a refused image is not kept
    line = _failure_line(result)
    assert line.startswith(f"hero: failed — {ROUTE_LABEL[case.route]}: "), line
    if case.status is not None:
        assert f"HTTP {case.status}" in line, line
    assert case.code is not None and case.code in line, line
    requests = _hero_requests(api, case.route)
    assert len(requests) == 1, "a permanent failure must not be sent again"
    if case.ident == "request":
        assert f"(request {requests[0].request_id})" in line, line
    else:
        task_ids = list(api.tasks)
        assert any(f"task {task_id}" in line for task_id in task_ids), line
    if case.expect == "deadline":
        assert "timed out" in line and f"within {GATEWAY_HANG_TIMEOUT_S:g}s" in line
        assert elapsed < GATEWAY_HANG_TIMEOUT_S + 3.0


def _check_completed(emu: Emulator, case: Case, record: dict[str, Any], hero: Path) -> None:
    requests = _hero_requests(emu, case.route)
    if case.expect == "fitted":  # the provider picked its own size: fitted, not refused
        assert len(requests) == 1
        assert (record["master"]["width"], record["master"]["height"]) == (512, 512)
        fit = next(step for step in record["postprocess"] if step["op"] == "fit")
        assert fit["from"] == [512, 512] and fit["to"] == [1024, 1024]
        with Image.open(hero) as image:
            assert image.size == (1024, 1024)
        return
    if case.path is not None:  # a gateway poll/download hiccup: retried inside the task
        assert len(requests) == 1, "a submitted task must never be submitted again"
        faulty = [r for r in emu.requests if r.fault == case.kind and case.path in r.path]
        assert len(faulty) == 1
        later = [r for r in emu.requests if case.path in r.path and r.time > faulty[0].time]
        assert later, "the failed poll/download was not retried"
        return
    assert len(requests) == 2, "a transient fault is retried exactly once here"
    assert record["attempts"] == 2
    retries = record["retries"]
    assert len(retries) == 1 and retries[0]["reason"] in case.reasons, retries
    first = requests[0]
    assert first.fault == case.kind
    if case.kind != "reset_mid_body" and first.status not in (None, 0):
        # An answer came (a reset mid-body loses its headers inside httpx): its id is kept.
        assert retries[0]["request_id"] == first.request_id
    if case.retry_after is not None:
        assert retries[0]["wait_s"] == pytest.approx(case.retry_after)
        assert requests[1].time - requests[0].time >= case.retry_after * 0.9
    else:
        assert 0 <= retries[0]["wait_s"] <= 0.05  # the test's backoff base, with jitter


# ------------------------------------------------------------------ gateway timeouts


@pytest.fixture
def slow_hang(api: Emulator) -> Emulator:
    api.hang_s = 5.0  # the emulator answers normally after this long
    return api


def test_gateway_submit_hang_is_bounded_by_timeout_s(tmp_path: Path, slow_hang: Emulator
                                                     ) -> None:
    site = make_site(tmp_path, two_asset_manifest(
        "gateway", slow_hang, gateway_timeout_s=GATEWAY_HANG_TIMEOUT_S))
    slow_hang.inject("hang", prompt_contains=HERO)
    started = time.monotonic()
    result = run_cli("-C", site, "build", "hero")
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.output
    # Expected: the submit times out within timeout_s, is retried (no task exists yet)
    # and the asset completes well before the emulator would have answered.
    assert elapsed < GATEWAY_HANG_TIMEOUT_S + 2.0, f"took {elapsed:.1f}s"
    assert result.code == 0, result.output
    assert [r["reason"] for r in sidecar_of(site / "public/img/hero.png")["retries"]] == [
        "timeout"]


def test_gateway_download_hang_is_bounded_by_timeout_s(tmp_path: Path, slow_hang: Emulator
                                                       ) -> None:
    site = make_site(tmp_path, two_asset_manifest(
        "gateway", slow_hang, gateway_timeout_s=GATEWAY_HANG_TIMEOUT_S))
    slow_hang.inject("hang", prompt_contains=HERO, path_contains="/gateway/files/")
    started = time.monotonic()
    result = run_cli("-C", site, "build", "hero")
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.output
    assert elapsed < GATEWAY_HANG_TIMEOUT_S + 2.0, f"took {elapsed:.1f}s"
    assert slow_hang.count(IMAGE_PATH["gateway"]) == 1  # never resubmitted
    assert leftovers(site) == []
