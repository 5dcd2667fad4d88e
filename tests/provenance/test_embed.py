"""Provenance embedded in the image: written, read back, covered by the sidecar's sha256,
compared with the sidecar; C2PA noticed and never claimed after re-encoding."""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from assetgen.build import credentials, recording
from assetgen.build.store import Derived
from assetgen.core.canonical import sha256_bytes
from assetgen.images import codec as imaging
from assetgen.provenance import embed
from assetgen.provenance.naming import sidecar_path
from assetgen.provenance.record import Record
from tests.fakes.sites import run_cli, write_site

RECORD = embed.make_record(asset="hero", route="images.generate", model="gpt-image-2",
                           prompt="A rocket", spec_hash="sha256:" + "ab" * 32)


def picture(mode: str = "RGB") -> Image.Image:
    image = Image.linear_gradient("L").resize((96, 64)).convert(mode)
    return image


@pytest.mark.parametrize(("fmt", "kind"), [("png", "png-itxt"), ("jpeg", "xmp"),
                                           ("webp", "xmp"), ("avif", "xmp")])
def test_record_round_trips_in_every_embedding_format(fmt: str, kind: str) -> None:
    if fmt not in imaging.writable_formats():
        pytest.skip(f"this Pillow cannot write {fmt}")
    data = imaging.encode(picture(), fmt, **embed.encode_options(fmt, RECORD))
    assert embed.read_record(data) == RECORD
    assert embed.describe(fmt, RECORD, embed.read_record(data))["format"] == kind
    # Deterministic with the record in: the same pixels and record give the same bytes.
    assert imaging.encode(picture(), fmt, **embed.encode_options(fmt, RECORD)) == data
    assert imaging.probe(data).width == 96


def test_formats_without_a_record_say_so() -> None:
    assert embed.encode_options("gif", RECORD) == {}
    described = embed.describe("gif", RECORD, None)
    assert described["format"] == "none" and "gif" in described["reason"]
    # A record that did not land is never claimed.
    assert embed.describe("webp", RECORD, None)["format"] == "none"


def test_png_record_is_an_uncompressed_itxt_chunk_before_the_pixels() -> None:
    data = imaging.encode(picture(), "png", **embed.encode_options("png", RECORD))
    assert data.index(b"iTXt") < data.index(b"IDAT")
    assert b"assetgen.provenance" in data and b'"asset":"hero"' in data


def test_foreign_or_broken_metadata_reads_as_no_record() -> None:
    foreign = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
               b'xmlns:assetgen="https://example.com/other/" assetgen:asset="x"/>'
               b"</rdf:RDF></x:xmpmeta>")
    data = imaging.encode(picture(), "webp", xmp=foreign)
    assert embed.read_record(data) is None
    assert embed.record_from_info({"assetgen.provenance": "{not json"}) is None
    assert embed.read_record(b"not an image") is None
    assert embed.read_record_file(Path("/nonexistent/file.png")) is None


def test_special_characters_survive_xmp() -> None:
    record = {**RECORD, "model": 'odd "model" <&> \'name\''}
    data = imaging.encode(picture(), "webp", **embed.encode_options("webp", record))
    assert embed.read_record(data) == record


def test_built_files_carry_the_record_the_sidecar_describes(tmp_path: Path) -> None:
    site = write_site(tmp_path, """\
        version: 1
        defaults:
          route: draft
        assets:
          - id: hero
            path: img/hero.png
            prompt: "A rocket"
            variants: {widths: [256], formats: [webp, avif]}
        """)
    assert run_cli("-C", site, "build").code == 0
    image = site / "public/img/hero.png"
    record = json.loads(sidecar_path(image).read_text())
    assert record["embedded"]["format"] == "png-itxt"
    found = embed.read_record_file(image)
    assert found == record["embedded"]["record"]
    assert found["spec_hash"] == record["spec_hash"] and found["asset"] == "hero"
    assert found["prompt_sha256"] == embed.prompt_digest(record["prompt"])
    # Written before hashing: the sidecar's sha256 is of the file with its record.
    assert sha256_bytes(image.read_bytes()) == record["sha256"]
    assert embed.check_file(image, Record.from_json(record)) == []
    for entry in record["variants"]:
        variant = site / "public" / entry["file"]
        assert entry["embedded"] == "xmp"
        assert embed.read_record_file(variant) == found
        assert embed.check_file(variant, Record.from_json(record)) == []


def test_mismatch_between_file_and_sidecar_is_reported(tmp_path: Path) -> None:
    data = imaging.encode(picture(), "webp", **embed.encode_options("webp", RECORD))
    path = tmp_path / "hero.webp"
    path.write_bytes(data)
    sidecar = _sidecar(asset="hero", route="images.generate", model="gpt-image-2",
                       prompt="A rocket", spec_hash=RECORD["spec_hash"],
                       embedded=embed.describe("webp", RECORD, RECORD))
    assert embed.check_file(path, sidecar) == []
    other = sidecar.replace(asset="villain", prompt="Something else")
    problems = embed.check_file(path, other)
    assert any("embedded asset is `hero`, the sidecar says `villain`" in p for p in problems)
    assert any(p.startswith("embedded prompt_sha256") for p in problems)
    path.write_bytes(imaging.encode(picture(), "webp"))  # no record at all
    assert embed.check_file(path, sidecar) == [
        "the sidecar says a provenance record is embedded, but the file has none"]
    # Sidecars that embedded nothing (older ones, gif, adopt) are not compared.
    assert embed.check_file(path, sidecar.replace(embedded={"format": "none"})) == []
    assert embed.check_file(path, sidecar.replace(embedded=None)) == []


