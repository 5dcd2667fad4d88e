"""Tests of the OpenAI API emulator itself (tests/fakes)."""

from __future__ import annotations

import base64
import binascii
import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from assetgen.images import cost
from tests.fakes import openapi
from tests.fakes.emulator import Emulator

KEY = "sk-test-emulator"
GW_KEY = "gw-test-key"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as e:
        yield e
        assert e.schema_errors == []


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=emu.base_url, headers=auth, timeout=10) as c:
        yield c


@pytest.fixture
def gw(emu: Emulator) -> Iterator[httpx.Client]:
    auth = {"Authorization": f"Bearer {GW_KEY}"}
    with httpx.Client(base_url=emu.gateway_url, headers=auth, timeout=10) as c:
        yield c


def gen(client: httpx.Client, prompt: str = "a red rocket", **extra: Any) -> httpx.Response:
    body = {"model": "gpt-image-2", "prompt": prompt, "size": "256x256", **extra}
    return client.post("/images/generations", json=body)


def decode(b64: str) -> Image.Image:
    img = Image.open(io.BytesIO(base64.b64decode(b64, validate=True)))
    img.load()
    return img


def png_bytes(size: tuple[int, int], mode: str = "RGB", fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    colour: Any = (0, 0, 0, 0) if mode == "RGBA" else (10, 20, 30)
    Image.new(mode, size, colour).save(out, fmt)
    return out.getvalue()


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


# ------------------------------------------------------------------ openapi


def test_openapi_validation_is_strict_and_cached() -> None:
    ok = {
        "model": "gpt-image-2",
        "prompt": "x",
        "size": "1536x864",
        "quality": "high",
        "output_format": "webp",
        "background": "auto",
        "n": 1,
        "moderation": "low",
        "output_compression": 80,
        "extra_key": "allowed: no additionalProperties:false",
    }
    assert openapi.validate("CreateImageRequest", ok) == []
    # nullable: true (OpenAPI 3.0 style) is honoured
    assert openapi.validate("CreateImageRequest", {"prompt": "x", "quality": None}) == []
    bad = openapi.validate("CreateImageRequest", {"quality": "ultra", "n": "one"})
    assert any("'prompt' is a required property" in e for e in bad)
    assert any("ultra" in e for e in bad) and any("'one'" in e for e in bad)
    assert openapi.validate("CreateImageEditRequest", {"prompt": "x"})  # image is required
    assert openapi.validate("ImageGenTool", {"type": "image_generation", "quality": "x"})
    started = time.perf_counter()
    openapi.load_schemas(force=True)
    assert openapi.last_load["source"] == "cache"
    assert time.perf_counter() - started < 0.5
    assert openapi.cache_path(openapi.spec_path()).is_file()


# ------------------------------------------------------------------ generations


def test_generation_default_png(emu: Emulator, client: httpx.Client) -> None:
    r = client.post("/images/generations", json={"model": "gpt-image-2", "prompt": "a cat"})
    assert r.status_code == 200
    body = r.json()
    assert openapi.validate("ImagesResponse", body) == []
    assert decode(body["data"][0]["b64_json"]).size == (1024, 1024)
    assert (body["size"], body["quality"], body["output_format"]) == ("1024x1024", "medium", "png")
    usage = body["usage"]
    assert usage["output_tokens_details"]["image_tokens"] == 1756  # the calculator's figure
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert r.headers["x-request-id"].startswith("req_")
    rec = emu.last("/v1/images/generations")
    assert rec is not None and rec.status == 200 and rec.prompt == "a cat"
    assert rec.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in json.dumps(rec.redacted())


@pytest.mark.parametrize(
    ("extra", "fmt", "size", "mode"),
    [
        (
            {"output_format": "webp", "size": "1536x864", "quality": "low"},
            "WEBP",
            (1536, 864),
            "RGB",
        ),
        (
            {"output_format": "jpeg", "size": "256x512", "output_compression": 50},
            "JPEG",
            (256, 512),
            "RGB",
        ),
        ({"background": "transparent"}, "PNG", (256, 256), "RGBA"),
    ],
)
def test_generation_formats(
    client: httpx.Client, extra: dict[str, Any], fmt: str, size: tuple[int, int], mode: str
) -> None:
    r = gen(client, **extra)
    assert r.status_code == 200, r.text
    img = decode(r.json()["data"][0]["b64_json"])
    assert (img.format, img.size, img.mode) == (fmt, size, mode)
    assert "size" not in r.json()  # only the schema's enum sizes are echoed


def test_generation_n_and_token_scaling(client: httpx.Client) -> None:
    r = gen(client, n=2, quality="low", size="1536x864")
    data = r.json()["data"]
    assert len(data) == 2 and data[0]["b64_json"] != data[1]["b64_json"]
    # Per image as OpenAI's calculator counts it (not scaled by area), times n.
    assert r.json()["usage"]["output_tokens"] == 2 * cost.output_tokens("1536x864", "low")


@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-image-2", "prompt": "x", "quality": "ultra"},
        {"model": "gpt-image-2", "prompt": "x", "n": "one"},
        {"model": "gpt-image-2", "size": "1024x1024"},
    ],
)
def test_schema_mismatch(emu: Emulator, client: httpx.Client, body: dict[str, Any]) -> None:
    r = client.post("/images/generations", json=body)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "emulator_schema_mismatch"
    assert len(emu.schema_errors) == 1 and "CreateImageRequest" in emu.schema_errors[0]
    emu.schema_errors.clear()


