from __future__ import annotations

import io

import pytest

from assetgen.build.engine import Event, Outcome
from assetgen.cli.console import Console
from assetgen.cli.progress import ProgressLog


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _events(progress: ProgressLog) -> None:
    progress(Event("start", "hero"))
    progress(Event("start", "card"))
    progress(Event("retry", "hero", message="images: HTTP 503; retrying in 1.0s"))
    progress(Event("done", "hero", outcome=Outcome("hero", "generated", route="images.generate",
                                                     cost_usd=0.25, duration_s=1.5,
                                                     retries=1)))
    progress(Event("done", "card", outcome=Outcome("card", "skipped")))


def test_plain_mode_prints_one_line_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    err = FakeTTY()
    monkeypatch.setenv("CI", "true")  # CI (or NO_COLOR) turns the live line off
    with ProgressLog(Console(err=err), total=1) as progress:
        _events(progress)
    text = err.getvalue()
    assert "\r" not in text and "\033" not in text
    assert text.splitlines() == [
        "  retry    hero: images: HTTP 503; retrying in 1.0s",
        "[1/1] generated hero  images.generate, 1.5s, $0.2500, 1 retries",
    ]


def test_live_mode_draws_a_status_line_on_a_tty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    err = FakeTTY()
    with ProgressLog(Console(err=err), total=2) as progress:
        progress(Event("start", "other"))
        assert "1 in flight (other)" in progress.status()
        _events(progress)
        assert progress.status().startswith("1/2 done · 1 in flight (other)")
        assert "$0.2500 so far" in progress.status() and "1 retry" in progress.status()
    text = err.getvalue()
    assert "\r\033[K" in text and "done" in text
    assert text.endswith("\r\033[K")  # the status line is cleared at the end
