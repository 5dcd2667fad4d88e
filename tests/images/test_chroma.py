"""Transparency: `transparent: true` asks the API, `transparent: chroma` keys a flat colour
out locally (soft edge, despill); a transparent jpeg is a manifest error."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFilter

from assetgen.build.answers import require_alpha
from assetgen.build.store import derive
from assetgen.errors import ManifestError, PermanentError
from assetgen.images import chroma
from assetgen.images import codec as imaging
from assetgen.manifest.load import load_manifest
from assetgen.provenance.naming import sidecar_path
from assetgen.routes.base import RouteResult
from tests.fakes.emulator import Emulator
from tests.fakes.sites import run_cli, write_site

GENERATIONS = "/v1/images/generations"
SUBJECT = (200, 60, 40)


def keyed_picture(key: tuple[int, int, int], size: int = 256) -> Image.Image:
    """A red disc on a slightly uneven key-colour background, edges anti-aliased."""
    image = Image.new("RGB", (size, size), key)
    draw = ImageDraw.Draw(image)
    # the model never paints a perfectly flat colour: a faint band of another shade
    shade = tuple(max(0, min(255, c + (-9 if c > 128 else 9))) for c in key)
    draw.rectangle((0, 0, size, size // 8), fill=shade)
    draw.ellipse((size // 4, size // 4, size * 3 // 4, size * 3 // 4), fill=SUBJECT)
    return image.filter(ImageFilter.GaussianBlur(1.5))


def visible_key_pixels(image: Image.Image, key: tuple[int, int, int]) -> int:
    """Pixels that are visible (alpha > 0) and still look like the key colour."""
    hot = [i for i, v in enumerate(key) if v >= 128]
    cold = [i for i, v in enumerate(key) if v < 128]
    count = 0
    data = image.convert("RGBA").tobytes()
    for offset in range(0, len(data), 4):
        pixel = data[offset:offset + 4]
        if pixel[3] == 0:
            continue
        if min(pixel[i] for i in hot) - max(pixel[i] for i in cold) > 40:
            count += 1
    return count


@pytest.mark.parametrize("key", ["#00ff00", "#ff00ff"])
def test_key_colour_becomes_real_alpha(key: str) -> None:
    rgb = chroma.parse_hex(key)
    out, step = chroma.remove_key(keyed_picture(rgb), key)
    assert out.mode == "RGBA"
    alpha = out.getchannel("A")
    assert alpha.getpixel((2, 2)) == 0 and alpha.getpixel((250, 250)) == 0  # background gone
    assert alpha.getpixel((2, 10)) == 0  # the off-shade band too (measured, not assumed)
    assert alpha.getpixel((128, 128)) == 255  # the subject stays opaque
    assert out.getpixel((128, 128))[:3] == SUBJECT
    partial = sum(1 for value in alpha.tobytes() if 0 < value < 255)
    assert partial > 0  # a soft edge, not a jagged cut-out
    assert visible_key_pixels(out, rgb) == 0  # no fringe of the key colour survives
    assert out.getpixel((2, 2)) == (0, 0, 0, 0)  # no hidden key colour in clear pixels
    assert step["op"] == "chroma-key" and step["key"] == key and step["despill"] is True


def test_remove_key_is_deterministic() -> None:
    picture = keyed_picture((0, 255, 0))
    first, _ = chroma.remove_key(picture, "#00ff00")
    second, _ = chroma.remove_key(picture.copy(), "#00ff00")
    assert first.tobytes() == second.tobytes()


def test_measured_key_falls_back_to_the_asked_one() -> None:
    no_key = Image.new("RGB", (64, 64), (120, 120, 120))
    assert chroma.measure_key(no_key, (0, 255, 0)) == (0, 255, 0)


def test_derive_keys_then_fits_then_encodes_with_alpha(tmp_path: Path) -> None:
    write_site(tmp_path, """\
        version: 1
        assets:
          - id: logo
            path: img/logo.webp
            prompt: "A red disc"
            transparent: chroma
            width: 128
            height: 128
        """)
    asset = load_manifest(tmp_path / "assetgen.yaml").assets[0]
    master = imaging.encode(keyed_picture((0, 255, 0)), "png")
    derived = derive(master, asset)
    assert [step["op"] for step in derived.postprocess] == ["chroma-key", "fit", "encode"]
    with Image.open(io.BytesIO(derived.data)) as image:
        image.load()
        assert image.mode == "RGBA" and image.size == (128, 128)
        assert image.getchannel("A").getpixel((1, 1)) == 0
        assert image.getchannel("A").getpixel((64, 64)) == 255


def test_chroma_request_states_the_key_and_asks_for_an_opaque_png(
        tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, """\
        version: 1
        defaults:
          quality: low
        assets:
          - id: logo
            path: img/logo.webp
            prompt: "A red disc"
            transparent: chroma
            chroma_key: "#FF00FF"
        """)
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    sent = openai_env.requests_to(GENERATIONS)[0].json
    assert sent["output_format"] == "png" and sent["background"] == "opaque"
    assert "magenta (#FF00FF)" in sent["prompt"] and sent["prompt"].startswith("A red disc")
    record = json.loads(sidecar_path(site / "public/img/logo.webp").read_text())
    assert record["transparent"] == "chroma" and record["prompt"] == sent["prompt"]
    assert record["postprocess"][0]["op"] == "chroma-key"
    assert record["postprocess"][0]["key"] == "#ff00ff"
    # Fresh afterwards: the prompt comparison uses the prompt as sent.
    plan = json.loads(run_cli("-C", site, "plan", "--json").out)
    assert plan["assets"][0]["state"] == "fresh"


def test_transparent_true_asks_the_api(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, """\
        version: 1
        defaults:
          quality: low
        assets:
          - id: icon
            path: img/icon.png
            prompt: "An icon"
            transparent: true
        """)
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    sent = openai_env.requests_to(GENERATIONS)[0].json
    assert sent["background"] == "transparent" and sent["output_format"] == "png"
    assert imaging.has_alpha((site / "public/img/icon.png").read_bytes())


def test_an_opaque_answer_to_a_transparent_request_fails() -> None:
    opaque = RouteResult(image=imaging.encode(Image.new("RGB", (8, 8)), "png"),
                         route="images.generate", model="gpt-image-2", billing="openai-api",
                         request_id="req_1")
    with pytest.raises(PermanentError) as info:
        require_alpha(opaque)
    assert "opaque" in str(info.value) and "transparent: chroma" in str(info.value)
    clear = RouteResult(image=imaging.encode(Image.new("RGBA", (8, 8)), "png"), route="x",
                        model="m", billing="b")
    require_alpha(clear)  # no exception


BAD = {
    "jpeg-true": ("path: img/a.jpg\n    transparent: true", 6, "has no alpha channel"),
    "jpeg-chroma": ("path: img/a.jpeg\n    transparent: chroma", 6, "has no alpha channel"),
    "bad-value": ("path: img/a.png\n    transparent: maybe", 6,
                  "must be true or false or `chroma`"),
    "grey-key": ("path: img/a.png\n    transparent: chroma\n    chroma_key: '#808080'", 7,
                 "chroma_key `#808080`"),
    "key-without-chroma": ("path: img/a.png\n    chroma_key: '#00ff00'", 6,
                           "without `transparent: chroma`"),
    "background-conflict": ("path: img/a.png\n    transparent: true\n    background: opaque",
                            6, "`background: opaque`"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_transparency_mistakes_are_manifest_errors(tmp_path: Path, name: str) -> None:
    body, line, phrase = BAD[name]
    write_site(tmp_path, f"version: 1\nassets:\n  - id: a\n    prompt: x\n    {body}\n")
    with pytest.raises(ManifestError) as info:
        load_manifest(tmp_path / "assetgen.yaml")
    found = [str(p) for p in info.value.problems]
    assert any(phrase in p and f"assetgen.yaml:{line}: " in p for p in found), found
