from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import codex_cli
from tests.fakes.codex_cli import Codex
from tests.fakes.emulator import Emulator
from tests.fakes.sites import png_bytes

TEST_KEY = "sk-test-emulator-0123456789abcdef"


SECRETS_SEEN: set[str] = {TEST_KEY, "gw-test-key"}
# Tests that plant keys on purpose, to prove the scanner finds them.
_PLANTING_TESTS = ("test_the_audit_finds_planted",)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's real keys, base URLs or colour settings; every key a
    test did set is remembered for the end-of-session secrets audit."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "GATEWAY_", "ASSETGEN_", "CODEX_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("ASSETGEN_RETRY_BASE_S", "0.02")
    yield
    from assetgen.core.secrets import secret_values

    SECRETS_SEEN.update(v for v in secret_values() if len(v) >= 8)


@pytest.fixture(scope="session", autouse=True)
def _secrets_audit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole suite: no file any test wrote and no CLI output holds a key or an
    unmasked Authorization header (SPEC: secrets never reach a file, log or terminal)."""
    yield
    from tests.fakes.reliability import scan_files, secret_hits
    from tests.fakes.sites import CAPTURED_OUTPUTS

    secrets = sorted(SECRETS_SEEN)
    base = tmp_path_factory.getbasetemp()
    hits = {path: found for path, found in scan_files([base], secrets).items()
            if not any(name in path for name in _PLANTING_TESTS)}
    leaks = [found for text in CAPTURED_OUTPUTS if (found := secret_hits(text, secrets))]
    assert not hits and not leaks, f"secrets leaked: files {hits}, outputs {leaks[:5]}"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=TEST_KEY) as emu:
        yield emu
        assert emu.schema_errors == [], "requests did not match the OpenAPI schemas"


@pytest.fixture
def openai_env(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> Emulator:
    """Point the OpenAI routes at the emulator with a test key."""
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    return emulator


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


@pytest.fixture
def codex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Codex:
    """A fake `codex` CLI on PATH with a logged-in user home (see tests/fakes/codex_cli.py)."""
    bin_dir = tmp_path / "bin"
    codex_cli.install(bin_dir)
    user_home = tmp_path / "user-codex"
    (user_home / "generated_images" / "old-session").mkdir(parents=True)
    (user_home / "auth.json").write_text('{"tokens": {"access_token": "x"}}')
    (user_home / "config.toml").write_text('model = "gpt-5.5"\n')
    (user_home / "history.jsonl").write_text("{}\n")  # not config: must not be linked
    stale = user_home / "generated_images" / "old-session" / "ig_newest.png"
    stale.write_bytes(png_bytes(300, 300))  # "the newest PNG" of another session
    future = time.time() + 3600
    os.utime(stale, (future, future))
    tmp, decoys = tmp_path / "tmp", tmp_path / "decoys"
    tmp.mkdir()
    decoys.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("CODEX_HOME", str(user_home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setenv("FAKE_CODEX_LOG", str(tmp_path / "codex-calls.jsonl"))
    monkeypatch.setenv("FAKE_CODEX_DECOY_DIR", str(decoys))
    return Codex(bin_dir, user_home, tmp_path / "codex-calls.jsonl", tmp, decoys)
