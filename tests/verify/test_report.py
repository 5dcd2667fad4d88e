"""The verify report: states, severities and the two forms of a finding."""

from __future__ import annotations

from pathlib import Path

from assetgen.verify.report import (
    ERROR_STATES,
    STATES,
    WARNING_STATES,
    Finding,
    LineageReport,
    severity_of,
)


def test_every_state_has_one_severity_and_strict_makes_all_errors() -> None:
    assert not set(ERROR_STATES) & set(WARNING_STATES) and STATES[0] == "fresh"
    assert {severity_of(s, False) for s in ERROR_STATES} == {"error"}
    assert {severity_of(s, False) for s in WARNING_STATES} == {"warning"}
    assert {severity_of(s, True) for s in STATES} == {"error"}


def test_a_finding_renders_as_one_line_and_as_json() -> None:
    finding = Finding(Path("/site/public/a.png"), "broken-ref", "error", "no such file",
                      "fix the path", page=Path("/site/index.html"), line=3, asset_id=None)
    def show(path: Path) -> str:
        return path.name

    assert finding.format(show) == "a.png: broken-ref — no such file; fix the path"
    assert finding.as_json(show) == {
        "path": "a.png", "state": "broken-ref", "severity": "error",
        "message": "no such file", "remedy": "fix the path", "page": "index.html",
        "line": 3, "asset": None}
    warning = Finding(Path("/b.png"), "stale", "warning", "m", "r")
    report = LineageReport([finding, warning], {}, 1, 0, 1, 1, {}, scoped=False)
    assert (report.errors, report.warnings) == (1, 1)
