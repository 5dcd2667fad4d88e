"""Issue 11, secrets: keys are normalised once, redacted in every form, and redaction
never rewrites data that is not a secret (SPEC section 10)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from assetgen.core import secrets
from assetgen.provenance.record import IDENTITY_FIELDS, Record
from tests.fakes.echo_server import EchoServer
from tests.fakes.sites import run_cli, write_site

# Not `sk-`-shaped, so only exact redaction (not the key-pattern scrubber) can hide it.
KEY = "tk-Zq8vW2mN4pL6rT0yXc1b"
GATEWAY_KEY = "gwk-7Hd93kLmQ0pZx81vRt"

ONE_ASSET = """\
version: 1
output_dir: public
defaults:
  route: {route}
  model: gpt-image-2
  quality: low
  size: 1024x1024
{routes}assets:
  - id: {asset_id}
    path: img/{asset_id}.png
    prompt: "a logo"
"""


def site(root: Path, *, route: str = "images", routes: str = "",
         asset_id: str = "hero") -> Path:
    return write_site(root, ONE_ASSET.format(route=route, routes=routes, asset_id=asset_id))


def gateway_routes(base_url: str, key_env: str = "MY_GATEWAY_CREDENTIAL") -> str:
    return ("routes:\n  gateway:\n"
            f"    base_url: {base_url}\n"
            f"    api_key_env: {key_env}\n"
            "    provider: example\n"
            "    poll_intervals_s: [0.02]\n"
            "    timeout_s: 2\n")


def leaked(text: str, key: str) -> list[str]:
    forms = {key, quote(key, safe=""), key[3:], key[:-3]}
    return [form for form in forms if form in text]


# -- normalisation ------------------------------------------------------------------------


def test_a_key_is_read_stripped_once() -> None:
    assert secrets.read_key({"OPENAI_API_KEY": f"  {KEY}\n"}, "OPENAI_API_KEY") == KEY
    assert secrets.read_key({}, "OPENAI_API_KEY") == ""


@pytest.mark.parametrize("bad", [f"{KEY[:8]} {KEY[8:]}", f"{KEY[:8]}\n{KEY[8:]}",
                                 f"{KEY[:8]}\x1b{KEY[8:]}", f"{KEY}\x7fx"])
def test_a_key_with_inner_whitespace_or_controls_is_a_config_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", bad)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    root = site(tmp_path / "site")
    result = run_cli("-C", root, "build")
    assert result.code == 2
    assert "OPENAI_API_KEY has whitespace or control characters inside the key" in result.err
    assert KEY[8:] not in result.output and KEY[:8] not in result.output
    assert "Traceback" not in result.output


def test_a_gateway_key_with_inner_whitespace_is_a_config_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_GATEWAY_CREDENTIAL", f"{GATEWAY_KEY[:6]}\t{GATEWAY_KEY[6:]}")
    root = site(tmp_path / "site", route="gateway",
                routes=gateway_routes("http://127.0.0.1:9/gateway/v1"))
    result = run_cli("-C", root, "build")
    assert result.code == 2
    assert "MY_GATEWAY_CREDENTIAL has whitespace or control characters" in result.err
    assert GATEWAY_KEY[6:] not in result.output


# -- redaction in every form ----------------------------------------------------------------


def test_redaction_finds_the_key_in_every_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", f"{KEY}\n")
    odd = "pa$$ word/with+chars=\"q\"-0123456789"  # credential-named, generated-looking
    monkeypatch.setenv("DEPLOY_TOKEN", odd)
    text = (f"raw {KEY}\n, glued x{KEY}y, url {quote(KEY, safe='')} "
            f"odd {odd} url {quote(odd, safe='')} json {json.dumps(odd)}")
    out = secrets.redact(text)
    assert KEY not in out and "Zq8vW2mN4pL6" not in out
    assert odd not in out and quote(odd, safe="") not in out and json.dumps(odd)[1:-1] not in out
    assert out.count(secrets.MASK) == 6


def test_only_credential_shaped_values_of_guessed_variables_are_secrets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTGRES_PASSWORD", "postgres")
    monkeypatch.setenv("CI_JOB_TOKEN", "glcbt-64_a1b2c3d4e5f6a7b8c9")
    monkeypatch.setenv("WORDY_SECRET", "correct-horse-battery-staple")
    monkeypatch.setenv("GATEWAY_API_KEY", "short1")  # a configured key variable: any length
    found = secrets.secret_values()
    assert "postgres" not in found and "correct-horse-battery-staple" not in found
    assert "glcbt-64_a1b2c3d4e5f6a7b8c9" in found and "short1" in found


def test_sidecars_redact_free_text_but_never_identity_fields(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("GATEWAY_API_KEY", "brand-logo")  # a poor key, but configured
    record = Record(asset="brand-logo-hero", file="img/brand-logo-hero.png",
                    sha256="0", bytes=1, width=1, height=1, format="png",
                    route="images.generate", model="gpt-image-2",
                    prompt=f"a logo {KEY}", quality="low", size="auto",
                    spec_hash="sha256:0", created_at="now", request_id=f"req-{KEY}",
                    revised_prompt="the brand-logo, bigger",
                    inputs=[{"asset": "brand-logo-hero", "path": "img/brand-logo.png"}])
    written = json.loads(record.to_json())
    assert {"asset", "file", "path"} <= IDENTITY_FIELDS
    assert written["asset"] == "brand-logo-hero" and written["file"] == "img/brand-logo-hero.png"
    assert written["inputs"] == record.inputs
    assert KEY not in json.dumps(written)
    assert written["prompt"] == "a logo ***" and written["request_id"] == "req-***"
    assert written["revised_prompt"] == "the ***, bigger"


def test_postgres_password_does_not_rename_an_asset(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI services set POSTGRES_PASSWORD=postgres: it must not turn `postgres-logo` into
    `***-logo` in the sidecar, nor make verify call the image tampered."""
    monkeypatch.setenv("POSTGRES_PASSWORD", "postgres")
    root = site(tmp_path / "site", asset_id="postgres-logo")
    assert run_cli("-C", root, "build", "--draft").code == 0
    sidecar = json.loads((root / "public/img/postgres-logo.png.provenance.json").read_text())
    assert sidecar["asset"] == "postgres-logo" and sidecar["file"] == "img/postgres-logo.png"
    result = run_cli("-C", root, "verify")
    assert "tampered" not in result.output, result.output
    assert "postgres-logo" in run_cli("-C", root, "plan").out


