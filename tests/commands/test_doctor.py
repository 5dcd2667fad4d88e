"""`assetgen doctor`: each failure surface, injected against the emulator, is named right."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from assetgen.cli.console import Console
from assetgen.cli.render import doctor as render_doctor
from assetgen.commands import doctor as doctor_command
from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.sites import CliResult, run_cli, write_site

GW_KEY = "gw-doctor-key-0123456789"
WRONG_KEY = "sk-wrong-key-00000000zq9x"
EVIDENCE_KEYS = {"route", "endpoint", "base_url", "model", "http_status", "error_code",
                 "error_message", "request_id", "organization", "project", "api_key",
                 "timestamp"}
GATEWAY_SITE = """\
version: 1
output_dir: public
defaults:
  route: gateway
  model: gpt-image-2
routes:
  gateway:
    base_url: {base}
    api_key_env: GATEWAY_API_KEY
    provider: example
    poll_intervals_s: [0.05, 0.1]
    timeout_s: 10
{extra}assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket"
"""


def doctor(where: Path, *args: str) -> tuple[CliResult, dict[str, Any]]:
    """Run `doctor --json` through the real CLI; returns the result and the document."""
    result = run_cli("-C", where, "doctor", "--json", *args)
    assert TEST_KEY not in result.output and GW_KEY not in result.output
    assert "Bearer" not in result.output and "Traceback" not in result.output
    return result, json.loads(result.out)


def surface(document: dict[str, Any]) -> str:
    return document["classification"]["surface"]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gateway_site(tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    emulator.gateway_key = GW_KEY
    emulator.gateway_task_s = 0.05
    monkeypatch.setenv("GATEWAY_API_KEY", GW_KEY)
    return write_site(tmp_path / "gw", GATEWAY_SITE.format(base=emulator.gateway_url, extra=""))


# ------------------------------------------------------------------ works


def test_works_without_a_manifest(tmp_path: Path, openai_env: Emulator) -> None:
    result = run_cli("-C", tmp_path, "doctor")
    assert result.code == 0, result.output
    lines = result.out.splitlines()
    assert lines[0] == "assetgen doctor — route images (no manifest: environment only)"
    assert lines[1].startswith("ok   configuration") and f"({len(TEST_KEY)} chars" in lines[1]
    assert any(line.startswith("ok   model access") and "gpt-image-2" in line for line in lines)
    assert "classification: works" in result.out
    assert "  request_id     req_" in result.out and "  timestamp" in result.out
    for part in (TEST_KEY, TEST_KEY[:7], TEST_KEY[-4:]):
        assert part not in result.output
    assert [r.path for r in openai_env.requests] == ["/v1/models", "/v1/models/gpt-image-2"]


def test_certificates_that_cannot_load_are_one_line_naming_the_variable(
        tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    result = run_cli("-C", tmp_path, "doctor")
    assert result.code == 2, result.output
    assert "cannot load the TLS certificates of SSL_CERT_FILE=" in result.err
    assert "Traceback" not in result.output and openai_env.requests == []


def test_json_shape(tmp_path: Path, openai_env: Emulator) -> None:
    result, doc = doctor(tmp_path)
    assert result.code == 0 and result.err == ""
    assert set(doc) == {"route", "manifest", "live", "ok", "exit_code", "steps",
                        "classification", "evidence"}
    assert doc["ok"] is True and doc["exit_code"] == 0 and doc["live"] is False
    assert [s["name"] for s in doc["steps"]] == ["configuration", "base URL", "reachability",
                                                 "authentication", "model access"]
    assert all(set(s) == {"name", "status", "ok", "detail", "surface"} for s in doc["steps"])
    assert doc["classification"]["surface"] == "works"
    evidence = doc["evidence"]
    assert set(evidence) == EVIDENCE_KEYS
    assert evidence["endpoint"] == f"GET {openai_env.base_url}/models/gpt-image-2"
    assert evidence["http_status"] == 200 and evidence["api_key"] == "present (never shown)"
    assert evidence["timestamp"][-6] in "+-"  # a time zone offset


def test_live_images_makes_one_low_quality_generation(tmp_path: Path,
                                                      openai_env: Emulator) -> None:
    result, doc = doctor(tmp_path, "--live")
    assert result.code == 0, result.err
    live = doc["steps"][-1]
    assert live["name"] == "live" and live["status"] == "ok"
    assert "1024x1024 png" in live["detail"] and "openai-api" in live["detail"]
    sent = openai_env.requests_to("/v1/images/generations")
    assert len(sent) == 1 and sent[0].json["quality"] == "low"
    assert doc["evidence"]["endpoint"].startswith("POST ")


def test_live_responses_checks_the_split(tmp_path: Path, openai_env: Emulator) -> None:
    result, doc = doctor(tmp_path, "--route", "responses", "--live")
    assert result.code == 0, result.err
    names = [s["name"] for s in doc["steps"]]
    assert names == ["configuration", "base URL", "reachability", "authentication",
                     "model split", "model access", "model access", "live"]
    assert "gpt-5.5 (top level, text) calls image_generation with gpt-image-2" in \
        doc["steps"][4]["detail"]
    body = openai_env.last("/v1/responses").json
    assert body["model"] == "gpt-5.5" and body["tools"][0]["quality"] == "low"


def test_live_gateway(gateway_site: Path, emulator: Emulator) -> None:
    result, doc = doctor(gateway_site, "--live")  # the manifest's default route
    assert result.code == 0, result.err
    assert doc["route"] == "gateway" and doc["manifest"] == "assetgen.yaml"
    steps = {s["name"]: s for s in doc["steps"]}
    assert "GATEWAY_API_KEY set" in steps["configuration"]["detail"]
    assert "gpt-image-2 is in the provider's list" in steps["provider models"]["detail"]
    assert "billing provider:example" in steps["live"]["detail"]
    assert emulator.count("/gateway/v1/images/generations") == 1
    assert doc["evidence"]["base_url"] == emulator.gateway_url


def test_draft_needs_nothing(tmp_path: Path) -> None:
    result, doc = doctor(tmp_path, "--route", "draft", "--live")
    assert result.code == 0 and surface(doc) == "works"


# ------------------------------------------------------------------ failure surfaces


def test_missing_key_is_configuration(tmp_path: Path, emulator: Emulator,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    result, doc = doctor(tmp_path)
    assert result.code == 1 and surface(doc) == "configuration"
    assert doc["steps"][0]["status"] == "fail" and "OPENAI_API_KEY" in doc["steps"][0]["detail"]
    assert doc["evidence"]["api_key"] == "absent"


def test_auth(tmp_path: Path, openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
    result, doc = doctor(tmp_path)
    assert result.code == 1 and surface(doc) == "auth"
    evidence = doc["evidence"]
    assert evidence["http_status"] == 401 and evidence["error_code"] == "invalid_api_key"
    assert evidence["request_id"].startswith("req_")
    # The API echoes part of the key ("sk-***q9x"): doctor shows no part of it.
    for part in (WRONG_KEY, WRONG_KEY[-4:], "sk-"):
        assert part not in result.output
    text = run_cli("-C", tmp_path, "doctor")
    assert text.code == 1 and "classification: authentication" in text.out
    assert "fail authentication" in text.out and WRONG_KEY[-4:] not in text.output


def test_access_or_verification(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.forbidden_models = {"gpt-image-2"}
    result, doc = doctor(tmp_path)
    assert result.code == 1 and surface(doc) == "access"
    assert doc["evidence"]["error_code"] == "organization_verification_required"
    assert doc["evidence"]["endpoint"] == f"GET {openai_env.base_url}/models/gpt-image-2"
    assert doc["evidence"]["http_status"] == 403


def test_provider_mapping_from_a_non_openai_base_url(tmp_path: Path,
                                                     openai_env: Emulator) -> None:
    openai_env.known_models.discard("gpt-image-2")
    result, doc = doctor(tmp_path)
    assert result.code == 1 and surface(doc) == "provider-mapping"
    assert doc["evidence"]["error_code"] == "model_not_found"
    assert doc["evidence"]["http_status"] == 404


def test_model_not_found_from_openai_itself_is_access(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"object": "list", "data": []})
        return httpx.Response(404, headers={"x-request-id": "req_abc",
                                            "openai-organization": "org-demo"},
                              json={"error": {"message": "The model `gpt-image-2` does not "
                                              "exist or you do not have access to it.",
                                              "type": "invalid_request_error",
                                              "code": "model_not_found"}})

    out, err = io.StringIO(), io.StringIO()
    result = doctor_command.run(None, tmp_path, route="images", live=False,
                                environ={"OPENAI_API_KEY": TEST_KEY,
                                         "OPENAI_PROJECT_ID": "proj_1"},
                                transport=httpx.MockTransport(handler))
    render_doctor.show(Console(json_mode=True, out=out, err=err), result)
    doc = json.loads(out.getvalue())
    assert result.exit_code == 1 and surface(doc) == "access"
    evidence = doc["evidence"]
    assert evidence["base_url"] == "https://api.openai.com/v1"
    assert (evidence["request_id"], evidence["organization"], evidence["project"]) == (
        "req_abc", "org-demo", "proj_1")


def test_provider_mapping_at_the_gateway(gateway_site: Path, emulator: Emulator) -> None:
    manifest = gateway_site / "assetgen.yaml"
    manifest.write_text(manifest.read_text().replace("provider: example",
                                                     "provider: example\n    model: flux-9"))
    result, doc = doctor(gateway_site)
    assert result.code == 1 and surface(doc) == "provider-mapping"
    failed = [s for s in doc["steps"] if s["status"] == "fail"]
    assert failed[0]["name"] == "provider models" and "gpt-image-2" in failed[0]["detail"]


def test_gateway_auth_and_missing_key(gateway_site: Path, emulator: Emulator,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_API_KEY", "gw-wrong-key-777")
    result, doc = doctor(gateway_site)
    assert surface(doc) == "auth" and "gw-wrong-key-777" not in result.output
    monkeypatch.delenv("GATEWAY_API_KEY")
    result, doc = doctor(gateway_site, "--route", "gateway")
    assert result.code == 1 and surface(doc) == "configuration"
    assert "GATEWAY_API_KEY is not set" in doc["steps"][0]["detail"]


def test_gateway_edit_without_public_urls(gateway_site: Path, emulator: Emulator) -> None:
    manifest = gateway_site / "assetgen.yaml"
    manifest.write_text(manifest.read_text() + "  - id: night\n    path: img/night.png\n"
                        "    prompt: At night\n    edit:\n      images: [hero]\n")
    result, doc = doctor(gateway_site)
    assert result.code == 1 and surface(doc) == "configuration"
    assert "URLs only" in doc["steps"][-1]["detail"]


def test_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{closed_port()}/v1")
    result, doc = doctor(tmp_path, "--live")
    assert result.code == 1 and surface(doc) == "network"
    assert doc["evidence"]["error_code"] == "connection_error"
    assert doc["evidence"]["http_status"] is None
    assert [s["status"] for s in doc["steps"]][-2:] == ["skip", "skip"]  # auth, live


def test_live_failure_is_classified(tmp_path: Path, openai_env: Emulator) -> None:
    openai_env.inject("moderation")
    result, doc = doctor(tmp_path, "--live")
    assert result.code == 1 and surface(doc) == "request"
    assert doc["steps"][-1]["name"] == "live"
    assert doc["evidence"]["error_code"] == "moderation_blocked"
    assert doc["evidence"]["endpoint"].endswith("/v1/images/generations")


def test_tool_model_must_be_an_image_model(tmp_path: Path, openai_env: Emulator) -> None:
    site = write_site(tmp_path, "version: 1\ndefaults:\n  route: responses\n  model: gpt-5\n"
                      "assets: []\n")
    result, doc = doctor(site)
    assert result.code == 1 and surface(doc) == "configuration"
    assert doc["steps"][-1]["name"] == "model split"


@pytest.mark.parametrize("logged_in", [True, False])
def test_codex_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       logged_in: bool) -> None:
    from assetgen.routes import codex

    def diagnostics(settings: Any, environ: Any) -> list[tuple[str, bool, str]]:
        return [("codex binary", True, "/usr/local/bin/codex (codex-cli 0.50.0)"),
                ("codex login", logged_in,
                 "Logged in using ChatGPT" if logged_in else "Not logged in — run `codex login`")]

    monkeypatch.setattr(codex, "codex_diagnostics", diagnostics)
    result, doc = doctor(tmp_path, "--route", "codex")
    assert result.code == (0 if logged_in else 1)
    assert surface(doc) == ("works" if logged_in else "codex-session")
    assert [s["name"] for s in doc["steps"]] == ["codex binary", "codex login"]
    text = run_cli("-C", tmp_path, "doctor", "--route", "codex")
    assert ("fail codex login" in text.out) is not logged_in


@pytest.mark.parametrize("logged_in", [True, False])
def test_codex_against_the_fake_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    logged_in: bool) -> None:
    import os

    from tests.fakes import codex_cli

    bin_dir, home = tmp_path / "bin", tmp_path / "codex-home"
    codex_cli.install(bin_dir)
    home.mkdir()
    if logged_in:
        (home / "auth.json").write_text('{"tokens": {"access_token": "x"}}')
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("CODEX_HOME", str(home))
    monkeypatch.setenv("FAKE_CODEX_LOG", str(tmp_path / "calls.jsonl"))
    result, doc = doctor(tmp_path, "--route", "codex", "--live")
    assert result.code == (0 if logged_in else 1), result.output
    assert surface(doc) == ("works" if logged_in else "codex-session")
    live = doc["steps"][-1]
    assert live["name"] == "live"
    assert live["status"] == ("ok" if logged_in else "skip")
    if logged_in:
        assert "billing codex-credits" in live["detail"]


IMAGE_MODEL_ON_TOP = """\
version: 1
defaults:
  route: responses
