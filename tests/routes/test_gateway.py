"""The `gateway` route: the real CLI against the emulator's async-task dialect, plus units."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from assetgen.errors import PermanentError, RateLimited
from assetgen.provenance.naming import sidecar_path
from assetgen.routes.gateway import nearest_ratio, resolution_for
from assetgen.routes.gateway_poll import download, find_images, parse_task
from assetgen.routes.url_policy import HostPolicy
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import png_bytes, run_cli, write_site

GW_KEY = "gw-test-key-0123456789"
SUBMIT = "/gateway/v1/images/generations"
SITE = """\
version: 1
output_dir: public
defaults:
  route: gateway
  model: gpt-image-2
  quality: low
routes:
  gateway:
    base_url: {base}
    api_key_env: GATEWAY_API_KEY
    provider: example
    poll_intervals_s: [0.05, 0.1]
    timeout_s: {timeout}
{extra}assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket on a launch pad"
    size: 1536x1024
  - id: card
    path: img/card.webp
    prompt: "A social card"
    width: 1200
    height: 630
"""
EDIT = """\
  - id: night
    path: img/night.png
    prompt: "The same scene at night"
    size: 1536x1024
    edit:
      images: [hero]
"""


@pytest.fixture
def gw(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator.gateway_key = GW_KEY
    emulator.gateway_task_s = 0.1
    monkeypatch.setenv("GATEWAY_API_KEY", GW_KEY)
    return emulator


def site_for(tmp_path: Path, emu: Emulator, *, extra: str = "", assets: str = "",
             timeout: float = 10) -> Path:
    text = SITE.format(base=emu.gateway_url, extra=extra, timeout=timeout) + assets
    return write_site(tmp_path, text)


def sidecar(site: Path, rel: str) -> dict[str, Any]:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


@pytest.fixture
def static_site() -> Iterator[tuple[str, Path]]:
    """A local web server standing in for the deployed site: (its URL, the folder it serves)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        handler = functools.partial(_QuietHandler, directory=folder)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", Path(folder)
        finally:
            server.shutdown()
            server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def deploy(site: Path, folder: Path) -> None:
    """Copy the built public/ folder to the 'deployed' site."""
    import shutil

    shutil.copytree(site / "public", folder, dirs_exist_ok=True)


# ------------------------------------------------------------------ generation


@pytest.mark.parametrize(("wrap", "shape"), [(False, "url_string"), (True, "url_list"),
                                             (True, "b64")])
def test_generate_bare_and_wrapped_tasks(tmp_path: Path, gw: Emulator, wrap: bool,
                                         shape: str) -> None:
    gw.gateway_wrap = wrap
    gw.gateway_result_shape = shape
    site = site_for(tmp_path, gw)
    result = run_cli("-C", site, "build", "--json")
    assert result.code == 0, result.output
    doc = json.loads(result.out)
    assert {(a["asset_id"], a["route"], a["billing"]) for a in doc["assets"]} == {
        ("hero", "gateway", "provider:example"), ("card", "gateway", "provider:example")}
    assert doc["cost_by_billing"] == {"provider:example": 0.0}
    sent = {r.json["prompt"]: r.json for r in gw.requests_to(SUBMIT)}
    hero_body = sent["A rocket on a launch pad"]
    assert (hero_body["size"], hero_body["resolution"]) == ("3:2", "2K")
    assert hero_body["model"] == "gpt-image-2" and hero_body["response_format"] == "url"
    assert "reference_images" not in hero_body
    card_body = sent["A social card"]
    assert (card_body["size"], card_body["resolution"]) == ("16:9", "2K")
    polls = [r for r in gw.requests if r.path.startswith("/gateway/v1/tasks/")]
    assert polls and all(r.headers["authorization"] == f"Bearer {GW_KEY}" for r in polls)

    hero = sidecar(site, "img/hero.png")
    assert hero["route"] == "gateway" and hero["billing"] == "provider:example"
    assert hero["provider"] == "example" and hero["base_url"] == gw.gateway_url
    assert hero["task_id"].startswith("task_") and hero["request_id"].startswith("req_")
    assert hero["provider_model"] == "gpt-image-2" and hero["aspect_ratio"] == "3:2"
    assert "cost_usd" not in hero and "cost_basis" not in hero
    assert hero["master"]["width"] == 2048 and hero["postprocess"][0]["op"] == "fit"
    with Image.open(site / "public/img/hero.png") as image:
        assert image.size == (1536, 1024)
    with Image.open(site / "public/img/card.webp") as image:
        assert image.size == (1200, 630)
    text = json.dumps(hero) + result.output
    assert GW_KEY not in text
    # Fresh now: nothing is submitted again.
    assert run_cli("-C", site, "build").code == 0
    assert gw.count(SUBMIT) == 2