# -- a server that echoes the key ------------------------------------------------------------


def test_an_echoed_key_with_a_trailing_newline_never_reaches_build_or_doctor_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", f"{KEY}\n")
    root = site(tmp_path / "site")
    with EchoServer(status=401) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        build = run_cli("-C", root, "build")
        build_json = run_cli("-C", root, "build", "--json")
        doctor = run_cli("-C", root, "doctor")
        doctor_json = run_cli("-C", root, "doctor", "--json")
    assert server.paths, "the server was never asked"
    assert build.code == 1 and "hero" in build.output
    assert doctor.code == 1 and doctor_json.code == 1
    for result in (build, build_json, doctor, doctor_json):
        assert not leaked(result.output, KEY), result.output
    evidence = json.loads(doctor_json.out)["evidence"]
    assert evidence["http_status"] == 401 and evidence["request_id"] is not None
    assert "authentication" in doctor.out


def test_an_echoed_gateway_key_never_reaches_build_or_doctor_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_GATEWAY_CREDENTIAL", f"\t{GATEWAY_KEY}\r\n")
    with EchoServer(status=401) as server:
        root = site(tmp_path / "site", route="gateway",
                    routes=gateway_routes(server.base_url))
        build = run_cli("-C", root, "build")
        doctor = run_cli("-C", root, "doctor")
        doctor_json = run_cli("-C", root, "doctor", "--json")
    assert server.paths
    assert build.code == 1 and doctor.code == 1
    for result in (build, doctor, doctor_json):
        assert not leaked(result.output, GATEWAY_KEY), result.output
    assert not leaked(json.dumps(json.loads(doctor_json.out)), GATEWAY_KEY)


def test_doctor_reports_a_key_with_inner_whitespace_as_a_failed_configuration_step(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", f"{KEY[:8]} {KEY[8:]}\n")
    with EchoServer(status=401) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run_cli("-C", site(tmp_path / "site"), "doctor", "--json")
    document = json.loads(result.out)
    assert result.code == 1 and document["classification"]["surface"] == "configuration"
    assert "whitespace or control characters inside the key" in document["steps"][0]["detail"]
    assert not leaked(result.output, KEY) and KEY[8:] not in result.output