@pytest.mark.parametrize(
    ("extra", "status", "code", "param"),
    [
        ({"size": "1000x1000"}, 400, "invalid_value", "size"),
        ({"size": "4096x1024"}, 400, "invalid_value", "size"),
        (
            {"background": "transparent", "output_format": "jpeg"},
            400,
            "invalid_value",
            "background",
        ),
        ({"response_format": "b64_json"}, 400, "invalid_value", "response_format"),
        ({"model": "gpt-5.5"}, 400, "invalid_value", "model"),
        ({"model": "gpt-image-1", "size": "1536x864"}, 400, "invalid_value", "size"),
        ({"model": "dall-e-9"}, 404, "model_not_found", "model"),
    ],
)
def test_semantic_errors(
    client: httpx.Client, extra: dict[str, Any], status: int, code: str, param: str
) -> None:
    r = gen(client, **extra)
    assert r.status_code == status
    assert (r.json()["error"]["code"], r.json()["error"]["param"]) == (code, param)


def test_forbidden_model_and_models_endpoint() -> None:
    with (
        Emulator(forbidden_models={"gpt-image-2"}) as emu,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {KEY}"}) as c,
    ):
        r = gen(c)
        assert r.status_code == 403 and "must be verified" in r.json()["error"]["message"]
        assert c.get("/models/gpt-image-2").status_code == 403
        assert c.get("/models/gpt-image-1").json()["object"] == "model"
        missing = c.get("/models/nope")
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == (
            "The model `nope` does not exist or you do not have access to it."
        )
        assert "gpt-image-2" in {m["id"] for m in c.get("/models").json()["data"]}
        emu.forbidden_models_visible = True  # listed/visible, yet generation is refused
        assert c.get("/models/gpt-image-2").status_code == 200


