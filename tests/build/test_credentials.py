"""Content Credentials of the route's answer (SPEC 8): read with c2pa-python, recorded in
the sidecar, kept byte for byte in the masters cache, and published unchanged (manifest
intact) where the route's bytes already are the final file."""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from assetgen.build import credentials
from assetgen.core.canonical import sha256_bytes
from assetgen.images import codec as imaging
from assetgen.provenance import embed
from assetgen.provenance.naming import sidecar_path
from tests.conftest import TEST_KEY
from tests.fakes import pki
from tests.fakes.emulator import Emulator
from tests.fakes.sites import run_cli, write_site


def plain(fmt: str = "png", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, fmt.upper())
    return buffer.getvalue()


def test_reads_state_issuer_generator_and_source_type() -> None:
    signed = pki.sign_created(plain(), "png")
    found = credentials.read(signed)
    assert found is not None
    assert found.state == "Valid" and "signingCredential.untrusted" in (found.problem or "")
    assert found.issuer == "Test OpenAI"
    assert found.claim_generator == "Test OpenAI Images 1.0"
    assert found.digital_source_type == embed.TRAINED and found.declares_ai
    trusted = credentials.read(signed, trust_anchors=pki.make_pki().root_pem.decode())
    assert trusted is not None and trusted.state == "Trusted" and trusted.problem is None
    assert trusted.as_sidecar() == {"state": "Trusted", "issuer": "Test OpenAI",
                                    "claim_generator": "Test OpenAI Images 1.0",
                                    "digital_source_type": embed.TRAINED}


@pytest.mark.parametrize("fmt", ["jpeg", "webp"])
def test_reads_other_formats(fmt: str) -> None:
    found = credentials.read(pki.sign_created(plain(fmt), fmt))
    assert found is not None and found.valid and found.digital_source_type == embed.TRAINED


def test_no_manifest_is_none() -> None:
    assert credentials.read(plain()) is None
    assert credentials.read(b"not an image at all") is None
    assert credentials.read(b"") is None


def test_re_encoded_bytes_lose_the_manifest() -> None:
    signed = pki.sign_created(plain(), "png")
    resized = imaging.encode(imaging.decode(signed).resize((32, 24)), "png")
    assert credentials.read(resized) is None


def _png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, offset = [], 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        chunks.append((data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]))
        offset += 12 + length
    return chunks


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(body)) + kind + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF) for kind, body in chunks)


def _with_manifest(signed: bytes, change: object) -> bytes:
    chunks = _png_chunks(signed)
    out = []
    for kind, body in chunks:
        if kind == b"caBX":
            body = change(body)  # type: ignore[operator]
        out.append((kind, body))
    return _png(out)


@pytest.mark.parametrize("change", [
    lambda body: body[: len(body) // 2],  # truncated JUMBF
    lambda body: body[:40] + bytes(b ^ 0x5A for b in body[40:200]) + body[200:],  # garbled
    lambda body: b"\xff" * len(body),  # nonsense
    lambda body: body[:8] + b"\xff\xff\xff\xff" + body[12:],  # absurd box length
])
def test_a_corrupt_manifest_never_crashes(change: object) -> None:
    signed = pki.sign_created(plain(), "png")
    found = credentials.read(_with_manifest(signed, change))
    assert found is None or not found.valid  # read as broken, never an exception


def test_pixels_changed_under_a_manifest_are_invalid() -> None:
    signed = pki.sign_created(plain(), "png")
    chunks = _png_chunks(signed)
    recoloured = imaging.encode(Image.new("RGB", (64, 48), (1, 2, 3)), "png")
    idat = [body for kind, body in _png_chunks(recoloured) if kind == b"IDAT"]
    assert len(idat) == 1
    forged = _png([(kind, idat[0] if kind == b"IDAT" else body) for kind, body in chunks])
    found = credentials.read(forged)
    assert found is not None and found.state == "Invalid"
    assert "assertion.dataHash.mismatch" in (found.problem or "")


def test_oversized_input_is_not_handed_to_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials, "MAX_IMAGE_BYTES", 100)
    found = credentials.read(pki.sign_created(plain(), "png"))
    assert found is not None and found.state == "unreadable" and "larger" in (found.problem
                                                                             or "")


