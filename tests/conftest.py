from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.emulator import Emulator

TEST_KEY = "sk-test-emulator-0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's real keys, base URLs or colour settings."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "GATEWAY_", "ASSETGEN_", "CODEX_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("ASSETGEN_RETRY_BASE_S", "0.02")


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
