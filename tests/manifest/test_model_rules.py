"""The model table's rules: manifest errors with lines, request shapes like the official SDK,
the emulator refusing what the real API refuses, and the product never sending it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from assetgen.errors import ManifestError, PermanentError
from assetgen.images import models as image_models
from assetgen.manifest.load import load_manifest
from assetgen.routes.base import ImageJob, InputImage
from assetgen.routes.images import edit_fields, edit_files
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.emulator_images import parse_multipart
from tests.fakes.sites import mask_bytes, png_bytes, run_cli, write_site


def encoded(width: int, height: int, fmt: str) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, fmt)
    return buffer.getvalue()


REFUSAL = "The model 'gpt-image-2' does not support the 'input_fidelity' parameter."


def _load(tmp_path: Path, text: str, files: dict[str, bytes] | None = None) -> Any:
    site = write_site(tmp_path, textwrap.dedent(text), files or {})
    return load_manifest(site / "assetgen.yaml")


def _problems(tmp_path: Path, text: str, files: dict[str, bytes] | None = None) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        _load(tmp_path, text, files)
    return [str(p) for p in caught.value.problems]


# ------------------------------------------------------------------ manifest


def test_fidelity_on_gpt_image_2_is_a_manifest_error_at_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """\
        version: 1
        assets:
          - {id: hero, path: hero.png, prompt: a hill}
          - id: night
            path: night.png
            prompt: at night
            edit:
              images: [hero]
              fidelity: high
        """)
    assert len(problems) == 1
    assert ":9: `fidelity: high` in the edit of asset `night`: gpt-image-2 takes no " \
        "input_fidelity" in problems[0]
    assert "invalid_input_fidelity_model" in problems[0]


def test_fidelity_is_accepted_where_the_model_takes_it(tmp_path: Path) -> None:
    manifest = _load(tmp_path, """\
        version: 1
        assets:
          - {id: hero, path: hero.png, prompt: a hill}
          - {id: night, path: night.png, prompt: x, model: gpt-image-1.5,
             edit: {images: [hero], fidelity: high}}
          - {id: mini, path: mini.png, prompt: x, model: gpt-image-1-mini,
             edit: {images: [hero], fidelity: low}}
        """)
    assert [a.fidelity for a in manifest.assets] == [None, "high", "low"]
    problems = _problems(tmp_path / "b", """\
        version: 1
        assets:
          - {id: hero, path: hero.png, prompt: a hill}
          - id: mini
            path: mini.png
            prompt: x
            model: gpt-image-1-mini
            edit: {images: [hero], fidelity: high}
        """)
    assert len(problems) == 1 and ":8: " in problems[0] and "takes only low" in problems[0]


def test_a_size_the_model_does_not_make_is_refused_at_its_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, """\
        version: 1
        defaults:
          size: 1536x864                # fine for gpt-image-2
        assets:
          - {id: a, path: a.png, prompt: x}
          - id: b
            path: b.png
            prompt: x
            model: gpt-image-1.5
          - id: c
            path: c.png
            prompt: x
            model: gpt-image-1
            size: 1536x864
        """)
    assert len(problems) == 2
    assert ":9: asset `b` inherits size `1536x864`, which gpt-image-1.5 does not make" \
        in problems[0]
    assert ":14: size `1536x864` in asset `c` is not a size gpt-image-1 makes" in problems[1]
    assert "1024x1024, 1536x1024, 1024x1536 or auto" in problems[1]


def test_exact_sizes_on_fixed_models_generate_at_a_standard_size(tmp_path: Path) -> None:
    manifest = _load(tmp_path, """\
        version: 1
        assets:
          - {id: a, path: a.png, prompt: x, model: gpt-image-1.5, width: 1200, height: 630}
          - {id: b, path: b.png, prompt: x, model: gpt-image-1.5, width: 600, height: 900}
          - {id: c, path: c.png, prompt: x, width: 1200, height: 630}
        """)
    a, b, c = manifest.assets
    assert (a.size, b.size) == ("1536x1024", "1024x1536")
    assert c.size not in image_models.STANDARD_SIZES  # gpt-image-2 fits the shape itself


def test_experimental_sizes_are_accepted_with_a_warning(tmp_path: Path) -> None:
    site = write_site(tmp_path, textwrap.dedent("""\
        version: 1
        assets:
          - {id: big, path: big.png, prompt: x, size: 3840x2160}
          - {id: edge, path: edge.png, prompt: x, size: 2560x1440}
        """), {})
    result = run_cli("-C", site, "plan")
    assert result.code == 0, result.output
    assert "assetgen.yaml:3: asset `big` generates at 3840x2160 (8,294,400 pixels)" in result.err
    assert "experimental" in result.err and "`edge`" not in result.err
    assert "an estimate" in result.out


# ------------------------------------------------------------------ request shapes


def _input(name: str, data: bytes, fmt: str = "") -> InputImage:
    return InputImage(ref=name, path=Path(f"/x/{name}"), data=data, sha256="0", width=64,
                      height=48, format=fmt)


def _job(inputs: tuple[InputImage, ...], **kwargs: Any) -> ImageJob:
    fields: dict[str, Any] = dict(asset=None, prompt="p", model="gpt-image-2",
                                  size="1024x1024", quality="low", output_format="webp",
                                  inputs=inputs)
    return ImageJob(**{**fields, **kwargs})


def test_fields_and_files_match_what_the_sdk_sends() -> None:
    openai = pytest.importorskip("openai")
    png, jpeg = png_bytes(64, 48), encoded(64, 48, "JPEG")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"created": 1, "data": [{"b64_json": "aGk="}]})

    sdk = openai.OpenAI(api_key="sk-test", base_url="http://sdk.test/v1",
                        http_client=httpx.Client(transport=httpx.MockTransport(handler)))
    sdk.images.edit(model="gpt-image-2", image=("a.png", png, "image/png"), prompt="p",
                    size="1024x1024", quality="low", output_format="webp", n=1)
    sdk.images.edit(model="gpt-image-1.5", prompt="p", input_fidelity="high",
                    image=[("a.png", png, "image/png"), ("b.jpg", jpeg, "image/jpeg")])

    def parts(request: httpx.Request) -> tuple[set[str], list[tuple[str, str | None]]]:
        form = parse_multipart(request.headers["content-type"], request.read())
        return set(form.fields), [(f.field, f.content_type) for f in form.files]

    one = _job((_input("a.png", png, "png"),), fidelity="high")
    two = _job((_input("a.png", png, "png"), _input("b.jpg", jpeg, "jpeg")),
               model="gpt-image-1.5", fidelity="high")
    for request, job in zip(seen, (one, two), strict=True):
        sdk_fields, sdk_files = parts(request)
        ours = httpx.Request("POST", "http://ours.test/v1/images/edits",
                             data=edit_fields(job), files=edit_files(job))
        our_fields, our_files = parts(ours)
        assert our_files == sdk_files  # `image` for one input, `image[]` for several
        assert sdk_fields <= our_fields  # we also send quality, size, n, output_format
        assert ("input_fidelity" in our_fields) == ("input_fidelity" in sdk_fields)


def test_inputs_are_labelled_by_content_and_converted_when_the_api_cannot_read_them() -> None:
    jpeg_named_png = _input("photo.png", encoded(64, 48, "JPEG"), "jpeg")
    gif = _input("anim.gif", encoded(64, 48, "GIF"), "gif")
    files = edit_files(_job((jpeg_named_png, gif)))
    assert [(f[0], f[1][0], f[1][2]) for f in files] == [
        ("image[]", "photo.png", "image/jpeg"), ("image[]", "anim.png", "image/png")]
    assert files[1][1][1].startswith(b"\x89PNG")


def test_size_limits_are_checked_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_models, "MAX_INPUT_BYTES", 100)
    big = _input("big.png", png_bytes(64, 48), "png")
    with pytest.raises(PermanentError, match=r"edit input big\.png is .* less than"):
        edit_files(_job((big,)))
    monkeypatch.setattr(image_models, "MAX_INPUT_BYTES", 50 * 1024 * 1024)
    monkeypatch.setattr(image_models, "MAX_MASK_BYTES", 100)
    small = _input("a.png", png_bytes(64, 48), "png")
    mask = _input("m.png", mask_bytes(64, 48), "png")
    with pytest.raises(PermanentError, match=r"mask m\.png"):
        edit_files(_job((small,), mask=mask))
    not_png = _input("m.png", encoded(64, 48, "JPEG"), "jpeg")
    with pytest.raises(PermanentError, match="not a PNG"):
        edit_files(_job((small,), mask=not_png))


# ------------------------------------------------------------------ the emulator


def test_emulator_refuses_input_fidelity_for_gpt_image_2_on_both_surfaces() -> None:
    auth = {"Authorization": f"Bearer {TEST_KEY}"}
    with Emulator(api_key=TEST_KEY) as emu, \
            httpx.Client(base_url=emu.base_url, headers=auth, timeout=10) as client:
        edit = client.post("/images/edits", files=[("image", ("a.png", png_bytes(64, 48),
                                                               "image/png"))],
                           data={"model": "gpt-image-2", "prompt": "p",
                                 "input_fidelity": "high"})
        tool = {"type": "image_generation", "model": "gpt-image-2", "input_fidelity": "low"}
        resp = client.post("/responses", json={
            "model": "gpt-5.5", "input": "draw", "tools": [tool],
            "tool_choice": {"type": "image_generation"}})
        fine = client.post("/images/edits", files=[("image", ("a.png", png_bytes(64, 48),
                                                               "image/png"))],
                           data={"model": "gpt-image-1.5", "prompt": "p",
                                 "input_fidelity": "high"})
    for answer, param in ((edit, "input_fidelity"), (resp, "tools")):
        assert answer.status_code == 400, answer.text
        error = answer.json()["error"]
        assert error["code"] == "invalid_input_fidelity_model"
        assert error["message"] == REFUSAL and error["param"] == param
    assert fine.status_code == 200, fine.text


EDIT_SITE = """\
version: 1
defaults: {quality: low}
assets:
  - {id: hero, path: hero.png, prompt: a hill, size: 1024x1024}
  - {id: night, path: night.png, prompt: at night, size: 1024x1024,
     edit: {images: [hero]}}
"""


@pytest.mark.parametrize("route", ["images", "responses"])
def test_the_suite_fails_if_the_product_sends_input_fidelity_again(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch,
        route: str) -> None:
    site = write_site(tmp_path, EDIT_SITE.replace("quality: low}",
                                                  f"quality: low, route: {route}}}"), {})
    # The regression: the product forgetting the table and sending a fidelity anyway.
    monkeypatch.setattr(image_models, "takes_fidelity", lambda model, fidelity: True)
    monkeypatch.setattr("assetgen.build.engine.Engine.job_for", _with_fidelity(monkeypatch))
    result = run_cli("-C", site, "build")
    assert result.code == 1
    assert "invalid_input_fidelity_model" in result.output


def _with_fidelity(monkeypatch: pytest.MonkeyPatch) -> Any:

    from assetgen.build.engine import Engine

    original = Engine.job_for

    def job_for(self: Any, asset: Any, route: str) -> ImageJob:
        job = original(self, asset, route)
        return job._replace(fidelity="high") if job.is_edit else job

    return job_for
