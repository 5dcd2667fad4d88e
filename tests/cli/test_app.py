"""The CLI's error boundary: exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from assetgen import __version__
from tests.fakes.sites import BASIC_MANIFEST, run_cli, write_site


def test_version_and_help_with_examples() -> None:
    assert run_cli("--version").out.strip() == f"assetgen {__version__}"
    for command in ("build", "plan", "verify", "adopt", "doctor", "report", "init", "schema",
                    "snippet"):
        result = run_cli(command, "--help")
        assert result.code == 0 and "Example" in result.out, command


def test_bad_flags_exit_2_with_a_hint() -> None:
    result = run_cli("build", "--concurrency", "0")
    assert result.code == 2 and "Traceback" not in result.output
    assert "see `assetgen build --help`" in result.err
    assert run_cli("no-such-command").code == 2
    assert run_cli("-C", "/definitely/not/here", "plan").code == 2


def test_a_bug_is_exit_4_with_the_traceback_in_a_log(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from assetgen.commands import plan

    def explode(*args: object, **kwargs: object) -> int:
        raise RuntimeError("an assetgen bug")

    monkeypatch.setattr(plan, "run", explode)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    site = write_site(tmp_path / "site", BASIC_MANIFEST)
    first = run_cli("-C", site, "plan")
    second = run_cli("-C", site, "plan")
    assert first.code == 4 and "Traceback" not in first.output
    assert "internal error (RuntimeError)" in first.err and len(first.err.splitlines()) == 1
    logs = sorted(tmp_path.glob("assetgen-crash-*.log"))
    assert len(logs) == 2  # two crashes in one second keep two logs
    text = logs[0].read_text()
    assert "Traceback" in text and "an assetgen bug" in text
    assert "argv: assetgen -C" in text and str(logs[0]) in first.err + second.err