routes:
  responses:
    model: gpt-image-2
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket"
"""


@pytest.fixture
def image_model_on_top(tmp_path: Path, openai_env: Emulator,
                       monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-doctor-test")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_doctor_test")
    return write_site(tmp_path, IMAGE_MODEL_ON_TOP)


def test_a_manifest_configuration_error_gets_the_evidence_packet_as_json(
        image_model_on_top: Path, openai_env: Emulator) -> None:
    """The one case doctor exists for must not stop at manifest load with exit 2."""
    result, doc = doctor(image_model_on_top, "--route", "responses", "--live")
    assert result.code == 1 and doc["exit_code"] == 1 and doc["ok"] is False
    assert doc["manifest"] == "assetgen.yaml"
    assert surface(doc) == "configuration"
    first = doc["steps"][0]
    assert first["name"] == "manifest" and first["status"] == "fail"
    assert first["surface"] == "configuration"
    assert ("assetgen.yaml:6: routes.responses.model `gpt-image-2` is an image model — "
            in first["detail"])
    # The other checks still ran, on the settings as written.
    steps = {s["name"]: s["status"] for s in doc["steps"]}
    assert steps["reachability"] == "ok" and steps["authentication"] == "ok"
    assert steps["model split"] == "fail" and steps["live"] == "skip"
    evidence = doc["evidence"]
    assert set(evidence) == EVIDENCE_KEYS
    assert evidence["route"] == "responses" and evidence["model"] == "gpt-image-2"
    assert evidence["base_url"] == openai_env.base_url
    assert evidence["endpoint"] == f"POST {openai_env.base_url}/responses"
    assert evidence["http_status"] is None and evidence["request_id"] is None  # none sent
    assert evidence["error_code"] == "invalid_manifest"
    assert "routes.responses.model `gpt-image-2` is an image model" in \
        evidence["error_message"]
    assert evidence["organization"] == "org-doctor-test"
    assert evidence["project"] == "proj_doctor_test"
    assert evidence["api_key"] == "present (never shown)"
    assert evidence["timestamp"][-6] in "+-"  # with its time zone
    assert openai_env.count("/v1/responses") == 0  # --live sent nothing billable


def test_a_manifest_configuration_error_gets_the_evidence_packet_as_text(
        image_model_on_top: Path, openai_env: Emulator) -> None:
    result = run_cli("-C", image_model_on_top, "doctor", "--route", "responses")
    assert result.code == 1 and "Traceback" not in result.output
    lines = result.out.splitlines()
    assert lines[0] == "assetgen doctor — route responses (assetgen.yaml)"
    assert lines[1].startswith("fail manifest") and "assetgen.yaml:6: " in lines[1]
    assert any(line.startswith("fail model split") for line in lines)
    assert "classification: configuration — fix the setting named above" in result.out
    for key, value in (("route", "responses"), ("model", "gpt-image-2"),
                       ("endpoint", f"POST {openai_env.base_url}/responses"),
                       ("base_url", openai_env.base_url), ("http_status", "—"),
                       ("error_code", "invalid_manifest"), ("request_id", "—"),
                       ("organization", "org-doctor-test"),
                       ("project", "proj_doctor_test")):
        assert f"  {key:<14} {value}" in lines, key
    message = next(line for line in lines if line.startswith("  error_message"))
    assert "is an image model" in message
    stamp = next(line for line in lines if line.startswith("  timestamp")).split()[-1]
    assert stamp[-6] in "+-"


def test_an_unreadable_manifest_is_a_configuration_step_too(tmp_path: Path,
                                                          openai_env: Emulator) -> None:
    site = write_site(tmp_path, "version: 1\nassets:\n  - id: a\n    path: [x\n")
    result, doc = doctor(site)
    assert result.code == 1 and surface(doc) == "configuration"
    assert doc["steps"][0]["name"] == "manifest"
    assert doc["evidence"]["error_code"] == "invalid_manifest"
    assert doc["evidence"]["endpoint"] == f"POST {openai_env.base_url}/images/generations"


def test_an_unknown_default_route_in_a_broken_manifest_is_diagnosed_not_a_crash(
        tmp_path: Path) -> None:
    """The route named in a manifest that did not load is hostile text: doctor diagnoses
    the default route instead of looking the unknown name up in the route registry."""
    site = write_site(tmp_path, "version: 1\ndefaults:\n  route: imagez\nassets: []\n")
    result, doc = doctor(site)
    assert result.code == 1 and doc["route"] == "images"
    assert doc["steps"][0]["name"] == "manifest" and surface(doc) == "configuration"
