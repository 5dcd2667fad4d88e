"""Reliability: SIGKILL a real `assetgen build` at random moments, then resume.

The invariant comes from `assetgen.build.store` (commit/recover): every file is written to a
temp file, the sidecar to a *pending* file, then the image is renamed, then the sidecar.
So after a SIGKILL, below `output_dir`:
- every image has a sidecar whose sha256/bytes match it, or a pending sidecar whose
  sha256 matches it (killed between the two renames: `recover()` finishes that commit);
- every sidecar has its image, with matching bytes (the sidecar is renamed last);
- a pending sidecar may also be alone (killed before the image rename: it is discarded);
- temp files may remain (removed by the next build).
After the next build: no temp or pending file anywhere, every asset `fresh`, and nothing
that was already paid for is requested again — done assets are skipped, interrupted
commits are completed, masters already received come from the masters cache. Only the
requests in flight at the kill (at most `--concurrency`) can be paid twice.

The seed is printed; set RELIABILITY_SEED to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assetgen.provenance.naming import sidecar_path
from tests.fakes.emulator import Emulator, RecordedRequest
from tests.fakes.reliability import (
    IMAGE_PATH,
    images_below,
    leftovers,
    make_site,
    many_asset_manifest,
    master_index,
    pending_matches,
    pending_of,
    read_json,
    sidecar_matches,
    sidecars_below,
    spawn,
    subprocess_env,
)
from tests.fakes.sites import run_cli

RUNS = 20
ASSETS = 12
CONCURRENCY = 4
DEFAULT_SEED = 7_2024
GENERATIONS = IMAGE_PATH["images"]


@dataclass
class RunStats:
    run: int
    latency_s: float
    delay_s: float
    before_first_request: bool
    killed_requests: int = 0
    done: int = 0
    interrupted_commits: int = 0
    cached: int = 0
    resumed_requests: int = 0
    paid_twice: int = 0
    notes: list[str] = field(default_factory=list)


def _tag(request: RecordedRequest) -> str:
    return request.headers.get("openai-organization", "")


def _prompt_asset(prompt: str | None) -> str:
    assert prompt is not None
    return "a" + prompt.rsplit(" ", 1)[1]


def _wait_for_first_request(emu: Emulator, process: subprocess.Popen[bytes],
                            timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not emu.requests and time.monotonic() < deadline:
        if process.poll() is not None:
            return
        time.sleep(0.005)


def _check_after_kill(site: Path, stats: RunStats) -> tuple[set[str], set[str]]:
    """The on-disk invariant right after the SIGKILL; returns (done, interrupted) ids."""
    public = site / "public"
    done: set[str] = set()
    interrupted: set[str] = set()
    for image in images_below(public):
        asset = image.stem
        if sidecar_path(image).exists():
            assert sidecar_matches(image), f"run {stats.run}: {image.name} != its sidecar"
            done.add(asset)
        else:
            assert pending_matches(image), (
                f"run {stats.run}: {image.name} has neither a matching sidecar nor a "
                "matching pending sidecar")
            interrupted.add(asset)
    for side in sidecars_below(public):
        image = side.with_name(side.name.removesuffix(".provenance.json"))
        assert image.is_file(), f"run {stats.run}: sidecar {side.name} without its image"
    for pending in public.rglob("*.assetgen-pending"):
        image = pending.with_name(pending.name[1:].split(".provenance.json")[0])
        assert pending == pending_of(image)
        # alone (killed before the image rename) or describing the image beside it
        assert not image.exists() or pending_matches(image) or sidecar_matches(image)
    return done, interrupted


def _cached_assets(site: Path, emu: Emulator) -> set[str]:
    """Assets whose master reached the masters cache (index entry -> request -> prompt)."""
    by_id = {r.request_id: r for r in emu.requests}
    cached = set()
    for index in master_index(site):
        request = by_id.get(read_json(index).get("request_id"))
        assert request is not None, f"{index.name} names an unknown request"
        cached.add(_prompt_asset(request.prompt))
    return cached


def _one_run(stats: RunStats, tmp_path: Path, emu: Emulator,
             monkeypatch: pytest.MonkeyPatch) -> None:
    """Build, SIGKILL at the chosen moment, check the disk, resume, check again."""
    run, blind, delay = stats.run, stats.before_first_request, stats.delay_s
    site = make_site(tmp_path / f"run{run:02d}",
                     many_asset_manifest(ASSETS, tag=f"run {run} picture"))
    env = subprocess_env(emu, OPENAI_ORG_ID=f"org-killed-{run}")
    process = spawn(site, env, "build", "--concurrency", str(CONCURRENCY))
    try:
        if not blind:
            _wait_for_first_request(emu, process, timeout=20)
        time.sleep(delay)
        process.kill()
    finally:
        _, err = process.communicate(timeout=30)
    assert b"Traceback" not in err

    # A request cut off while its body was being sent carries no prompt: never served.
    killed = [r for r in emu.requests
              if _tag(r) == f"org-killed-{run}" and r.prompt is not None]
    stats.killed_requests = len(killed)
    assert len(killed) <= ASSETS  # no faults: nothing was retried
    done, interrupted = _check_after_kill(site, stats)
    cached = _cached_assets(site, emu)
    assert done | interrupted <= cached, "a written asset's master must be in the cache"
    stats.done, stats.interrupted_commits = len(done), len(interrupted)
    stats.cached = len(cached - done - interrupted)

    # Resume in-process, tagging its requests apart from the killed build's.
    emu.latency_s = 0.0
    monkeypatch.setenv("OPENAI_ORG_ID", f"org-resume-{run}")
    result = run_cli("-C", site, "build", "--concurrency", str(CONCURRENCY), "--json")
    assert result.code == 0, (run, result.output)
    document = json.loads(result.out)
    actions = {a["asset_id"]: a["action"] for a in document["assets"]}
    resumed = [r for r in emu.requests_to(GENERATIONS) if _tag(r) == f"org-resume-{run}"]
    resumed_assets = [_prompt_asset(r.prompt) for r in resumed]
    stats.resumed_requests = len(resumed)
    stats.notes = [line for line in result.err.splitlines() if "recovered:" in line]

    # Nothing already paid for is requested again; the rest exactly once.
    assert len(resumed_assets) == len(set(resumed_assets)), resumed_assets
    assert set(resumed_assets).isdisjoint(cached), (run, resumed_assets, sorted(cached))
    assert set(resumed_assets) == {f"a{i}" for i in range(ASSETS)} - cached
    assert {a for a, action in actions.items() if action == "skipped"} == done | interrupted
    assert {a for a, action in actions.items() if action == "resumed"} == \
        cached - done - interrupted
    completed_notes = [n for n in stats.notes if "completed the interrupted write" in n]
    assert len(completed_notes) == len(interrupted), stats.notes
    # Paid twice: only requests whose answer had not reached the masters cache at the
    # kill, and never more than --concurrency (a slot is held until the master is saved).
    killed_assets = {_prompt_asset(r.prompt) for r in killed}
    stats.paid_twice = len(killed_assets & set(resumed_assets))
    assert killed_assets & set(resumed_assets) <= killed_assets - cached
    assert len(killed) + len(resumed) == ASSETS + stats.paid_twice
    assert stats.paid_twice <= CONCURRENCY, (run, stats)

    # Afterwards: nothing half-written anywhere (masters cache included), every asset
    # fresh and intact.
    assert leftovers(site) == [], run
    images = images_below(site / "public")
    assert len(images) == ASSETS and all(sidecar_matches(i) for i in images)
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    assert {a["state"] for a in plan["assets"]} == {"fresh"}, plan["summary"]


def test_sigkill_at_random_moments_leaves_every_asset_complete_or_absent(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    emu = openai_env
    seed = int(os.environ.get("RELIABILITY_SEED", DEFAULT_SEED))
    with capsys.disabled():
        print(f"\n[reliability-crash] seed={seed} (RELIABILITY_SEED to replay)")
    rng = random.Random(seed)
    all_stats: list[RunStats] = []
    for run in range(RUNS):
        emu.reset()
        emu.latency_s = rng.uniform(0.05, 0.2)
        # 1 run in 5 is killed blind (possibly before any request); the rest at a random
        # moment after the first request reached the API.
        blind = rng.random() < 0.2
        delay = rng.uniform(0.0, 0.5) if blind else rng.uniform(0.0, 0.8)
        stats = RunStats(run, round(emu.latency_s, 3), round(delay, 3), blind)
        try:
            _one_run(stats, tmp_path, emu, monkeypatch)
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}, {stats}: {exc}") from exc
        all_stats.append(stats)

    for s in all_stats:  # captured: shown with the failure report (or with -rP / -s)
        print(f"  run {s.run:2d}: latency {s.latency_s:.3f}s kill +{s.delay_s:.3f}s"
              f"{' (blind)' if s.before_first_request else ''}: {s.killed_requests} sent, "
              f"{s.done} done, {s.interrupted_commits} mid-commit, {s.cached} cached, "
              f"{s.resumed_requests} re-sent, {s.paid_twice} paid twice")
    over = [s.run for s in all_stats if s.paid_twice > CONCURRENCY]
    mid_build = [s for s in all_stats if 0 < s.done + s.cached < ASSETS]
    with capsys.disabled():
        print(f"[reliability-crash] {len(mid_build)}/{RUNS} runs killed mid-build; runs that "
              f"paid more than --concurrency ({CONCURRENCY}) twice: {over or 'none'}")
    # The random kills must actually have landed mid-build in a fair share of the runs.
    assert len(mid_build) >= RUNS // 4, [(s.run, s.done, s.cached) for s in all_stats]


def test_temp_files_a_killed_build_left_in_the_masters_cache_are_removed(
        tmp_path: Path, openai_env: Emulator) -> None:
    site = make_site(tmp_path, many_asset_manifest(1, tag="lonely picture"))
    masters = site / ".assetgen" / "masters"
    stray = [masters / f".{'ab' * 32}.png.assetgen-tmp-k1ll3d",  # killed inside masters.put
             masters / "index" / f".{'cd' * 32}.json.assetgen-tmp-k1ll3d"]
    for path in stray:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x89PNG half a master")
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    assert openai_env.count(GENERATIONS) == 1
    assert leftovers(site) == []


def test_answers_paid_but_not_yet_cached_never_exceed_the_concurrency(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SIGKILL loses exactly the answers that are paid but not yet in the masters cache;
    the README promises that only requests in flight (at most --concurrency) are at risk."""
    from assetgen.build.masters import MastersCache

    persisted: list[float] = []
    original = MastersCache.put

    def slow_put(self: MastersCache, *args: object, **kwargs: object) -> str:
        time.sleep(0.25)  # a slow disk (or a big master): persisting takes a while
        sha = original(self, *args, **kwargs)  # type: ignore[arg-type]
        persisted.append(time.monotonic())
        return sha

    monkeypatch.setattr(MastersCache, "put", slow_put)
    concurrency = 2
    site = make_site(tmp_path, many_asset_manifest(6, tag="slow disk picture"))
    result = run_cli("-C", site, "build", "--concurrency", str(concurrency))
    assert result.code == 0, result.output
    sent = sorted(r.time for r in openai_env.requests_to(GENERATIONS))
    assert len(sent) == 6 and len(persisted) == 6
    # When each request goes out: requests sent so far minus masters safely cached.
    at_risk = [sum(t <= moment for t in sent) - sum(p <= moment for p in persisted)
               for moment in sent]
    assert max(at_risk) <= concurrency, at_risk