def test_renamed_statuses_and_transient_poll_errors(tmp_path: Path, gw: Emulator) -> None:
    gw.gateway_statuses.update(queued="pending", in_progress="processing")
    gw.inject("500", path_contains="/tasks/", times=2)
    gw.inject("drop", path_contains="/tasks/")
    site = site_for(tmp_path, gw)
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 0, result.output
    assert gw.count(SUBMIT) == 1  # poll failures never resubmit (that would pay again)
    assert sidecar(site, "img/hero.png")["polls"] >= 4


def test_429_on_submit_is_retried(tmp_path: Path, gw: Emulator) -> None:
    gw.inject("429", times=2)
    site = site_for(tmp_path, gw)
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 0, result.output
    assert gw.count(SUBMIT) == 3
    retries = sidecar(site, "img/hero.png")["retries"]
    assert [r["reason"] for r in retries] == ["HTTP 429", "HTTP 429"]


# ------------------------------------------------------------------ edits


def test_edit_sends_deployed_urls(tmp_path: Path, gw: Emulator,
                                  static_site: tuple[str, Path]) -> None:
    url, folder = static_site
    gw.gateway_fetch_references = True  # the provider really downloads the reference
    site = site_for(tmp_path, gw, extra=f"    public_base_url: {url}/\n", assets=EDIT)
    first = run_cli("-C", site, "build", "hero")
    assert first.code == 0, first.output
    # Not deployed yet: the provider could not fetch the reference, so nothing is sent.
    missing = run_cli("-C", site, "build", "night")
    assert missing.code == 1 and "reference_not_deployed" in missing.out
    assert "deploy the site" in missing.out
    deploy(site, folder)
    result = run_cli("-C", site, "build", "night")
    assert result.code == 0, result.output
    body = gw.last(SUBMIT).json
    assert body["reference_images"] == [f"{url}/img/hero.png"]
    fetched = gw.last(SUBMIT).files[0]
    hero_sha = sidecar(site, "img/hero.png")["sha256"]
    assert fetched["sha256"] == hero_sha
    night = sidecar(site, "img/night.png")
    assert night["reference_urls"] == [f"{url}/img/hero.png"]
    assert night["inputs"][0]["sha256"] == hero_sha
    # The deployed copy is another version than the local input: refused before submitting.
    (folder / "img/hero.png").write_bytes(png_bytes(64, 64))
    redo = run_cli("-C", site, "build", "night", "--force")
    assert redo.code == 1 and "reference_outdated" in redo.out
    assert gw.count(SUBMIT, prompt_contains="at night") == 1


def test_edit_without_public_base_url_is_refused_up_front(tmp_path: Path,
                                                          gw: Emulator) -> None:
    site = site_for(tmp_path, gw, assets=EDIT)
    result = run_cli("-C", site, "build")
    assert result.code == 2
    assert "URLs only" in result.err and "public_base_url" in result.err
    assert "assetgen.yaml:" in result.err and "`night`" in result.err
    assert gw.requests == []


# ------------------------------------------------------------------ failures


@pytest.mark.parametrize(("fault", "code", "message"), [
    ("task_failed", "generation_failed", "The image generation task failed upstream."),
    ("task_cancelled", "task_cancelled", "The task was cancelled."),
])
def test_failed_and_cancelled_tasks(tmp_path: Path, gw: Emulator, fault: str, code: str,
                                    message: str) -> None:
    gw.gateway_wrap = True
    gw.inject(fault)
    site = site_for(tmp_path, gw)
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 1
    assert f"gateway: {code}: task task_" in result.out and message in result.out
    assert gw.count(SUBMIT) == 1
    assert not (site / "public/img/hero.png").exists()


