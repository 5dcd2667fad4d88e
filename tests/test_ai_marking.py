"""The IPTC AI marking (SPEC 8): every generated file assetgen publishes, main file and
every variant, says `trainedAlgorithmicMedia` in XMP; drafts say nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from assetgen.build import credentials
from assetgen.core.canonical import sha256_bytes
from assetgen.images import codec as imaging
from assetgen.provenance import embed
from assetgen.provenance.naming import sidecar_path
from tests.fakes.emulator import Emulator
from tests.fakes.sites import png_bytes, run_cli, write_site

RECORD = embed.make_record(asset="hero", route="images.generate", model="gpt-image-2",
                           prompt="A rocket", spec_hash="sha256:" + "ab" * 32)
FORMATS = ("png", "jpeg", "webp", "avif")


def picture() -> Image.Image:
    return Image.linear_gradient("L").resize((96, 64)).convert("RGB")


def pillow_xmp(path_or_bytes: Path | bytes) -> str:
    """The XMP packet as Pillow itself reads it (not through assetgen's reader)."""
    import io

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with Image.open(source) as image:
        xmp = image.info.get("xmp")
    assert xmp is not None, "no XMP packet"
    return xmp.decode() if isinstance(xmp, bytes) else xmp


@pytest.mark.parametrize("fmt", FORMATS)
def test_marking_and_record_round_trip_in_every_format(fmt: str) -> None:
    if fmt not in imaging.writable_formats():
        pytest.skip(f"this Pillow cannot write {fmt}")
    data = imaging.encode(picture(), fmt, **embed.encode_options(fmt, RECORD, embed.TRAINED))
    xmp = pillow_xmp(data)
    assert f'xmlns:Iptc4xmpExt="{embed.IPTC_NS}"' in xmp
    assert f'Iptc4xmpExt:DigitalSourceType="{embed.TRAINED}"' in xmp
    assert embed.read_source_type(data) == embed.TRAINED
    assert embed.read_record(data) == RECORD  # assetgen's own record is still beside it
    described = embed.describe(fmt, RECORD, embed.read_record(data), embed.TRAINED)
    assert described["digital_source_type"] == embed.TRAINED


def test_no_source_type_means_no_marking() -> None:
    data = imaging.encode(picture(), "webp", **embed.encode_options("webp", RECORD))
    assert embed.read_source_type(data) is None
    png = imaging.encode(picture(), "png", **embed.encode_options("png", RECORD))
    assert b"XML:com.adobe.xmp" not in png and embed.read_source_type(png) is None


def test_marking_in_element_form_is_read_too() -> None:
    xmp = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
           f'xmlns:Iptc4xmpExt="{embed.IPTC_NS}"><Iptc4xmpExt:DigitalSourceType>'
           f'{embed.COMPOSITE}</Iptc4xmpExt:DigitalSourceType></rdf:Description></rdf:RDF>'
           f'</x:xmpmeta>')
    assert embed.source_type_from_info({"xmp": xmp.encode()}) == embed.COMPOSITE
    assert embed.source_type_from_info({"xmp": b"x" * (embed.MAX_XMP_BYTES + 1)}) is None


def test_edit_of_a_non_generated_image_is_a_composite(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes(8, 8))
    generated = tmp_path / "gen.png"
    generated.write_bytes(png_bytes(8, 8))
    sidecar_path(generated).write_text(json.dumps({"route": "images.generate"}))
    assert credentials.source_type_for("images.generate", []) == embed.TRAINED
    assert credentials.source_type_for("images.edit", [generated]) == embed.TRAINED
    assert credentials.source_type_for("images.edit", [generated, photo]) == embed.COMPOSITE
    sidecar_path(photo).write_text(json.dumps({"route": "adopted"}))
    assert credentials.source_type_for("images.edit", [photo]) == embed.COMPOSITE
    sidecar_path(photo).write_text("{not json")
    assert credentials.source_type_for("images.edit", [photo]) == embed.COMPOSITE
    assert credentials.source_type_for("draft", []) is None
    assert credentials.source_type_for("adopted", []) is None


SITE = """\
    version: 1
    output_dir: public
    defaults:
      route: images
      model: gpt-image-2
      quality: low
      size: 1024x1024
    assets:
      - id: hero
        path: img/hero.png
        prompt: "A rocket"
        variants: {widths: [256], formats: [webp, avif, jpeg]}
      - id: card
        path: img/card.webp
        prompt: "A card"
        width: 600
        height: 300
      - id: photo-edit
        path: img/photo-edit.jpg
        prompt: "Add a hat"
        edit: {images: [photos/me.png]}
    """


