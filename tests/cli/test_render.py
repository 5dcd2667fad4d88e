"""The CLI's side of reporting: the console listener and the rendering of results."""

from __future__ import annotations

import io
import json
from pathlib import Path

from assetgen.cli.console import Console
from assetgen.cli.progress import ConsoleListener, ProgressLog
from assetgen.cli.render import build as render_build
from assetgen.cli.render import snippet as render_snippet
from assetgen.commands import build
from assetgen.commands.snippet import SnippetResult
from tests.fakes.sites import BASIC_MANIFEST, write_site


def _console(json_mode: bool = False) -> tuple[Console, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Console(json_mode=json_mode, out=out, err=err), out, err


def test_the_console_listener_writes_warnings_and_notes_to_stderr() -> None:
    console, out, err = _console()
    listener = ConsoleListener(console)
    listener.warning("big.png is big")
    listener.note("recovered: a half-written file")
    assert isinstance(listener.progress(3), ProgressLog)
    assert out.getvalue() == ""
    assert err.getvalue().splitlines() == ["warning: big.png is big",
                                           "recovered: a half-written file"]


def test_a_build_renders_as_text_or_as_one_json_document(tmp_path: Path) -> None:
    site = write_site(tmp_path, BASIC_MANIFEST)
    result = build.run(None, site, [], draft=True)

    console, out, _ = _console()
    render_build.show(console, result)
    lines = out.getvalue().splitlines()
    assert lines[0] == "build: 2 generated"
    assert lines[1] == "cost: $0.0000 actual, $0.0000 estimated"
    assert "routes: draft 2" in lines

    console, out, _ = _console(json_mode=True)
    render_build.show(console, result)
    document = json.loads(out.getvalue())
    assert document["counts"] == {"generated": 2} and document["exit_code"] == 0
    assert document["plan"]["summary"]["total"] == 2
    assert {a["asset_id"] for a in document["assets"]} == {"hero", "card"}


def test_a_snippet_problem_is_one_error_line() -> None:
    console, out, err = _console()
    render_snippet.show(console, SnippetResult("hero", None, problem="`hero` has not been "
                                               "built yet"))
    assert out.getvalue() == ""
    assert err.getvalue() == "error: `hero` has not been built yet\n"