def test_slow_task_beyond_timeout(tmp_path: Path, gw: Emulator) -> None:
    gw.inject("task_stuck")
    site = site_for(tmp_path, gw, timeout=1)
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 1
    assert "did not finish within 1s" in result.out and "in_progress" in result.out
    assert "routes.gateway.timeout_s" in result.out
    assert gw.count(SUBMIT) == 1


def test_hanging_polls_do_not_outlive_the_timeout(tmp_path: Path, gw: Emulator) -> None:
    import time

    gw.inject("hang", path_contains="/tasks/", times=50)
    started = time.monotonic()
    result = run_cli("-C", site_for(tmp_path, gw, timeout=1), "build", "hero")
    assert time.monotonic() - started < 5
    assert result.code == 1 and "did not finish within 1s" in result.out
    assert "the last poll failed" in result.out and "timed out" in result.out
    assert gw.count(SUBMIT) == 1


def test_expired_result_url(tmp_path: Path, gw: Emulator) -> None:
    gw.gateway_url_ttl_s = 0.0
    result = run_cli("-C", site_for(tmp_path, gw), "build", "hero")
    assert result.code == 1
    assert "result_expired" in result.out and "HTTP 403 result_expired" in result.out
    assert "Request has expired" in result.out and "build again" in result.out
    assert "task task_" in result.out
    assert gw.count(SUBMIT) == 1


def test_non_image_result_is_refused(tmp_path: Path, gw: Emulator) -> None:
    gw.inject("not_image")
    site = site_for(tmp_path, gw)
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 1
    assert "not an image (content-type text/html" in result.out
    assert not (site / "public/img/hero.png").exists()


