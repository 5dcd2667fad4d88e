"""Reliability: secrets never reach a file, a log or the terminal.

SPEC 2.2 / README "Provenance sidecars": API keys, Authorization headers and the value of
any variable named as a key never reach a sidecar, a log or the terminal. This runs a
representative session — builds over images/responses/gateway with faults (a 401 that
echoes part of the key, 429s whose request ids are recorded, a wrong key), plan, verify,
report, doctor (plain, --live, --json, with a rejected key), a subprocess build with a key
in its argv, and an internal error whose exception text carries the keys — capturing every
line printed, then scans every file written below the test's folder (sites, `.assetgen/`,
the masters cache, the report) and every `assetgen-crash-*.log` in the temp dir.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY
from tests.fakes.emulator import Emulator
from tests.fakes.reliability import (
    GATEWAY_KEY,
    make_site,
    scan_files,
    secret_hits,
    spawn,
    subprocess_env,
    two_asset_manifest,
)
from tests.fakes.sites import CliResult, run_cli

WRONG_KEY = "sk-wrong-but-still-secret-9f8e7d6c5b4a"
SECRETS = (TEST_KEY, GATEWAY_KEY, WRONG_KEY,
           TEST_KEY.removeprefix("sk-"), GATEWAY_KEY.removeprefix("gw-"),
           WRONG_KEY.removeprefix("sk-"))


class Transcript:
    """Every line the CLI printed during the session, labelled by command."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, str]] = []

    def run(self, *args: str | Path) -> CliResult:
        result = run_cli(*args)
        self.parts.append((" ".join(str(a) for a in args), result.out + result.err))
        return result

    def add(self, label: str, text: str) -> None:
        self.parts.append((label, text))

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.parts)

    def leaks(self) -> dict[str, list[str]]:
        return {label: hits for label, text in self.parts
                if (hits := secret_hits(text, SECRETS))}


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tempfile.gettempdir() for this test only: the crash logs written here are ours."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def keyed(openai_env: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    openai_env.gateway_key = GATEWAY_KEY
    openai_env.gateway_task_s = 0.05
    monkeypatch.setenv("GATEWAY_API_KEY", GATEWAY_KEY)
    return openai_env


def test_no_key_or_authorization_header_in_any_output_or_file(
        tmp_path: Path, keyed: Emulator, private_tmp: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    emu = keyed
    log = Transcript()
    sites = {route: make_site(tmp_path / route, two_asset_manifest(route, emu))
             for route in ("images", "responses", "gateway")}

    for route, site in sites.items():
        emu.inject("401", prompt_contains="rocket")  # echoes "sk-***cdef" of the key sent
        emu.inject("429", prompt_contains="social card", retry_after=0.05)
        failed = log.run("-C", site, "build", "--json")
        assert failed.code == 1, failed.output
        assert "invalid_api_key" in failed.out
        again = log.run("-C", site, "build")  # hero again, now fine
        assert again.code == 0, again.output
        log.run("-C", site, "plan", "--json")
        log.run("-C", site, "verify")
        log.run("-C", site, "verify", "--json")
        assert log.run("-C", site, "report", "-o", tmp_path / f"report-{route}.html").code == 0
        assert log.run("-C", site, "doctor", "--route", route, "--live").code == 0
        log.run("-C", site, "doctor", "--route", route, "--json")
    assert "[key hidden]" in log.text  # the 401's echoed key fragment was seen and masked

    # A rejected key: doctor and build quote the API's 401, which echoes part of the key.
    monkeypatch.setenv("OPENAI_API_KEY", WRONG_KEY)
    monkeypatch.setenv("GATEWAY_API_KEY", WRONG_KEY)
    for route, site in sites.items():
        assert log.run("-C", site, "doctor", "--route", route, "--json").code == 1
        assert log.run("-C", site, "build", "--force", "hero").code == 1
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    monkeypatch.setenv("GATEWAY_API_KEY", GATEWAY_KEY)

    # A key pasted where an asset id goes is echoed back in the error: masked.
    echoed = log.run("-C", sites["images"], "build", TEST_KEY)
    assert echoed.code == 2 and "***" in echoed.err

    # A real process, key in the environment and in argv.
    process = spawn(sites["gateway"], subprocess_env(emu, GATEWAY_API_KEY=GATEWAY_KEY),
                    "build", "--force", "card", GATEWAY_KEY)
    out, err = process.communicate(timeout=60)
    log.add("subprocess build", out.decode() + err.decode())
    assert process.returncode == 2

    # An internal error whose exception text carries both keys and a bearer header.
    from assetgen.commands import plan as plan_command

    def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError(f"boom {TEST_KEY} Authorization: Bearer {GATEWAY_KEY}")

    with monkeypatch.context() as patched:
        patched.setattr(plan_command, "run", explode)
        crashed = log.run("-C", sites["images"], "plan")
    assert crashed.code == 4 and "assetgen-crash-" in crashed.err
    crash_logs = sorted(private_tmp.glob("assetgen-crash-*.log"))
    assert crash_logs, "the internal error wrote no crash log"
    assert "RuntimeError: boom ***" in crash_logs[-1].read_text(encoding="utf-8")

    # Nothing printed carries a secret...
    assert log.leaks() == {}
    # ...and nothing written does: sites, .assetgen/ (masters, caches, lock), reports, logs.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 40, "the session wrote suspiciously few files"
    assert any(".assetgen/masters/index" in p.as_posix() for p in written)
    assert any(p.name.endswith(".provenance.json") for p in written)
    assert scan_files([tmp_path], SECRETS) == {}


def test_the_audit_finds_planted_secrets(tmp_path: Path) -> None:
    """The scan above can fail: a planted key, a key core and a live header are all found."""
    (tmp_path / "a.json").write_text(f'{{"key": "{TEST_KEY}"}}', encoding="utf-8")
    (tmp_path / "deep" / "b.log").parent.mkdir()
    (tmp_path / "deep" / "b.log").write_text(f"Authorization: Bearer {WRONG_KEY[:8]}",
                                             encoding="utf-8")
    (tmp_path / "c.txt").write_text(f"x{GATEWAY_KEY.removeprefix('gw-')}y", encoding="utf-8")
    (tmp_path / "fine.txt").write_text("Authorization: Bearer ***", encoding="utf-8")
    hits = scan_files([tmp_path], SECRETS)
    assert sorted(Path(p).name for p in hits) == ["a.json", "b.log", "c.txt"]
