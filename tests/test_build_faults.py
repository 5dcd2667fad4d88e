"""Faults over real HTTP: retries, permanent failures, crashes, the lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assetgen.core.fsutil import PENDING_SUFFIX, TEMP_MARKER, build_lock
from assetgen.provenance.naming import sidecar_path
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import BASIC_MANIFEST, run_cli, write_site

GENERATIONS = "/v1/images/generations"
HERO = "rocket"  # a word only hero's prompt contains
CARD = "social card"


def build_json(site: Path, *extra: str) -> tuple[int, dict]:
    result = run_cli("-C", site, "build", "--json", *extra)
    return result.code, json.loads(result.out)


def outcome(document: dict, asset_id: str) -> dict:
    return next(a for a in document["assets"] if a["asset_id"] == asset_id)


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504", "drop", "reset_mid_body",
                                  "truncated_json"])
def test_transient_faults_are_retried(tmp_path: Path, openai_env: Emulator, kind: str) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    openai_env.inject(kind, times=2, prompt_contains=HERO)
    code, document = build_json(site)
    assert code == 0, document
    hero = outcome(document, "hero")
    assert hero["action"] == "generated" and hero["retries"] == 2 and hero["attempts"] == 3
    assert openai_env.count(GENERATIONS, prompt_contains=HERO) == 3
    record = json.loads(sidecar_path(site / "public/img/hero.png").read_text())
    assert record["attempts"] == 3 and len(record["retries"]) == 2
    assert all(r["wait_s"] >= 0 for r in record["retries"])


def test_retry_after_is_honoured(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    openai_env.inject("429", prompt_contains=HERO, retry_after=1)
    started = time.monotonic()
    code, document = build_json(site)
    assert code == 0 and outcome(document, "hero")["retries"] == 1
    assert time.monotonic() - started >= 1.0
    record = json.loads(sidecar_path(site / "public/img/hero.png").read_text())
    assert record["retries"] == [{"reason": "HTTP 429", "wait_s": 1.0,
                                  "request_id": record["retries"][0]["request_id"]}]


@pytest.mark.parametrize(("kind", "status", "code_word"), [
    ("moderation", "400", "moderation_blocked"),
    ("401", "401", "invalid_api_key"),
    ("403", "403", None),
    ("model_not_found", "404", "model_not_found"),
])
def test_permanent_faults_fail_one_asset_without_retry(tmp_path: Path, openai_env: Emulator,
                                                      kind: str, status: str,
                                                      code_word: str | None) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    openai_env.inject(kind, prompt_contains=HERO)
    result = run_cli("-C", site, "build")
    assert result.code == 1, result.output
    assert openai_env.count(GENERATIONS, prompt_contains=HERO) == 1  # not retried
    line = next(line for line in result.out.splitlines() if line.startswith("hero: failed"))
    assert f"HTTP {status}" in line and "images.generate" in line and "(request req_" in line
    if code_word:
        assert code_word in line
    assert not (site / "public/img/hero.png").exists()
    assert not sidecar_path(site / "public/img/hero.png").exists()
    assert (site / "public/img/card.webp").exists()  # the other asset still completes


@pytest.mark.parametrize(("kind", "phrase"), [
    ("bad_base64", "not valid base64"),
    ("not_image", "does not decode"),
    ("broken_pixels", "does not decode"),  # found after the request slot is released
    ("wrong_size", "but 1024x1024 was asked"),
])
def test_bad_images_fail_the_asset_and_write_nothing(tmp_path: Path, openai_env: Emulator,
                                                     kind: str, phrase: str) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    openai_env.inject(kind, prompt_contains=HERO)
    result = run_cli("-C", site, "build")
    assert result.code == 1
    assert phrase in result.out
    assert not (site / "public/img/hero.png").exists()
    assert (site / "public/img/card.webp").exists()
    assert not list((site / "public").rglob(f"*{TEMP_MARKER}*"))
    # Nothing broken stays in the masters cache: the next build asks again.
    assert run_cli("-C", site, "build").code == 0
    assert openai_env.count(GENERATIONS, prompt_contains=HERO) == 2
    assert (site / "public/img/hero.png").exists()


def test_retries_give_up_after_the_policy(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    openai_env.inject("500", times=10, prompt_contains=HERO)
    code, document = build_json(site)
    assert code == 1
    hero = outcome(document, "hero")
    assert hero["action"] == "failed" and "HTTP 500" in hero["error"]
    assert openai_env.count(GENERATIONS, prompt_contains=HERO) == 5  # 1 + 4 retries


def test_timeouts_are_retried(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST + "routes:\n  images:\n    timeout_s: 1\n")
    openai_env.inject("hang", prompt_contains=HERO)
    code, document = build_json(site)
    assert code == 0
    assert outcome(document, "hero")["retries"] == 1


def test_concurrent_build_is_refused_by_the_lock(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    with build_lock(site / ".assetgen" / "build.lock"):
        result = run_cli("-C", site, "build")
    assert result.code == 1 and "another build of this manifest is running" in result.err
    assert openai_env.requests == []


def _spawn_build(site: Path, emulator: Emulator) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENAI_BASE_URL": emulator.base_url, "OPENAI_API_KEY": TEST_KEY}
    return subprocess.Popen([sys.executable, "-m", "assetgen", "-C", str(site), "build",
                             "--concurrency", "1"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _complete_pairs(public: Path) -> list[Path]:
    return [p for p in public.rglob("*.png") if sidecar_path(p).exists()]


def test_sigkill_mid_build_resumes_without_paying_twice(tmp_path: Path,
                                                       openai_env: Emulator) -> None:
    emulator = openai_env
    assets = "".join(f"  - id: a{i}\n    path: img/a{i}.png\n    prompt: picture {i}\n"
                     for i in range(5))
    site = write_site(tmp_path, "version: 1\ndefaults:\n  quality: low\nassets:\n" + assets)
    emulator.latency_s = 0.4
    process = _spawn_build(site, emulator)
    deadline = time.monotonic() + 20
    while len(_complete_pairs(site / "public")) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    paid_before = emulator.count(GENERATIONS)
    done = _complete_pairs(site / "public")
    assert 2 <= len(done) < 5
    # Whatever is on disk is whole: every image has its sidecar and matching bytes.
    for image in (site / "public").rglob("*.png"):
        if TEMP_MARKER in image.name:
            continue
        record = json.loads(sidecar_path(image).read_text())
        assert record["bytes"] == image.stat().st_size
    emulator.latency_s = 0.0
    result = run_cli("-C", site, "build", "--json")
    assert result.code == 0, result.err
    document = json.loads(result.out)
    actions = [a["action"] for a in document["assets"]]
    assert actions.count("skipped") == len(done)
    # Finished work is not requested again; paid-but-unwritten work comes from the
    # masters cache. Only the one request in flight at the kill (its answer never
    # arrived) can be paid twice.
    new_requests = emulator.count(GENERATIONS) - paid_before
    assert new_requests + len(done) + actions.count("resumed") == 5
    assert emulator.count(GENERATIONS) <= 5 + 1
    assert not list((site / "public").rglob(f"*{TEMP_MARKER}*"))
    assert not list((site / "public").rglob(f"*{PENDING_SUFFIX}"))


def test_sigterm_is_a_clean_interrupt(tmp_path: Path, emulator: Emulator) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    emulator.latency_s = 3
    process = _spawn_build(site, emulator)
    deadline = time.monotonic() + 10
    while not emulator.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=15)
    assert process.returncode == 130
    assert b"interrupted" in err and b"Traceback" not in err
    assert not list(site.rglob(f"*{TEMP_MARKER}*"))
