"""Opt-in C2PA signing (SPEC 8): every published file gets its own manifest, the route's
original as its parent ingredient, validated against the test roots; an unusable
certificate fails before any request."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from assetgen.build import credentials
from assetgen.core.canonical import sha256_bytes
from assetgen.provenance import embed
from assetgen.provenance.naming import sidecar_path
from tests.conftest import TEST_KEY
from tests.fakes import pki
from tests.fakes.emulator import Emulator
from tests.fakes.sites import run_cli, write_site

SITE = """\
    version: 1
    output_dir: public
    provenance:
      c2pa: {sign: true, trust_anchors: roots.pem}
    defaults:
      route: images
      model: gpt-image-2
      quality: low
      size: 1024x1024
    assets:
      - id: hero
        path: img/hero.png
        prompt: "A rocket"
        variants: {widths: [256], formats: [webp]}
      - id: card
        path: img/card.jpg
        prompt: "A card"
        width: 600
        height: 300
    """


def _signer_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **kind: object) -> pki.TestPKI:
    owner = pki.make_pki("Site Owner", **kind)  # type: ignore[arg-type]
    chain, key, _root = owner.write(tmp_path / "keys")
    monkeypatch.setenv("ASSETGEN_C2PA_CERT", str(chain))
    monkeypatch.setenv("ASSETGEN_C2PA_KEY", str(key))
    return owner


def _site(tmp_path: Path) -> Path:
    roots = pki.make_pki().root_pem + pki.make_pki("Site Owner").root_pem
    return write_site(tmp_path / "site", SITE, {"roots.pem": roots})


@pytest.fixture
def signing_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(api_key=TEST_KEY, c2pa_signer=pki.sign_created) as emu:
        monkeypatch.setenv("OPENAI_BASE_URL", emu.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
        yield emu


def _store(data: bytes, anchors: str) -> dict:
    import c2pa

    context = c2pa.Context.from_dict({"trust": {"user_anchors": anchors}})
    reader = c2pa.Reader.try_create(None, io.BytesIO(data), context=context)
    assert reader is not None, "no manifest"
    try:
        return json.loads(reader.json())
    finally:
        reader.close()


def _actions(store: dict) -> list[str]:
    active = store["manifests"][store["active_manifest"]]
    return [a["action"] for assertion in active["assertions"]
            if assertion["label"].startswith("c2pa.actions")
            for a in assertion["data"]["actions"]]


def test_every_published_file_is_signed_with_the_original_as_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_emulator: Emulator) -> None:
    _signer_env(tmp_path, monkeypatch)
    site = _site(tmp_path)
    result = run_cli("-C", site, "build")
    assert result.code == 0, result.output
    anchors = (site / "roots.pem").read_text()
    hero = json.loads(sidecar_path(site / "public/img/hero.png").read_text())
    card = json.loads(sidecar_path(site / "public/img/card.jpg").read_text())
    files = {site / "public/img/hero.png": (hero, ["c2pa.opened"]),
             site / "public/img/card.jpg": (card, ["c2pa.opened", "c2pa.resized"])}
    [fit] = [step for step in card["postprocess"] if step["op"] == "fit"]
    assert fit["from"][0] * 300 == fit["from"][1] * 600  # asked at 2:1: no crop needed
    variant = site / "public" / hero["variants"][0]["file"]
    files[variant] = (hero, ["c2pa.opened", "c2pa.resized", "c2pa.converted"])
    for path, (record, actions) in files.items():
        data = path.read_bytes()
        found = credentials.read(data, trust_anchors=anchors)
        assert found is not None and found.state == "Trusted", (path, found)
        assert found.issuer == "Site Owner" and found.claim_generator.startswith("assetgen")
        # The chain reaches OpenAI's (here the test PKI's) c2pa.created declaration.
        assert found.digital_source_type == embed.TRAINED
        store = _store(data, anchors)
        assert _actions(store) == actions, path
        active = store["manifests"][store["active_manifest"]]
        [parent] = active["ingredients"]
        assert parent["relationship"] == "parentOf"
        assert store["manifests"][parent["active_manifest"]]["signature_info"]["issuer"] \
            == "Test OpenAI"
        # Signed last: the XMP marking written before signing is still there, and the
        # sidecar's sha256 is of the signed bytes.
        assert embed.read_source_type(data) == embed.TRAINED
        digests = {record["sha256"], *(v["sha256"] for v in record.get("variants") or [])}
        assert sha256_bytes(data) in digests
    assert hero["c2pa"]["state"] == "Trusted" and hero["c2pa_preserved"] is False
    assert hero["postprocess"][-1]["op"] == "c2pa-sign"
    assert run_cli("-C", site, "verify").code == 0


def test_an_unsigned_original_gets_a_created_manifest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_env: Emulator) -> None:
    _signer_env(tmp_path, monkeypatch)
    site = _site(tmp_path)
    assert run_cli("-C", site, "build", "hero").code == 0
    data = (site / "public/img/hero.png").read_bytes()
    store = _store(data, (site / "roots.pem").read_text())
    assert store["validation_state"] == "Trusted"
    active = store["manifests"][store["active_manifest"]]
    assert _actions(store)[0] == "c2pa.created" and not active.get("ingredients")
    assert credentials.read(data).digital_source_type == embed.TRAINED


@pytest.mark.parametrize(("kind", "env"), [
    ({}, "missing"),
    ({"eku": "server"}, "set"),
    ({"eku": None}, "set"),
    ({"end_entity_is_ca": True}, "set"),
])
def test_an_unusable_certificate_fails_before_any_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_env: Emulator,
        kind: dict, env: str) -> None:
    if env == "set":
        _signer_env(tmp_path, monkeypatch, **kind)
    site = _site(tmp_path)
    result = run_cli("-C", site, "build")
    assert result.code == 2, result.output
    assert "ASSETGEN_C2PA" in result.output
    assert "emailProtection or documentSigning" in result.output  # what it needs
    assert "Traceback" not in result.output
    assert openai_env.requests == []
    assert not (site / "public/img/hero.png").exists()


def test_a_key_file_that_is_not_pem_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_env: Emulator) -> None:
    _signer_env(tmp_path, monkeypatch)
    junk = tmp_path / "junk.key"
    junk.write_text("not a key")
    monkeypatch.setenv("ASSETGEN_C2PA_KEY", str(junk))
    result = run_cli("-C", _site(tmp_path), "build")
    assert result.code == 2 and "ASSETGEN_C2PA_KEY names a file that is not PEM" in result.output
    assert openai_env.requests == []


@pytest.mark.parametrize(("setting", "message"), [
    ("{sign: yes please}", "sign must be true or false"),
    ("{sign: true, alg: md5}", "alg `md5` is not a C2PA signing algorithm"),
    ("{sign: true, tsa_url: ftp://x}", "tsa_url must be an http(s) URL"),
    ("{sign: true, trust_anchors: ../../etc/ssl/roots.pem}", "trust_anchors"),
    ("{sign: true, colour: red}", "provenance.c2pa takes sign, alg"),
])
def test_signing_settings_are_checked_with_the_manifest(tmp_path: Path, setting: str,
                                                        message: str) -> None:
    site = write_site(tmp_path, SITE.replace("{sign: true, trust_anchors: roots.pem}",
                                             setting))
    result = run_cli("-C", site, "plan")
    assert result.code == 2 and message in result.output, result.output
    assert "assetgen.yaml:4" in result.output  # file:line of the setting


def test_drafts_need_no_certificate(tmp_path: Path) -> None:
    site = _site(tmp_path)
    result = run_cli("-C", site, "build", "--draft")
    assert result.code == 0, result.output
    assert credentials.read((site / "public/img/hero.png").read_bytes()) is None


def test_actions_follow_what_happened() -> None:
    from assetgen.build import signing
    fit = [{"op": "fit", "from": [1024, 1024], "to": [600, 300]}]
    names = [a["action"] for a in signing.actions_for(
        fit, master_format="png", fmt="webp", resized=False, parent=True, source_type=None)]
    assert names == ["c2pa.opened", "c2pa.cropped", "c2pa.resized", "c2pa.converted"]
    created = signing.actions_for([], master_format="png", fmt="png", resized=False,
                                  parent=False, source_type=embed.TRAINED)
    assert created == [{"action": "c2pa.created", "digitalSourceType": embed.TRAINED}]


def test_verify_reports_files_whose_credentials_do_not_hold(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_emulator: Emulator) -> None:
    _signer_env(tmp_path, monkeypatch)
    site = _site(tmp_path)
    assert run_cli("-C", site, "build").code == 0
    assert run_cli("-C", site, "verify").code == 0
    # A tool rewrote the card after signing (keeping the XMP marking) and someone updated
    # the sidecar's digest to match: the manifest is gone.
    from assetgen.images import codec as imaging
    card = site / "public/img/card.jpg"
    rewritten = imaging.encode(imaging.decode(card.read_bytes()), "jpeg", **embed.encode_options(
        "jpeg", None, embed.TRAINED))
    card.write_bytes(rewritten)
    record = json.loads(sidecar_path(card).read_text())
    record.update(sha256=sha256_bytes(rewritten), bytes=len(rewritten),
                  embedded={"format": "none"})
    sidecar_path(card).write_text(json.dumps(record))
    result = run_cli("-C", site, "verify", "--json")
    assert result.code == 1
    findings = json.loads(result.out)["findings"]
    assert [(f["state"], Path(f["path"]).name) for f in findings] == [
        ("uncredentialed", "card.jpg")]
    assert "no C2PA manifest" in findings[0]["message"]
    assert "assetgen build card --force" in findings[0]["remedy"]
    # Trust anchors that do not hold the site owner's root: signed, but not Trusted.
    (site / "roots.pem").write_bytes(pki.make_pki().root_pem)
    result = run_cli("-C", site, "verify", "--json")
    states = {(f["state"], Path(f["path"]).name) for f in json.loads(result.out)["findings"]}
    assert ("uncredentialed", "hero.png") in states
    assert any(s == "uncredentialed" and n.startswith("hero-") for s, n in states)  # variant


def test_report_shows_each_images_credentials(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_emulator: Emulator) -> None:
    _signer_env(tmp_path, monkeypatch)
    site = _site(tmp_path)
    assert run_cli("-C", site, "build").code == 0
    assert run_cli("-C", site, "report").code == 0
    html = (site / ".assetgen/report.html").read_text()
    assert "IPTC trainedAlgorithmicMedia" in html
    assert "Trusted, by Test OpenAI; not kept in the published file" in html
    assert "C2PA manifest per file, the route&#39;s original as parent" in html or \
        "C2PA manifest per file, the route's original as parent" in html


def test_doctor_checks_the_signing_setup(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path)
    missing = run_cli("-C", site, "doctor", "--route", "draft", "--json")
    assert missing.code == 1
    [step] = [s for s in json.loads(missing.out)["steps"] if s["name"] == "c2pa signing"]
    assert step["status"] == "fail" and "ASSETGEN_C2PA_CERT is not set" in step["detail"]
    _signer_env(tmp_path, monkeypatch)
    good = run_cli("-C", site, "doctor", "--route", "draft", "--json")
    assert good.code == 0, good.out
    [step] = [s for s in json.loads(good.out)["steps"] if s["name"] == "c2pa signing"]
    assert step["status"] == "ok" and "Trusted against roots.pem" in step["detail"]
    (site / "roots.pem").write_bytes(pki.make_pki().root_pem)  # not the owner's root
    stranger = run_cli("-C", site, "doctor", "--route", "draft")
    assert stranger.code == 1
    assert "trust_anchors roots.pem does not hold the root" in stranger.output


def test_a_signing_failure_fails_the_asset_not_the_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_env: Emulator) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on: the time-stamp server is down
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _signer_env(tmp_path, monkeypatch)
    site = _site(tmp_path)
    manifest = site / "assetgen.yaml"
    manifest.write_text(manifest.read_text().replace(
        "trust_anchors: roots.pem}", f"trust_anchors: roots.pem, tsa_url: 'http://127.0.0.1:{port}/'}}"))
    result = run_cli("-C", site, "build", "hero")
    assert result.code == 1, result.output
    assert "C2PA signing of a png file failed" in result.output
    assert "Traceback" not in result.output
    assert not (site / "public/img/hero.png").exists()


def test_formats_c2pa_is_not_written_in_stay_unsigned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_env: Emulator) -> None:
    _signer_env(tmp_path, monkeypatch)
    site = _site(tmp_path)
    manifest = site / "assetgen.yaml"
    manifest.write_text(manifest.read_text().replace("path: img/card.jpg", "path: img/card.gif"))
    result = run_cli("-C", site, "build", "card")
    assert result.code == 0, result.output
    assert credentials.read((site / "public/img/card.gif").read_bytes()) is None
    checked = run_cli("-C", site, "verify", "public/img/card.gif")
    assert checked.code == 0 and "1 asset" in checked.output, checked.output



def test_a_loaded_kit_never_shows_its_private_key() -> None:
    from assetgen.build import signing
    from assetgen.build.engine import BuildSettings

    kit = signing.Kit("es256", b"-----BEGIN CERTIFICATE-----\nchain\n",
                      b"-----BEGIN PRIVATE KEY-----\nsecret-key-bytes\n", None)
    settings = BuildSettings(signing=kit)  # what a crash log's repr of a build would show
    for shown in (repr(kit), repr(settings)):
        assert "secret-key-bytes" not in shown and "PRIVATE KEY" not in shown
    assert "chain" in repr(kit)
