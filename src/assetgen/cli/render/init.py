"""`assetgen init`: one line per file (created / updated / unchanged / kept / skipped)."""

from __future__ import annotations

from assetgen.cli.console import Console
from assetgen.commands.init import InitResult

VERB_STYLE = {"created": ("green",), "updated": ("green",), "skipped": ("red",)}


def show(console: Console, result: InitResult) -> None:
    for step in result.steps:
        word = console.style(f"{step.verb:<9}", *VERB_STYLE.get(step.verb, ("dim",)))
        console.print(f"{word} {step.name}" + (f"  ({step.detail})" if step.detail else ""))
    console.print("next: assetgen build --draft   (offline placeholders), then assetgen verify")