def test_auth(emu: Emulator, client: httpx.Client) -> None:
    r = client.get("/models", headers={"Authorization": "Bearer sk-wrong-key-1234"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert "sk-wrong-key-1234" not in r.text and "1234" in r.text
    assert httpx.get(f"{emu.base_url}/models").status_code == 401
    assert httpx.get(f"{emu.gateway_url}/models").status_code == 401


# ------------------------------------------------------------------ edits


def test_edit_multipart_with_mask(emu: Emulator, client: httpx.Client) -> None:
    files = [
        ("image[]", ("a.png", png_bytes((512, 384)), "image/png")),
        ("image[]", ("b.jpg", png_bytes((300, 200), fmt="JPEG"), "image/jpeg")),
        ("mask", ("mask.png", png_bytes((512, 384), "RGBA"), "image/png")),
    ]
    data = {
        "model": "gpt-image-1.5",
        "prompt": "add a hat",
        "n": "1",
        "quality": "low",
        "input_fidelity": "high",
        "output_format": "png",
        "stream": "false",
        "partial_images": "0",
    }
    r = client.post("/images/edits", data=data, files=files)
    assert r.status_code == 200, r.text
    body = r.json()
    assert decode(body["data"][0]["b64_json"]).size == (512, 384)
    assert body["usage"]["input_tokens_details"]["image_tokens"] > 0
    rec = emu.last("/v1/images/edits")
    assert rec is not None and rec.prompt == "add a hat"
    assert (rec.form["n"], rec.form["stream"], rec.form["partial_images"]) == (1, False, 0)
    assert [(f["field"], f["width"], f["height"]) for f in rec.files] == [
        ("image[]", 512, 384),
        ("image[]", 300, 200),
        ("mask", 512, 384),
    ]
    assert all(len(f["sha256"]) == 64 for f in rec.files)
    single = [("image", ("a.png", png_bytes((64, 48)), "image/png"))]  # plain `image` works too
    r = client.post("/images/edits", data={**data, "size": "1024x1536"}, files=single)
    assert decode(r.json()["data"][0]["b64_json"]).size == (1024, 1536)


@pytest.mark.parametrize(
    ("files", "param"),
    [
        ([("image[]", ("a.png", b"not an image", "image/png"))], "image"),
        (
            [
                ("image[]", ("a.png", png_bytes((64, 64)), "image/png")),
                ("mask", ("m.png", png_bytes((64, 64)), "image/png")),
            ],
            "mask",
        ),  # no alpha
        (
            [
                ("image[]", ("a.png", png_bytes((64, 64)), "image/png")),
                ("mask", ("m.png", png_bytes((32, 64), "RGBA"), "image/png")),
            ],
            "mask",
        ),  # size
    ],
)
def test_edit_rejects_bad_inputs(client: httpx.Client, files: list[Any], param: str) -> None:
    r = client.post("/images/edits", data={"model": "gpt-image-2", "prompt": "x"}, files=files)
    assert r.status_code == 400 and r.json()["error"]["param"] == param


def test_edit_without_image_is_schema_mismatch(emu: Emulator, client: httpx.Client) -> None:
    files = [("mask", ("m.png", png_bytes((64, 64), "RGBA"), "image/png"))]
    r = client.post("/images/edits", data={"model": "gpt-image-2", "prompt": "x"}, files=files)
    assert r.json()["error"]["code"] == "emulator_schema_mismatch"
    assert "'image' is a required property" in emu.schema_errors[0]
    emu.schema_errors.clear()


# ------------------------------------------------------------------ responses


def test_responses_image_generation_call(emu: Emulator, client: httpx.Client) -> None:
    src = png_bytes((320, 240))
    body = {
        "model": "gpt-5.5",
        "input": [
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "make it blue"},
                    {"type": "input_image", "image_url": data_url(src), "detail": "auto"},
                ],
            }
        ],
        "tools": [
            {
                "type": "image_generation",
                "model": "gpt-image-2",
                "quality": "low",
                "input_image_mask": {"image_url": data_url(png_bytes((320, 240), "RGBA"))},
            }
        ],
    }
    r = client.post("/responses", json=body)
    assert r.status_code == 200, r.text
    out = r.json()["output"]
    call = out[0]
    assert call["type"] == "image_generation_call" and call["status"] == "completed"
    assert openapi.validate("ImageGenToolCall", call) == []
    assert decode(call["result"]).size == (320, 240)
    assert call["revised_prompt"] == "make it blue (revised)"
    assert out[1]["type"] == "message" and r.json()["model"] == "gpt-5.5"
    rec = emu.last("/v1/responses")
    assert rec is not None and [(f["width"], f["height"]) for f in rec.files] == [(320, 240)] * 2


def test_responses_string_input(client: httpx.Client) -> None:
    body = {
        "model": "gpt-5.5",
        "input": "a fox",
        "tools": [{"type": "image_generation", "model": "gpt-image-2", "size": "1536x1024"}],
    }
    call = client.post("/responses", json=body).json()["output"][0]
    assert decode(call["result"]).size == (1536, 1024)


def test_responses_refuses_image_model(client: httpx.Client) -> None:
    body = {"model": "gpt-image-2", "input": "a fox", "tools": [{"type": "image_generation"}]}
    r = client.post("/responses", json=body)
    assert r.status_code == 400
    err = r.json()["error"]
    assert "Responses API" in err["message"] and "image_generation" in err["message"]
    assert err["param"] == "model"


# ------------------------------------------------------------------ rate limit and faults


def test_rate_limit() -> None:
    with (
        Emulator(rate_limit_per_minute=2) as emu,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {KEY}"}) as c,
    ):
        assert [gen(c).status_code for _ in range(2)] == [200, 200]
        r = gen(c)
        assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limit_exceeded"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert c.get("/models").status_code == 200  # only image requests are limited


