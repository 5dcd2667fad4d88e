"""Terminal output: humans on stdout/stderr, JSON alone on stdout, secrets nowhere."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from assetgen.secrets import redact

_STYLES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}


def colour_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("CI"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


class Console:
    def __init__(self, *, json_mode: bool = False, out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self.json_mode = json_mode
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.colour = colour_enabled(self.err)

    def style(self, text: str, *names: str) -> str:
        if not self.colour or not names:
            return text
        codes = ";".join(_STYLES[n] for n in names)
        return f"\033[{codes}m{text}\033[0m"

    def print(self, text: str = "") -> None:
        """A line of the human report: stdout, or stderr when stdout carries JSON."""
        stream = self.err if self.json_mode else self.out
        stream.write(redact(text) + "\n")
        stream.flush()

    def log(self, text: str) -> None:
        self.err.write(redact(text) + "\n")
        self.err.flush()

    def error(self, text: str) -> None:
        self.log(self.style("error:", "red", "bold") + " " + text)

    def emit_json(self, document: Any) -> None:
        self.out.write(redact(json.dumps(document, indent=2, sort_keys=True, default=str))
                       + "\n")
        self.out.flush()


def table(rows: list[list[str]], headers: list[str]) -> list[str]:
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(row)).rstrip())
    return lines
