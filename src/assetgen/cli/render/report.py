"""`assetgen report`: where the page was written."""

from __future__ import annotations

from pathlib import Path

from assetgen.cli.console import Console
from assetgen.commands.report import ReportResult


def show(console: Console, result: ReportResult) -> None:
    if console.json_mode:
        console.emit_json({"output": str(result.page), "assets": result.assets,
                           "static": result.static})
        return
    console.print(f"wrote {_shown(result.page, result.cwd)} ({result.assets} assets"
                  + (f", {result.static} static" if result.static else "") + ")")


def _shown(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return str(path)