@pytest.mark.parametrize(
    ("kind", "status", "code", "content_type"),
    [
        ("429", 429, "rate_limit_exceeded", "application/json"),
        ("500", 500, None, "application/json"),
        ("502", 502, None, "text/html"),
        ("503", 503, None, "application/json"),
        ("504", 504, None, "text/html"),
        ("moderation", 400, "moderation_blocked", "application/json"),
        ("401", 401, "invalid_api_key", "application/json"),
        ("403", 403, "organization_verification_required", "application/json"),
        ("model_not_found", 404, "model_not_found", "application/json"),
    ],
)
def test_status_faults(
    emu: Emulator, client: httpx.Client, kind: str, status: int, code: str | None, content_type: str
) -> None:
    emu.inject(kind)
    r = gen(client)
    assert r.status_code == status and r.headers["content-type"].startswith(content_type)
    assert r.headers["x-request-id"].startswith("req_")
    if content_type == "application/json":
        assert r.json()["error"]["code"] == code
    if kind == "moderation":
        assert r.json()["error"]["type"] == "image_generation_user_error"
    assert "retry-after" not in r.headers
    assert gen(client).status_code == 200  # consumed


def test_429_retry_after_and_prompt_targeting(emu: Emulator, client: httpx.Client) -> None:
    emu.inject("429", times=2, prompt_contains="rocket", retry_after=2)
    assert gen(client, "a cat").status_code == 200
    r = gen(client, "a rocket")
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    assert gen(client, "big rocket").status_code == 429
    assert gen(client, "a rocket").status_code == 200
    assert emu.count("/v1/images/generations") == 4
    assert emu.count("/v1/images/generations", prompt_contains="rocket") == 3
    assert emu.pending_faults == []


@pytest.mark.parametrize("kind", ["drop", "reset_mid_body"])
def test_connection_faults(emu: Emulator, client: httpx.Client, kind: str) -> None:
    emu.inject(kind)
    with pytest.raises(httpx.TransportError):
        gen(client)
    assert gen(client).status_code == 200


def test_payload_faults(emu: Emulator, client: httpx.Client) -> None:
    emu.inject("truncated_json")
    r = gen(client)
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    emu.inject("bad_base64")
    bad = gen(client).json()["data"][0]["b64_json"]
    for strict in (True, False):
        with pytest.raises(binascii.Error):
            base64.b64decode(bad, validate=strict)
    emu.inject("not_image")
    raw = base64.b64decode(gen(client).json()["data"][0]["b64_json"], validate=True)
    with pytest.raises(OSError):
        Image.open(io.BytesIO(raw))
    emu.inject("wrong_size")
    assert decode(gen(client, size="512x512").json()["data"][0]["b64_json"]).size != (512, 512)


def test_hang_times_out_and_close_is_prompt() -> None:
    emu = Emulator(hang_s=30).start()
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=emu.base_url, headers=auth, timeout=0.3) as c:
        emu.inject("hang")
        with pytest.raises(httpx.ReadTimeout):
            gen(c)
    emu.inject("hang")
    errors: list[BaseException] = []

    def blocked() -> None:
        try:
            httpx.post(
                f"{emu.base_url}/images/generations",
                headers=auth,
                timeout=20,
                json={"model": "gpt-image-2", "prompt": "x"},
            )
        except httpx.HTTPError as exc:
            errors.append(exc)

    t = threading.Thread(target=blocked)
    t.start()
    time.sleep(0.2)
    started = time.perf_counter()
    emu.close()
    t.join(5)
    assert time.perf_counter() - started < 2 and not t.is_alive() and errors


def test_body_limit(client: httpx.Client, emu: Emulator) -> None:
    emu.max_body_bytes = 100
    r = client.post("/images/generations", json={"prompt": "x" * 200})
    assert r.status_code == 413


# ------------------------------------------------------------------ gateway


def wait_task(gw: httpx.Client, task_id: str, wrapped: bool = False) -> list[dict[str, Any]]:
    seen = []
    for _ in range(200):
        body = gw.get(f"/tasks/{task_id}").json()
        task = body["data"] if wrapped else body
        seen.append(task)
        if task["status"] not in ("queued", "in_progress"):
            return seen
        time.sleep(0.02)
    return seen