def test_missing_key_env_names_the_variable(tmp_path: Path, gw: Emulator,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEWAY_API_KEY")
    result = run_cli("-C", site_for(tmp_path, gw), "build")
    assert result.code == 2
    assert "GATEWAY_API_KEY is not set" in result.err and "api_key_env" in result.err
    assert gw.requests == []


def test_wrong_key_is_a_clear_failure(tmp_path: Path, gw: Emulator,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_API_KEY", "gw-wrong-key-000")
    result = run_cli("-C", site_for(tmp_path, gw), "build", "hero")
    assert result.code == 1
    assert "HTTP 401" in result.out and "invalid or missing token" in result.out
    assert "gw-wrong-key-000" not in result.output


# ------------------------------------------------------------------ units


def test_aspect_ratio_and_resolution() -> None:
    assert nearest_ratio(1024, 1024) == "1:1"
    assert nearest_ratio(1200, 630) == "16:9"
    assert nearest_ratio(1536, 1024) == "3:2"
    assert nearest_ratio(1024, 1536) == "2:3"
    assert nearest_ratio(2560, 1080) == "21:9"
    assert nearest_ratio(1080, 1920) == "9:16"
    assert nearest_ratio(1000, 800) == "5:4"
    assert resolution_for((1024, 576), "gpt-image-2") == "1K"
    assert resolution_for((1200, 630), "gpt-image-2") == "2K"
    assert resolution_for((3840, 2160), "gpt-image-2") == "2K"
    assert resolution_for((3840, 2160), "flux-pro") == "4K"
    assert resolution_for(None, "gpt-image-2") == "1K"


def test_task_shapes() -> None:
    bare = parse_task({"id": "t1", "status": "PROCESSING", "progress": 40}, None)
    assert (bare.id, bare.status, bare.progress) == ("t1", "running", 40)
    wrapped = parse_task({"code": 0, "msg": "ok", "data": {
        "task_id": "t2", "status": "succeeded", "result": {"images": [{"url": ["https://x/a"]}]},
        "cost_usd": 0.04}}, None)
    assert wrapped.status == "completed" and wrapped.images == [("url", "https://x/a")]
    assert wrapped.cost_usd == 0.04
    assert find_images({"output": {"b64_json": "QUJD"}}) == [("b64", "QUJD")]
    assert find_images({"data": [{"url": "https://x/b.png"}]}) == [("url", "https://x/b.png")]
    failed = parse_task({"id": "t3", "status": "failed",
                         "error": {"code": "nsfw", "message": "blocked"}}, None)
    assert (failed.status, failed.error_code, failed.error_message) == (
        "failed", "nsfw", "blocked")
    with pytest.raises(PermanentError, match="quota exhausted") as info:
        parse_task({"code": 4003, "msg": "quota exhausted", "data": None}, "req_1")
    assert info.value.code == "4003" and info.value.request_id == "req_1"
    listed = parse_task({"code": 200, "data": [{"id": "t4", "status": "queued"}]}, None)
    assert (listed.id, listed.status) == ("t4", "queued")
    with pytest.raises(RateLimited):
        parse_task({"code": 429, "msg": "slow down", "data": None}, None)
    with pytest.raises(PermanentError, match="neither a task id"):
        parse_task({"status": "queued"}, None)


async def _download(handler: Any, **kwargs: Any) -> bytes:
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        return await download(client, "https://cdn.test/a.png?sig=SECRET", headers={},
                              what="the result of task t1",
                              policy=HostPolicy.for_origin("https://cdn.test/v1"), **kwargs)


def test_download_caps_size_and_checks_type() -> None:
    import asyncio

    image = png_bytes(32, 32)
    ok = asyncio.run(_download(lambda r: httpx.Response(
        200, content=image, headers={"content-type": "application/octet-stream"}),
        max_bytes=10_000))
    assert ok == image  # sniffed as PNG despite the generic content type
    with pytest.raises(PermanentError, match="larger than the cap of 100 bytes") as info:
        asyncio.run(_download(lambda r: httpx.Response(200, content=image), max_bytes=100))
    assert info.value.code == "too_large"
    with pytest.raises(PermanentError, match="not an image") as info:
        asyncio.run(_download(lambda r: httpx.Response(
            200, content=b"{}", headers={"content-type": "application/json"}), max_bytes=100))
    assert "SECRET" not in str(info.value)
    with pytest.raises(PermanentError, match="expired or gone") as info:
        asyncio.run(_download(lambda r: httpx.Response(404, text="nope"), max_bytes=100))
    assert info.value.code == "result_expired"


def test_example_site_builds_through_the_gateway(tmp_path: Path, gw: Emulator, repo_root: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Every asset via the gateway, except the masked edit (the gateway has no mask input)."""
    import shutil

    site = tmp_path / "site"
    shutil.copytree(repo_root / "example-site", site)
    manifest = site / "assetgen.yaml"
    text = manifest.read_text().replace("  route: images ", "  route: gateway ", 1)
    text = text.replace("routes:\n", f"routes:\n  gateway:\n    base_url: {gw.gateway_url}\n"
                        "    api_key_env: GATEWAY_API_KEY\n    provider: example\n"
                        "    poll_intervals_s: [0.05, 0.1]\n", 1)
    masked = text.replace("  - id: hero-dusk\n", "  - id: hero-dusk\n    route: responses\n", 1)
    manifest.write_text(text)
    refused = run_cli("-C", site, "build", "--force")
    assert refused.code == 2 and "no mask input" in refused.err and "hero-dusk" in refused.err
    manifest.write_text(masked)
    monkeypatch.setenv("OPENAI_BASE_URL", gw.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    result = run_cli("-C", site, "build", "--force", "--json")
    assert result.code == 0, result.output
    doc = json.loads(result.out)
    routes = {a["asset_id"]: (a["route"], a["billing"]) for a in doc["assets"]}
    assert routes.pop("hero-dusk") == ("responses", "openai-api")
    assert set(routes.values()) == {("gateway", "provider:example")} and len(routes) == 6
    assert doc["cost_by_billing"]["provider:example"] == 0.0
    card = sidecar(site, "img/social-card.png")
    assert card["billing"] == "provider:example" and "cost_usd" not in card
    assert (card["width"], card["height"]) == (1200, 630)
    assert run_cli("-C", site, "verify").code == 0
