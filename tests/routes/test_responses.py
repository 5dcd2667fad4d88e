"""The `responses` route: the real CLI against the emulator's Responses API, plus wire shapes."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from assetgen.cli.console import Console
from assetgen.cli.progress import ConsoleListener
from assetgen.cli.render import build as render_build
from assetgen.commands import build as build_command
from assetgen.provenance.naming import sidecar_path
from assetgen.routes.base import ImageJob, InputImage
from assetgen.routes.responses import request_body
from tests.conftest import TEST_KEY
from tests.fakes import openapi
from tests.fakes.emulator import Emulator
from tests.fakes.sites import mask_bytes, png_bytes, run_cli, write_site

RESPONSES = "/v1/responses"
SITE = """\
version: 1
output_dir: public
defaults:
  route: responses
  model: gpt-image-2
  quality: low
routes:
  responses:
    model: gpt-5.5
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket on a launch pad"
    size: 1536x1024
  - id: night
    path: img/night.webp
    prompt: "The same scene at night"
    size: 1536x1024
    edit:
      images: [hero]
      mask: masks/sky.png
"""
ONE = """\
version: 1
output_dir: public
defaults:
  route: responses
  quality: low
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket"
"""


def sidecar(site: Path, rel: str) -> dict[str, Any]:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


def test_generate_and_edit_with_mask(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, SITE, {"masks/sky.png": mask_bytes(1536, 1024)})
    result = run_cli("-C", site, "build", "--json")
    assert result.code == 0, result.output
    doc = json.loads(result.out)
    assert {(a["asset_id"], a["route"], a["billing"]) for a in doc["assets"]} == {
        ("hero", "responses", "openai-api"), ("night", "responses", "openai-api")}
    assert set(doc["cost_by_billing"]) == {"openai-api"}

    sent = openai_env.requests_to(RESPONSES)
    assert len(sent) == 2
    first, edit = sent
    assert first.json["model"] == "gpt-5.5"
    assert first.json["tool_choice"] == {"type": "image_generation"}
    assert first.json["tools"][0]["model"] == "gpt-image-2"
    assert first.json["tools"][0]["size"] == "1536x1024"
    assert first.json["tools"][0]["action"] == "generate"
    assert "input_fidelity" not in edit.json["tools"][0]  # gpt-image-2 refuses it
    assert edit.json["tools"][0]["output_format"] == "webp"
    # The emulator decoded the input image (the hero as written) and the mask.
    hero_bytes = (site / "public/img/hero.png").read_bytes()
    fields = {f["field"]: f for f in edit.files}
    assert fields["input[0].image_url"]["sha256"] == hashlib.sha256(hero_bytes).hexdigest()
    assert (fields["input[0].image_url"]["width"], fields["input[0].image_url"]["height"]) \
        == (1536, 1024)
    assert fields["input_image_mask.image_url"]["format"] == "png"

    hero = sidecar(site, "img/hero.png")
    assert hero["route"] == "responses" and hero["billing"] == "openai-api"
    assert hero["model"] == "gpt-image-2" and hero["responses_model"] == "gpt-5.5"
    assert hero["response_id"].startswith("resp_") and hero["request_id"].startswith("req_")
    assert hero["revised_prompt"] == "A rocket on a launch pad (revised)"
    assert hero["usage"]["input_tokens"] > 0
    assert hero["cost_basis"] == "estimate" and hero["cost_usd"] > 0
    assert hero["base_url"] == openai_env.base_url
    night = sidecar(site, "img/night.webp")
    assert night["route"] == "responses" and night["inputs"][0]["asset"] == "hero"
    assert night["mask"]["path"] == "masks/sky.png" and night["width"] == 1536
    text = (site / "public/img/hero.png.provenance.json").read_text()
    assert TEST_KEY not in text
    # Nothing is sent again for fresh assets.
    assert run_cli("-C", site, "build").code == 0
    assert openai_env.count(RESPONSES) == 2


def test_responses_model_is_part_of_the_spec(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, ONE)
    assert run_cli("-C", site, "build").code == 0
    assert sidecar(site, "img/hero.png")["responses_model"] == "gpt-5.5"  # the default
    manifest = site / "assetgen.yaml"
    manifest.write_text(manifest.read_text() + "routes:\n  responses:\n    model: gpt-5\n")
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    assert plan["assets"][0]["state"] == "stale"


def test_image_model_at_top_level_is_a_manifest_error(tmp_path: Path,
                                                      openai_env: Emulator) -> None:
    site = write_site(tmp_path, ONE + "routes:\n  responses:\n    model: gpt-image-2\n")
    result = run_cli("-C", site, "build")
    assert result.code == 2
    assert "image model" in result.err and "image_generation" in result.err
    assert openai_env.requests == []


def test_missing_key_exits_2(tmp_path: Path, emulator: Emulator,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    result = run_cli("-C", write_site(tmp_path, ONE), "build")
    assert result.code == 2 and "OPENAI_API_KEY" in result.err
    assert emulator.requests == []


def test_api_errors_are_reported_with_code(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.inject("moderation")
    result = run_cli("-C", write_site(tmp_path, ONE), "build")
    assert result.code == 1
    assert "responses: HTTP 400 moderation_blocked" in result.out
    assert openai_env.count(RESPONSES) == 1  # permanent: not retried


def test_transient_errors_are_retried(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.inject("503")
    site = write_site(tmp_path, ONE)
    assert run_cli("-C", site, "build").code == 0
    assert openai_env.count(RESPONSES) == 2
    assert sidecar(site, "img/hero.png")["retries"][0]["reason"] == "HTTP 503"


# ------------------------------------------------------------------ answers without an image


def _mock(output: list[dict[str, Any]], **extra: Any) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "resp_x", "object": "response",
                                         "status": "completed", "output": output, **extra},
                              headers={"x-request-id": "req_mock"})
    return httpx.MockTransport(handler)


def _build(site: Path, transport: httpx.MockTransport) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    console = Console(out=out, err=err)
    result = build_command.run(None, site, [], listener=ConsoleListener(console),
                               environ={"OPENAI_API_KEY": TEST_KEY,
                                        "OPENAI_BASE_URL": "https://api.test/v1"},
                               transport=transport)
    render_build.show(console, result)
    return result.exit_code, out.getvalue() + err.getvalue()


def _message(text: str, kind: str = "output_text") -> dict[str, Any]:
    part = {"type": kind, ("refusal" if kind == "refusal" else "text"): text}
    return {"type": "message", "role": "assistant", "content": [part]}


def test_text_only_answer_fails_quoting_the_model(tmp_path: Path) -> None:
    site = write_site(tmp_path, ONE)
    long_text = "I would rather describe it in words. " * 20
    code, output = _build(site, _mock([_message(long_text)]))
    assert code == 1
    assert "no_image_call" in output and "without calling the image_generation tool" in output
    assert "I would rather describe it in words." in output and "…" in output
    assert "(request req_mock)" in output
    assert not (site / "public/img/hero.png").exists()


def test_refusal_and_failed_call_are_reported(tmp_path: Path) -> None:
    site = write_site(tmp_path, ONE)
    code, output = _build(site, _mock([_message("I can't help with that.", "refusal")]))
    assert code == 1 and "refusal: I can't help with that." in output
    failed = {"type": "image_generation_call", "id": "ig_1", "status": "failed",
              "result": None}
    code, output = _build(site, _mock([failed]))
    assert code == 1 and "image_call_failed" in output and "`failed`" in output
    code, output = _build(site, _mock([], status="incomplete",
                                      incomplete_details={"reason": "content_filter"}))
    assert code == 1 and "incomplete (content_filter)" in output


# ------------------------------------------------------------------ request shape


def _input(ref: str, data: bytes, w: int, h: int) -> InputImage:
    return InputImage(ref=ref, path=Path(f"/x/{ref}.png"), data=data,
                      sha256=hashlib.sha256(data).hexdigest(), width=w, height=h,
                      asset_id=ref)


def _job(**kwargs: Any) -> ImageJob:
    defaults: dict[str, Any] = dict(asset=None, prompt="a fox", model="gpt-image-2",
                                    size="1536x1024", quality="high", output_format="webp")
    return ImageJob(**{**defaults, **kwargs})


def test_request_bodies_validate_against_the_openapi_schemas() -> None:
    image = png_bytes(64, 48)
    mask = mask_bytes(64, 48)
    jobs = [
        _job(),
        _job(size="auto", quality="auto", background="transparent", output_format="png"),
        _job(inputs=(_input("hero", image, 64, 48), _input("logo", image, 64, 48)),
             mask=_input("mask", mask, 64, 48), fidelity="high", model="gpt-image-1.5"),
        _job(inputs=(_input("hero", image, 64, 48),), fidelity="high"),
    ]
    for job in jobs:
        body = request_body(job, "gpt-5.5")
        assert openapi.validate("CreateResponse", body) == []
        assert openapi.validate("ImageGenTool", body["tools"][0]) == []
        assert body["tool_choice"] == {"type": "image_generation"}
    edit = request_body(jobs[2], "gpt-5.5")
    content = edit["input"][0]["content"]
    assert [c["type"] for c in content] == ["input_text", "input_image", "input_image"]
    assert content[1]["image_url"] == "data:image/png;base64," + base64.b64encode(image).decode()
    tool = edit["tools"][0]
    assert tool["action"] == "edit" and tool["input_fidelity"] == "high"
    assert tool["input_image_mask"]["image_url"].startswith("data:image/png;base64,")
    assert "input_fidelity" not in request_body(jobs[0], "gpt-5.5")["tools"][0]
    # gpt-image-2 answers 400 invalid_input_fidelity_model: never sent, whatever the job says.
    assert "input_fidelity" not in request_body(jobs[3], "gpt-5.5")["tools"][0]


def test_example_site_builds_through_responses(tmp_path: Path, openai_env: Emulator,
                                               repo_root: Path) -> None:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(repo_root / "example-site", site)
    manifest = site / "assetgen.yaml"
    text = manifest.read_text()
    assert "  route: images " in text
    manifest.write_text(text.replace("  route: images ", "  route: responses ", 1))
    result = run_cli("-C", site, "build", "--force", "--json")
    assert result.code == 0, result.output
    doc = json.loads(result.out)
    assert len(doc["assets"]) == 7
    assert {(a["route"], a["billing"]) for a in doc["assets"]} == {("responses", "openai-api")}
    dusk = sidecar(site, "img/hero-dusk.webp")
    assert dusk["route"] == "responses" and dusk["mask"]["path"] == "masks/sky.png"
    assert run_cli("-C", site, "verify").code == 0
