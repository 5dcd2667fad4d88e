"""`assetgen snippet`: the HTML on stdout, warnings (or why there is none) on stderr."""

from __future__ import annotations

from assetgen.cli.console import Console
from assetgen.commands.snippet import SnippetResult


def show(console: Console, result: SnippetResult) -> None:
    if result.html is None:
        console.error(result.problem or f"`{result.asset_id}` has no snippet")
        return
    for line in result.warnings:
        console.warning(line)
    console.print(result.html)
