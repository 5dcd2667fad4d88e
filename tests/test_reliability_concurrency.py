"""Reliability: two `assetgen build` processes at once.

README "Lock": two builds of one manifest at once — the second exits 1 with
`another build of this manifest is running (pid N)`; the lock is an flock on
`.assetgen/build.lock`. So exactly one process does the work, every prompt is requested
once, and the files are whole. Builds of different manifests do not block each other.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.fakes.emulator import Emulator
from tests.fakes.reliability import (
    IMAGE_PATH,
    images_below,
    leftovers,
    make_site,
    many_asset_manifest,
    sidecar_matches,
    spawn,
    subprocess_env,
)
from tests.fakes.sites import run_cli

GENERATIONS = IMAGE_PATH["images"]
ASSETS = 6
LOCKED = "another build of this manifest is running"


def _start(site: Path, emu: Emulator, tag: str) -> subprocess.Popen[bytes]:
    env = subprocess_env(emu, OPENAI_ORG_ID=tag)
    return spawn(site, env, "build", "--concurrency", "2")


def _finish(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out.decode(), err.decode()


def _sent_by(emu: Emulator, tag: str) -> list[str]:
    return [r.prompt or "" for r in emu.requests_to(GENERATIONS)
            if r.headers.get("openai-organization") == tag]


def _assert_site_complete(site: Path) -> None:
    images = images_below(site / "public")
    assert len(images) == ASSETS and all(sidecar_matches(i) for i in images)
    assert leftovers(site) == []
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    assert {a["state"] for a in plan["assets"]} == {"fresh"}


@pytest.mark.parametrize("round_", range(3))
def test_two_builds_of_one_manifest_one_works_one_refuses(
        tmp_path: Path, openai_env: Emulator, round_: int) -> None:
    openai_env.latency_s = 0.3  # 6 assets, 2 at a time: the first build holds the lock ~1 s
    site = make_site(tmp_path, many_asset_manifest(ASSETS, tag=f"round {round_} picture"))
    first, second = _start(site, openai_env, "org-one"), _start(site, openai_env, "org-two")
    results = {"org-one": (first.pid, *_finish(first)),
               "org-two": (second.pid, *_finish(second))}

    codes = sorted(code for _, code, _, _ in results.values())
    assert codes == [0, 1], {tag: (code, err) for tag, (_, code, _, err) in results.items()}
    winner = next(tag for tag, (_, code, _, _) in results.items() if code == 0)
    loser = next(tag for tag in results if tag != winner)
    winner_pid = results[winner][0]
    _, _, loser_out, loser_err = results[loser]
    assert f"{LOCKED} (pid {winner_pid})" in loser_err, loser_err
    assert "Traceback" not in loser_err and loser_out == ""
    assert f"build: {ASSETS} generated" in results[winner][2]

    # Only the winner asked for anything, and every prompt exactly once.
    assert _sent_by(openai_env, loser) == []
    prompts = _sent_by(openai_env, winner)
    assert sorted(prompts) == sorted(f"round {round_} picture number {i}"
                                     for i in range(ASSETS))
    assert openai_env.count(GENERATIONS) == ASSETS
    _assert_site_complete(site)

    # Once the winner is done, the lock is free again and there is nothing left to pay for.
    again = run_cli("-C", site, "build")
    assert again.code == 0 and LOCKED not in again.err
    assert openai_env.count(GENERATIONS) == ASSETS


def test_builds_of_different_manifests_run_side_by_side(tmp_path: Path,
                                                         openai_env: Emulator) -> None:
    openai_env.latency_s = 0.3
    sites = [make_site(tmp_path / name, many_asset_manifest(ASSETS, tag=f"{name} picture"))
             for name in ("left", "right")]
    processes = [_start(site, openai_env, f"org-{site.name}") for site in sites]
    for site, process in zip(sites, processes, strict=True):
        code, _, err = _finish(process)
        assert code == 0, err
        assert LOCKED not in err
        assert len(_sent_by(openai_env, f"org-{site.name}")) == ASSETS
        _assert_site_complete(site)
