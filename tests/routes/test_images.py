"""The images route at the wire level: httpx.MockTransport, bodies checked against OpenAPI."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from assetgen.errors import ConfigError, PermanentError, RateLimited, TransientError
from assetgen.manifest.load import load_manifest
from assetgen.routes.base import ImageJob, InputImage, RouteContext
from assetgen.routes.images import ImagesRoute, generation_body
from tests.fakes import openapi
from tests.fakes.emulator_images import coerce_form, parse_multipart
from tests.fakes.emulator_openai import _edit_validation_view
from tests.fakes.sites import BASIC_MANIFEST, png_bytes, write_site

ENV = {"OPENAI_API_KEY": "sk-unit-test-key", "OPENAI_BASE_URL": "https://api.test/v1",
       "OPENAI_ORG_ID": "org-1", "OPENAI_PROJECT_ID": "proj-1"}


def _job(tmp_path: Path, **overrides: Any) -> tuple[ImageJob, Any]:
    manifest = load_manifest(write_site(tmp_path, BASIC_MANIFEST) / "assetgen.yaml")
    asset = manifest.assets[0]
    fields = {"asset": asset, "prompt": asset.prompt, "model": asset.model, "size": asset.size,
              "quality": asset.quality, "output_format": "png"}
    fields.update(overrides)
    return ImageJob(**fields), manifest


def _run(manifest: Any, job: ImageJob, handler: Any, environ: dict[str, str] = ENV) -> Any:
    async def go() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            route = ImagesRoute(RouteContext(manifest, client, environ))
            return await route.run(job)

    return asyncio.run(go())


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"x-request-id": "req_unit"}, json={
        "created": 1, "data": [{"b64_json": base64.b64encode(png_bytes(8, 8)).decode()}],
        "usage": {"input_tokens": 5, "output_tokens": 200, "total_tokens": 205,
                  "input_tokens_details": {"text_tokens": 5, "image_tokens": 0}}})


def test_generation_request_matches_the_openapi_schema(tmp_path: Path) -> None:
    job, manifest = _job(tmp_path, background="transparent")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok(request)

    result = _run(manifest, job, handler)
    request = seen[0]
    assert request.url == "https://api.test/v1/images/generations"
    assert request.headers["authorization"] == "Bearer sk-unit-test-key"
    assert request.headers["openai-organization"] == "org-1"
    assert request.headers["openai-project"] == "proj-1"
    body = json.loads(request.content)
    assert openapi.validate("CreateImageRequest", body) == []
    assert body == generation_body(job) and body["background"] == "transparent"
    assert result.request_id == "req_unit" and result.route == "images.generate"
    assert result.cost_basis == "usage" and result.cost_usd == pytest.approx(
        (200 * 30 + 5 * 5) / 1e6)


def test_edit_request_is_multipart_matching_the_schema(tmp_path: Path) -> None:
    data = png_bytes(16, 16)
    image = InputImage(ref="hero", path=tmp_path / "hero.png", data=data, sha256="0",
                       width=16, height=16, asset_id="hero")
    mask = InputImage(ref="mask", path=tmp_path / "m.png", data=data, sha256="1", width=16,
                      height=16)
    job, manifest = _job(tmp_path, inputs=(image, image), mask=mask, fidelity="high",
                         model="gpt-image-1.5")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return _ok(request)

    result = _run(manifest, job, handler)
    request = seen[0]
    assert request.url.path == "/v1/images/edits" and result.route == "images.edit"
    parts = parse_multipart(request.headers["content-type"], request.content)
    assert [f.field for f in parts.files] == ["image[]", "image[]", "mask"]
    props = openapi.load_schemas()["CreateImageEditRequest"]["properties"]
    form = coerce_form(parts.fields, props)
    assert form["input_fidelity"] == "high" and form["n"] == 1
    assert openapi.validate("CreateImageEditRequest",
                            _edit_validation_view(form, parts.files)) == []


@pytest.mark.parametrize(("status", "body", "error", "retryable"), [
    (429, {"error": {"message": "slow", "code": "rate_limit_exceeded"}}, RateLimited, True),
    (503, {"error": {"message": "busy"}}, TransientError, True),
    (400, {"error": {"message": "blocked", "code": "moderation_blocked"}}, PermanentError,
     False),
    (404, {"error": {"message": "no model", "code": "model_not_found"}}, PermanentError, False),
])
def test_http_errors_map_to_our_hierarchy(tmp_path: Path, status: int, body: dict,
                                          error: type, retryable: bool) -> None:
    job, manifest = _job(tmp_path)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers={"x-request-id": "req_e",
                                                          "retry-after": "3"})

    with pytest.raises(error) as info:
        _run(manifest, job, handler)
    assert info.value.retryable is retryable
    assert info.value.status == status and info.value.request_id == "req_e"
    assert info.value.code == body["error"].get("code")
    if retryable:
        assert info.value.retry_after == 3


def test_transport_errors_keep_their_cause(tmp_path: Path) -> None:
    job, manifest = _job(tmp_path)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientError) as info:
        _run(manifest, job, handler)
    assert isinstance(info.value.__cause__, httpx.ConnectError)


def test_bad_base64_is_permanent(tmp_path: Path) -> None:
    job, manifest = _job(tmp_path)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": "%%%"}]})

    with pytest.raises(PermanentError, match="base64"):
        _run(manifest, job, handler)


def test_large_answers_are_parsed_off_the_event_loop_with_the_same_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies over http.OFF_LOOP_BYTES are parsed (`json_bytes`) and decoded in worker threads."""
    import threading

    from assetgen.routes import http, openai_config

    job, manifest = _job(tmp_path)
    big = bytes(range(256)) * 6000  # 1.5 MB: over the threshold once base64-encoded
    threads: list[str] = []
    for module, name in ((http, "json_bytes"), (openai_config, "decode_b64_image")):
        original = getattr(module, name)

        def spy(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            threads.append(threading.current_thread().name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"created": 1, "data": [
            {"b64_json": base64.b64encode(big).decode()}]})

    assert _run(manifest, job, handler).image == big
    assert len(threads) == 2 and "MainThread" not in threads

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": "%" * 2_000_000}]})

    with pytest.raises(PermanentError, match="base64"):
        _run(manifest, job, broken)


def test_missing_key_names_the_variable_and_draft(tmp_path: Path) -> None:
    job, manifest = _job(tmp_path)
    route = ImagesRoute(RouteContext(manifest, None, {}))
    with pytest.raises(ConfigError) as info:
        route.preflight([job.asset])
    assert "OPENAI_API_KEY" in str(info.value) and "--draft" in str(info.value)
