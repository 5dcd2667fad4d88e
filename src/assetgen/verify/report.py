"""What `assetgen verify` reports: the finding states, one `Finding` per problem, and a
site's `LineageReport`. Plain data with its text and JSON forms; the check that fills it is
`verify/check.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

ERROR_STATES = ("missing", "tampered", "unrecorded", "untracked", "orphan-sidecar", "unknown",
                "broken-ref", "unmarked", "uncredentialed")
WARNING_STATES = ("stale", "draft", "submitted", "unreferenced", "aspect-mismatch",
                  "unresolved", "no-folder")
STATES = ("fresh", *ERROR_STATES, *WARNING_STATES)
# Why a reference was not followed (`LineageReport.skipped`, the scanner's counts).
SKIP_REASONS = ("external", "data", "template", "not-image", "package", "unreadable")


class Finding(NamedTuple):
    """One problem: the file it is about, its state word, what is wrong and what to do."""

    path: Path  # absolute: the image (or sidecar) the problem is about
    state: str
    severity: str  # "error" | "warning"
    message: str  # what is wrong
    remedy: str  # what to do about it
    page: Path | None = None  # the referring page, for reference problems
    line: int | None = None
    asset_id: str | None = None

    def format(self, show: Callable[[Path], str]) -> str:
        """`path: state — what is wrong; what to do` (paths through ``show``)."""
        return f"{show(self.path)}: {self.state} — {self.message}; {self.remedy}"

    def as_json(self, show: Callable[[Path], str]) -> dict[str, Any]:
        return {"path": show(self.path), "state": self.state, "severity": self.severity,
                "message": self.message, "remedy": self.remedy,
                "page": show(self.page) if self.page is not None else None,
                "line": self.line, "asset": self.asset_id}


@dataclass
class LineageReport:
    """What one site's lineage check found, with the counts its summary line shows."""

    findings: list[Finding]
    by_state: dict[str, int]  # every state with its count, fresh included
    assets: int  # declared assets checked
    static: int  # static images checked
    references: int  # references considered
    pages: int  # pages scanned
    skipped: dict[str, int]  # references skipped, by reason (external, data, template, ...)
    scoped: bool  # only what some files touch was checked
    files: int = 0  # given files that are this site's pages or images under one of its roots

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


def no_skips() -> dict[str, int]:
    return dict.fromkeys(SKIP_REASONS, 0)


def severity_of(state: str, strict: bool) -> str:
    return "error" if strict or state in ERROR_STATES else "warning"
