"""Hostile server answers (issue 11, SPEC section 10): one malformed answer fails only its
asset, with a clear reason; the answers already paid for are committed; caps hold.

Each test runs the real CLI (`assetgen build`) against tests/fakes/hostile.py, with four
assets in flight of which only `a3` (its prompt says HOSTILE) gets the hostile answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assetgen.provenance.naming import sidecar_path
from tests.conftest import TEST_KEY
from tests.fakes.hostile import Hostile
from tests.fakes.reliability import images_below, master_index
from tests.fakes.sites import run_cli, write_site

GATEWAY_KEY = "gw-hostile-key-0a1b2c3d4e5f"
SIBLINGS = ("a0", "a1", "a2")
# What the failure line of `a3` must say, per hostile answer.
FAILS = {
    "deep_nesting": "nested too deeply",
    "gzip_lie": "does not decode as its Content-Encoding",
    "gzip_bomb": "larger than the cap of 67,108,864 bytes",
    "redirect_loop": "does not follow redirects of API calls",
    "redirect_offsite": "does not follow redirects of API calls",
    "bad_base64": "not valid base64",
    "not_image": "does not decode",
    "huge_base64": "larger than the cap of 67,108,864 bytes",
    "trickle": "timed out",
    "big_pixels": "more than the 9,123,840 pixels",
}
# Answers whose image is fine: the asset is kept, the bad field dropped or cut.
USAGE_MODES = ("usage_string", "usage_nan", "usage_inf", "usage_negative", "usage_digits",
               "usage_huge")


def manifest(route: str, server: Hostile, timeout_s: float = 1.5) -> str:
    if route == "gateway":
        routes = ("routes:\n  gateway:\n"
                  f"    base_url: {server.gateway_url}\n"
                  "    api_key_env: GATEWAY_API_KEY\n    provider: hostile\n"
                  f"    poll_intervals_s: [0.02]\n    timeout_s: {timeout_s}\n")
    else:
        routes = f"routes:\n  {route}:\n    timeout_s: {timeout_s}\n"
    assets = "".join(
        f"  - id: a{i}\n    path: img/a{i}.png\n"
        f"    prompt: \"picture number {i}{' HOSTILE' if i == 3 else ''}\"\n"
        for i in range(4))
    return ("version: 1\noutput_dir: public\n"
            f"defaults:\n  route: {route}\n  model: gpt-image-2\n  quality: low\n"
            f"  size: 1024x1024\n{routes}assets:\n{assets}")


@pytest.fixture
def hostile_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("GATEWAY_API_KEY", GATEWAY_KEY)
    yield


def build(tmp_path: Path, route: str, mode: str, monkeypatch: pytest.MonkeyPatch,
          **server_args: int) -> tuple[int, dict, Hostile, Path]:
    server_args.setdefault("gzip_bomb_bytes", 200 * 1024**2)
    server_args.setdefault("huge_base64_bytes", 100 * 1024**2)
    with Hostile(mode, **server_args) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        site = write_site(tmp_path, manifest(route, server))
        result = run_cli("-C", site, "build", "--json", "--concurrency", "4")
    assert "Traceback" not in result.output
    return result.code, json.loads(result.out), server, site


def outcome(document: dict, asset_id: str) -> dict:
    return next(a for a in document["assets"] if a["asset_id"] == asset_id)


def assert_siblings_kept(document: dict, site: Path) -> None:
    """The three valid answers were paid for: each is published and in the masters cache."""
    for asset_id in SIBLINGS:
        assert outcome(document, asset_id)["action"] == "generated", document
    published = {p.stem for p in images_below(site / "public")}
    assert set(SIBLINGS) <= published
    assert len(master_index(site)) >= 3  # one entry per generation (same bytes, one file)


@pytest.mark.usefixtures("hostile_env")
@pytest.mark.parametrize("route", ["images", "responses"])
@pytest.mark.parametrize("mode", sorted(FAILS))
def test_a_malformed_answer_fails_only_its_asset(tmp_path: Path, route: str, mode: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    code, document, server, site = build(tmp_path, route, mode, monkeypatch)
    assert code == 1, document
    failed = outcome(document, "a3")
    assert failed["action"] == "failed" and FAILS[mode] in failed["error"], failed
    assert not (site / "public/img/a3.png").exists()
    assert_siblings_kept(document, site)
    if mode == "trickle":  # 1.5 s per attempt, 5 attempts: bounded, not 1 byte/s forever
        assert time.monotonic() - started < 20
    if mode == "redirect_offsite":  # the key never left for the other origin
        assert not any("/elsewhere" in path for _, path, _ in server.requests)


@pytest.mark.usefixtures("hostile_env")
@pytest.mark.parametrize("route", ["images", "responses"])
@pytest.mark.parametrize("mode", USAGE_MODES)
def test_bad_usage_numbers_fail_the_asset_and_keep_the_paid_image(
        tmp_path: Path, route: str, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, document, _, site = build(tmp_path, route, mode, monkeypatch)
    assert code == 1, document
    assert_siblings_kept(document, site)
    failed = outcome(document, "a3")
    assert failed["action"] == "failed" and "usage dropped: output_tokens" in failed["error"]
    assert "without paying again" in failed["error"]
    assert not (site / "public/img/a3.png").exists()
    # The server is gone: the next build publishes the cached answer without any request.
    again = run_cli("-C", site, "build", "--json")
    assert again.code == 0, again.output
    assert outcome(json.loads(again.out), "a3")["action"] == "resumed"
    record = json.loads(sidecar_path(site / "public/img/a3.png").read_text())
    assert "usage" not in record
    assert any(note.startswith("usage dropped: output_tokens") for note in
               record["answer_notes"]), record
    assert record.get("cost_usd") is None or record["cost_usd"] < 1
    sibling = json.loads(sidecar_path(site / "public/img/a0.png").read_text())
    assert sibling["usage"]["output_tokens"] == 196 and "answer_notes" not in sibling


@pytest.mark.usefixtures("hostile_env")
def test_a_huge_revised_prompt_and_request_id_are_clamped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, document, _, site = build(tmp_path, "images", "huge_revised_prompt", monkeypatch)
    assert code == 0, document
    record = json.loads(sidecar_path(site / "public/img/a3.png").read_text())
    assert len(record["revised_prompt"]) == 4_000
    assert "revised_prompt cut to 4,000 of its 5,000,000 characters" in record["answer_notes"]
    assert sidecar_path(site / "public/img/a3.png").stat().st_size < 20_000

    code, document, _, site = build(tmp_path / "ids", "images", "long_request_id", monkeypatch)
    assert code == 0, document
    request_id = json.loads(sidecar_path(site / "public/img/a3.png").read_text())["request_id"]
    assert request_id.startswith("req_") and len(request_id) <= 200
    assert "\x1b" not in request_id and "$" not in request_id and "(" not in request_id


@pytest.mark.usefixtures("hostile_env")
@pytest.mark.parametrize(("mode", "reason"), [
    ("gzip_bomb", "larger than the cap of"),
    ("gzip_lie", "does not decode as its Content-Encoding"),
    ("trickle", "timed out"),
    ("redirect_loop", "redirected more than 5 times"),
    ("big_pixels", "9400x9400, more than the 40,000,000 pixels"),
    ("not_image", "is not an image"),
    ("deep_nesting", "nested too deeply"),
])
def test_a_malformed_gateway_answer_fails_only_its_asset(
        tmp_path: Path, mode: str, reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started = time.monotonic()
    code, document, _, site = build(tmp_path, "gateway", mode, monkeypatch,
                                    gzip_bomb_bytes=100 * 1024**2)
    assert code == 1, document
    failed = outcome(document, "a3")
    assert failed["action"] == "failed" and reason in failed["error"], failed
    assert_siblings_kept(document, site)
    assert time.monotonic() - started < 20


@pytest.mark.usefixtures("hostile_env")
def test_gateway_fields_are_clamped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, document, _, site = build(tmp_path, "gateway", "huge_cost", monkeypatch)
    assert code == 0, document
    record = json.loads(sidecar_path(site / "public/img/a3.png").read_text())
    assert record.get("cost_usd") is None and "cost_usd dropped" in record["answer_notes"][0]
    assert outcome(document, "a0")["cost_usd"] == 0.04
    assert document["cost_usd"] < 1

    code, document, _, site = build(tmp_path / "ids", "gateway", "long_task_fields",
                                    monkeypatch)
    record = json.loads(sidecar_path(site / "public/img/a3.png").read_text())
    assert len(record["task_id"]) <= 200 and len(record["request_id"]) <= 200
