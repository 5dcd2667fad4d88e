"""Commands called as a library: results and exit codes, reports through a Listener,
nothing written to the terminal."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assetgen.build.engine import Event, EventSink
from assetgen.commands import build, plan, schema, snippet
from assetgen.commands.reporting import Listener
from tests.fakes.sites import BASIC_MANIFEST, write_site

BIG_SIZE_MANIFEST = textwrap.dedent("""\
    version: 1
    assets:
      - {id: big, path: big.png, prompt: x, size: 3840x2160}
    """)


class Recorder:
    """A Listener that keeps what it was told."""

    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.totals: list[int] = []
        self.events: list[Event] = []

    def warning(self, text: str) -> None:
        self.warnings.append(text)

    def note(self, text: str) -> None:
        self.notes.append(text)

    @contextmanager
    def progress(self, total: int) -> Iterator[EventSink]:
        self.totals.append(total)
        yield self.events.append


def test_a_recorder_is_a_listener() -> None:
    listener: Listener = Recorder()  # mypy checks the protocol here
    assert listener is not None


def test_plan_returns_statuses_and_warnings_and_prints_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, BIG_SIZE_MANIFEST, {"public/.keep": ""})
    result = plan.run(None, site, [], draft=False)
    assert [s.asset.id for s in result.statuses] == ["big"]
    assert result.summary.total == 1 and result.summary.to_build == 1
    assert result.summary.by_state == {"missing": 1}
    assert len(result.warnings) == 1 and "experimental" in result.warnings[0]
    assert result.exit_code == 0
    assert capsys.readouterr() == ("", "")


def test_a_draft_build_reports_progress_through_its_listener(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    recorder = Recorder()
    result = build.run(None, site, [], draft=True, listener=recorder)
    assert result.exit_code == 0
    assert result.outcomes is not None
    assert sorted((o.asset_id, o.action) for o in result.outcomes) == [
        ("card", "generated"), ("hero", "generated")]
    assert result.summary.counts == {"generated": 2}
    assert recorder.totals == [2]
    done = [e.asset_id for e in recorder.events if e.kind == "done"]
    assert sorted(done) == ["card", "hero"]
    assert capsys.readouterr() == ("", "")

    again = build.run(None, site, [], draft=True, listener=recorder)
    assert again.outcomes is not None and {o.action for o in again.outcomes} == {"skipped"}
    assert recorder.totals == [2]  # nothing to build: no progress at all


def test_a_dry_run_warns_and_runs_nothing(tmp_path: Path) -> None:
    site = write_site(tmp_path, BIG_SIZE_MANIFEST)
    recorder = Recorder()
    result = build.run(None, site, [], dry_run=True, listener=recorder)
    assert result.outcomes is None and result.exit_code == 0
    assert len(recorder.warnings) == 1 and "3840x2160" in recorder.warnings[0]
    assert recorder.totals == []
    checked = build.run(None, site, [], check=True)
    assert checked.outcomes is None and checked.exit_code == 1  # something would be built


def test_a_snippet_of_an_unbuilt_asset_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    result = snippet.run(None, site, "hero", sizes_attr=None)
    assert result.html is None and result.exit_code == 1
    assert result.problem is not None and "assetgen build hero" in result.problem


def test_schema_is_a_document() -> None:
    result = schema.run()
    assert result.exit_code == 0 and "properties" in result.schema