def _sidecar(**fields: object) -> Record:
    return Record.from_json({
        "schema": "assetgen.provenance/1", "tool": "assetgen test", "file": "hero.webp",
        "sha256": "0" * 64, "bytes": 1, "width": 8, "height": 8, "format": "webp",
        "quality": "low", "size": "1024x1024", "created_at": "2026-01-01T00:00:00Z",
        **fields})


# --- C2PA -----------------------------------------------------------------------------------


def png_with_chunk(kind: bytes, payload: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "PNG")
    data = buffer.getvalue()
    chunk = (len(payload).to_bytes(4, "big") + kind + payload
             + zlib.crc32(kind + payload).to_bytes(4, "big"))
    end = data.index(b"IDAT") - 4
    return data[:end] + chunk + data[end:]


def jpeg_with_app11(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "JPEG")
    data = buffer.getvalue()
    segment = b"\xff\xeb" + (len(payload) + 2).to_bytes(2, "big") + payload
    return data[:2] + segment + data[2:]


def webp_with_chunk(kind: bytes, payload: bytes) -> bytes:
    data = imaging.encode(picture(), "webp", xmp=b"<x/>")  # extended (VP8X) container
    chunk = kind + len(payload).to_bytes(4, "little") + payload + (b"\0" if len(payload) % 2
                                                                    else b"")
    body = data[12:] + chunk
    return b"RIFF" + (len(body) + 4).to_bytes(4, "little") + b"WEBP" + body


def test_c2pa_is_detected_in_png_jpeg_and_webp() -> None:
    jumbf = b"\x00\x00\x00\x20jumb\x00\x00\x00\x18jumdc2pa" + b"\0" * 8
    assert embed.has_c2pa(png_with_chunk(b"caBX", jumbf))
    assert not embed.has_c2pa(png_with_chunk(b"tEXt", b"Comment\0c2pa jumb"))
    assert embed.has_c2pa(jpeg_with_app11(b"JP\x00\x01" + jumbf))
    assert not embed.has_c2pa(jpeg_with_app11(b"JP\x00\x01 unrelated"))
    assert embed.has_c2pa(webp_with_chunk(b"C2PA", jumbf))
    assert not embed.has_c2pa(imaging.encode(picture(), "webp"))
    assert imaging.probe(png_with_chunk(b"caBX", jumbf)).width == 8  # still valid files


def test_sidecar_says_c2pa_present_but_not_preserved_after_re_encoding() -> None:
    master = png_with_chunk(b"caBX", b"\x00\x00\x00\x10jumbc2pa" + b"\0" * 4)
    derived = Derived(data=imaging.encode(imaging.decode(master), "png"), width=8, height=8,
                      format="png", postprocess=[])
    found = credentials.read(master)  # a broken manifest: read, never a crash
    assert found is not None and found.state == "unreadable" and not found.valid
    base = _sidecar(asset="hero", route="images.generate", model="gpt-image-2",
                    prompt="A rocket", spec_hash="sha256:0")
    made = recording.with_files(base, derived, spec_hash="sha256:0", derivation={},
                                master=master, credentials=found)
    assert made.c2pa == {"state": "unreadable", **({"problem": found.problem}
                                                   if found.problem else {})}
    assert made.c2pa_preserved is False
    plain_master = imaging.encode(picture(), "png")
    plain = recording.with_files(made, derived, spec_hash="sha256:0", derivation={},
                                 master=plain_master,
                                 credentials=credentials.read(plain_master))
    assert plain.c2pa is None and "c2pa" not in json.loads(plain.to_json())


@given(st.text())
def test_embedded_attributes_are_quoted_exactly_as_xml_sax_would(value: str) -> None:
    # Published files hold XMP written by xml.sax.saxutils.quoteattr; its replacement (which
    # keeps urllib off verify's start-up) must write the same bytes.
    from xml.sax.saxutils import quoteattr as reference

    assert embed.quoteattr(value) == reference(value)


_XML_PIECES = st.sampled_from([*"ab<>&;\"'\n\t", "&lt;", "&gt;", "&amp;", "&quot;", "&#10;",
                               "&#9;", "&amp;lt;"])


@given(st.lists(_XML_PIECES).map("".join))
def test_embedded_attributes_are_unescaped_exactly_as_xml_sax_would(value: str) -> None:
    from xml.sax.saxutils import unescape as reference

    assert embed._unescape(value, embed._ENTITIES) == reference(value, embed._ENTITIES)
    assert embed._unescape(value, {}) == reference(value)