@pytest.mark.parametrize("wrapped", [False, True])
def test_gateway_submit_poll_download(emu: Emulator, gw: httpx.Client, wrapped: bool) -> None:
    emu.gateway_wrap = wrapped
    r = gw.post(
        "/images/generations",
        json={
            "model": "gpt-image-2",
            "prompt": "a boat",
            "size": "16:9",
            "resolution": "1K",
            "reference_images": ["https://x.test/a.png"],
        },
    )
    assert r.status_code == 200
    sub = r.json()["data"] if wrapped else r.json()
    if wrapped:
        assert (r.json()["code"], r.json()["msg"]) == (0, "ok")
    assert sub["status"] == "queued" and sub["id"].startswith("task_")
    seen = wait_task(gw, sub["id"], wrapped)
    assert seen[-1]["status"] == "completed"
    assert any(t["status"] == "in_progress" and "progress" in t for t in seen)
    url = seen[-1]["result"]["images"][0]["url"]
    img = httpx.get(url)
    assert img.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(img.content)).size == (1024, 576)


def test_gateway_shapes_and_expiry(emu: Emulator, gw: httpx.Client) -> None:
    emu.gateway_task_s = 0.0
    emu.gateway_url_ttl_s = 0.2
    emu.gateway_result_shape = "url_list"
    sub = gw.post(
        "/images/generations",
        json={"model": "gpt-image-2", "prompt": "p", "size": "3:2", "resolution": "2K"},
    ).json()
    url = gw.get(f"/tasks/{sub['id']}").json()["result"]["images"][0]["url"][0]
    assert Image.open(io.BytesIO(httpx.get(url).content)).size == (2048, 1360)
    time.sleep(0.3)
    assert httpx.get(url).status_code == 403
    emu.gateway_result_shape = "b64"
    sub = gw.post("/images/generations", json={"model": "gpt-image-2", "prompt": "p"}).json()
    b64 = gw.get(f"/tasks/{sub['id']}").json()["result"]["images"][0]["b64_json"]
    assert decode(b64).size == (1024, 1024)
    assert gw.get("/tasks/task_999999").status_code == 404
    assert {"gpt-image-2"} <= {m["id"] for m in gw.get("/models").json()["data"]}


@pytest.mark.parametrize(
    "extra",
    [
        {"size": "1024x1024"},
        {"resolution": "8K"},
        {"reference_images": ["data:image/png;x"]},
        {"model": "nope"},
    ],
)
def test_gateway_rejects(gw: httpx.Client, extra: dict[str, Any]) -> None:
    body = {"model": "gpt-image-2", "prompt": "p", "size": "1:1", "resolution": "1K", **extra}
    r = gw.post("/images/generations", json=body)
    assert r.status_code == 400 and r.json()["code"] == 400 and r.json()["msg"]


@pytest.mark.parametrize(
    ("kind", "status"),
    [("task_failed", "failed"), ("task_cancelled", "cancelled"), ("task_stuck", "in_progress")],
)
def test_gateway_task_faults(emu: Emulator, gw: httpx.Client, kind: str, status: str) -> None:
    emu.gateway_task_s = 0.05
    emu.inject(kind, prompt_contains="doomed")
    sub = gw.post("/images/generations", json={"model": "gpt-image-2", "prompt": "doomed"})
    time.sleep(0.1)
    task = gw.get(f"/tasks/{sub.json()['id']}").json()
    assert task["status"] == status
    if status != "in_progress":
        assert task["error"]["code"] and task["error"]["message"]


def test_gateway_not_image_poll_fault_and_status_names(emu: Emulator, gw: httpx.Client) -> None:
    emu.gateway_task_s = 0.0
    emu.gateway_statuses.update(queued="pending", in_progress="processing")
    emu.inject("not_image")
    sub = gw.post("/images/generations", json={"model": "gpt-image-2", "prompt": "p"}).json()
    assert sub["status"] == "pending"
    emu.inject("500", path_contains="/tasks/")
    assert gw.get(f"/tasks/{sub['id']}").status_code == 500
    url = gw.get(f"/tasks/{sub['id']}").json()["result"]["images"][0]["url"]
    assert httpx.get(url).headers["content-type"].startswith("text/html")


# ------------------------------------------------------------------ CLI


def test_cli_serves() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "tests/fakes/emulator.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        base = line.partition("=")[2]
        assert base.startswith("http://127.0.0.1:")
        r = httpx.get(f"{base}/models", headers={"Authorization": f"Bearer {KEY}"})
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(5)