# --- the build ------------------------------------------------------------------------------


@pytest.fixture
def signing_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The emulator answering with images signed by the test PKI, as OpenAI's are."""
    with Emulator(api_key=TEST_KEY, c2pa_signer=pki.sign_created) as emu:
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        yield emu
        assert emu.schema_errors == []


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
      - id: card
        path: img/card.webp
        prompt: "A card"
        width: 512
        height: 256
      - id: banner
        path: img/banner.webp
        prompt: "A banner"
        variants: {widths: [256], formats: [webp]}
    """


def _sidecar(site: Path, rel: str) -> dict:
    return json.loads(sidecar_path(site / "public" / rel).read_text())


def test_route_manifest_is_recorded_and_kept_where_the_bytes_are_final(
        tmp_path: Path, signing_emulator: Emulator) -> None:
    site = write_site(tmp_path, SITE)
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    expected = {"state": "Valid", "issuer": "Test OpenAI",
                "claim_generator": "Test OpenAI Images 1.0",
                "digital_source_type": embed.TRAINED}

    # hero: the route's PNG is the final file; it is published byte for byte.
    hero = _sidecar(site, "img/hero.png")
    hero_bytes = (site / "public/img/hero.png").read_bytes()
    assert hero["c2pa"]["state"] == "Valid"
    assert {k: hero["c2pa"][k] for k in expected} == expected
    assert hero["c2pa_preserved"] is True
    assert hero["sha256"] == hero["master"]["sha256"] == sha256_bytes(hero_bytes)
    assert hero["embedded"]["format"] == "none"  # assetgen's record lives in the sidecar
    published = credentials.read(hero_bytes, trust_anchors=pki.make_pki().root_pem.decode())
    assert published is not None and published.state == "Trusted"
    assert published.digital_source_type == embed.TRAINED

    # card: resized, so re-encoded: the manifest cannot survive; the XMP marking is there.
    card = _sidecar(site, "img/card.webp")
    assert card["c2pa"]["issuer"] == "Test OpenAI" and card["c2pa_preserved"] is False
    card_bytes = (site / "public/img/card.webp").read_bytes()
    assert credentials.read(card_bytes) is None
    assert embed.read_source_type(card_bytes) == embed.TRAINED

    # banner: the main file is the route's webp unchanged; its variant is marked in XMP.
    banner = _sidecar(site, "img/banner.webp")
    assert banner["c2pa_preserved"] is True
    variant = site / "public" / banner["variants"][0]["file"]
    assert embed.read_source_type_file(variant) == embed.TRAINED

    # The masters cache keeps each answer byte for byte, manifest and all.
    for record in (hero, card, banner):
        sha = record["master"]["sha256"]
        [master] = [p for p in site.rglob(f"{sha}.*") if "public" not in p.parts]
        assert sha256_bytes(master.read_bytes()) == sha
        assert credentials.read(master.read_bytes()).valid

    # verify and a second build agree the published files are fresh.
    assert run_cli("-C", site, "verify").code == 0
    again = run_cli("-C", site, "build")
    assert again.code == 0 and signing_emulator.count("/v1/images/generations") == 3


def test_an_unsigned_answer_gets_the_xmp_marking(tmp_path: Path,
                                                 openai_env: Emulator) -> None:
    site = write_site(tmp_path, SITE)
    assert run_cli("-C", site, "build").code == 0
    hero = _sidecar(site, "img/hero.png")
    assert "c2pa" not in hero and "c2pa_preserved" not in hero
    assert embed.read_source_type_file(site / "public/img/hero.png") == embed.TRAINED