def _published(site: Path) -> list[Path]:
    files = []
    for sidecar in sorted((site / "public").rglob("*.provenance.json")):
        record = json.loads(sidecar.read_text())
        files.append(site / "public" / record["file"])
        files.extend(site / "public" / v["file"] for v in record.get("variants") or [])
    return files


def test_every_published_file_and_variant_is_marked(tmp_path: Path,
                                                    openai_env: Emulator) -> None:
    site = write_site(tmp_path, SITE, {"photos/me.png": png_bytes(1024, 1024)})
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    files = _published(site)
    assert len(files) == 6  # hero + 3 variants, card, the edit
    for path in files:
        want = embed.COMPOSITE if path.name == "photo-edit.jpg" else embed.TRAINED
        assert f'Iptc4xmpExt:DigitalSourceType="{want}"' in pillow_xmp(path), path
    hero = json.loads(sidecar_path(site / "public/img/hero.png").read_text())
    assert hero["embedded"]["digital_source_type"] == embed.TRAINED
    assert embed.read_record_file(site / "public/img/hero.png") == hero["embedded"]["record"]
    assert all(v["digital_source_type"] == embed.TRAINED for v in hero["variants"])


def test_drafts_carry_no_ai_claim(tmp_path: Path) -> None:
    site = write_site(tmp_path, SITE.replace("route: images", "route: draft"),
                      {"photos/me.png": png_bytes(1024, 1024)})
    assert run_cli("-C", site, "build").code == 0
    files = _published(site)
    assert files
    for path in files:
        assert embed.read_source_type_file(path) is None, path
        with Image.open(path) as image:
            assert "Iptc4xmpExt" not in str(image.info.get("xmp", ""))


@pytest.mark.skipif(shutil.which("exiftool") is None, reason="exiftool is not installed")
def test_exiftool_reads_the_marking(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, SITE, {"photos/me.png": png_bytes(1024, 1024)})
    assert run_cli("-C", site, "build").code == 0
    files = [p for p in _published(site) if p.name != "photo-edit.jpg"]
    out = subprocess.run(["exiftool", "-json", "-XMP-iptcExt:DigitalSourceType",
                          *map(str, files)], capture_output=True, text=True, check=True)
    found = {Path(item["SourceFile"]).suffix: item.get("DigitalSourceType")
             for item in json.loads(out.stdout)}
    assert set(found) == {".png", ".webp", ".avif", ".jpg"}
    assert all(value == embed.TRAINED for value in found.values()), found


def test_verify_reports_a_generated_image_that_lost_its_marking(
        tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, SITE, {"photos/me.png": png_bytes(1024, 1024)})
    assert run_cli("-C", site, "build").code == 0
    assert run_cli("-C", site, "verify").code == 0
    # An optimiser stripped the metadata: same pixels, no XMP; the sidecar is made to match
    # (as a careless "record the new bytes" would), so only the marking check can see it.
    card = site / "public/img/card.webp"
    stripped = imaging.encode(imaging.decode(card.read_bytes()), "webp")
    card.write_bytes(stripped)
    sidecar = json.loads(sidecar_path(card).read_text())
    sidecar.update(sha256=sha256_bytes(stripped), bytes=len(stripped),
                   embedded={"format": "none"})
    sidecar_path(card).write_text(json.dumps(sidecar))
    result = run_cli("-C", site, "verify", "--json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    [finding] = [f for f in findings if f["state"] == "unmarked"]
    assert finding["path"].endswith("img/card.webp") and finding["severity"] == "error"
    assert "Iptc4xmpExt:DigitalSourceType" in finding["message"]
    assert "assetgen build card --force" in finding["remedy"]


def test_a_wrong_source_type_is_unmarked(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    path.write_bytes(imaging.encode(picture(), "jpeg", **embed.encode_options(
        "jpeg", None, embed.SOURCE_TYPE_BASE + "digitalCapture")))
    problem = credentials.marking_problem(path, "images.generate")
    assert problem is not None and "digitalCapture" in problem
    assert credentials.marking_problem(path, "adopted") is None
    assert credentials.marking_problem(path, "draft") is None
    gif = tmp_path / "x.gif"
    gif.write_bytes(imaging.encode(picture(), "gif"))
    assert credentials.marking_problem(gif, "images.generate") is None  # no XMP in gif
