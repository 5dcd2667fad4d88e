"""Terminal output: humans on stdout/stderr, JSON alone on stdout, secrets nowhere."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, TextIO

from assetgen.core.secrets import redact

_STYLES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "dim": "2", "bold": "1"}
_OUR_CODES = frozenset({*_STYLES.values(), "0"})

# Terminal escape sequences as a whole (so an OSC title's text goes with it): CSI
# (`ESC[2J`), OSC (`ESC]0;title BEL`), DCS/APC/PM/SOS strings, then two-byte escapes.
_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?"
                     r"|\x1b[\]P^_X][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                     r"|\x9b[0-?]*[ -/]*[@-~]?"
                     r"|\x1b[ -~]?")
# C0 controls but newline and tab, DEL, C1 controls, and the bidi overrides/isolates that
# make a terminal show text in another order than it is (a file name, a remedy).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def terminal_safe(text: str, *, keep_style: bool = False) -> str:
    """``text`` without control characters or escape sequences, for a terminal.

    Every line printed goes through here, so untrusted text (server messages, file
    names, sidecar fields) cannot set the title, clear the screen or hide itself. With
    ``keep_style`` the colour sequences `Console.style` makes are kept (an untrusted one
    using the same codes can do no more than colour text).
    """
    parts: list[str] = []
    start = 0
    for match in _ESCAPE.finditer(text):
        parts.append(_CONTROL.sub("", text[start:match.start()]))
        sgr = _SGR.fullmatch(match.group(0))
        if keep_style and sgr and set(sgr.group(1).split(";")) <= _OUR_CODES:
            parts.append(match.group(0))
        start = match.end()
    parts.append(_CONTROL.sub("", text[start:]))
    return "".join(parts)


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
        stream.write(self.safe(text) + "\n")
        stream.flush()

    def log(self, text: str) -> None:
        self.err.write(self.safe(text) + "\n")
        self.err.flush()

    def safe(self, text: str) -> str:
        """A line as it may reach the terminal: secrets masked, no control characters."""
        return terminal_safe(redact(text), keep_style=self.colour)

    def error(self, text: str) -> None:
        self.log(self.style("error:", "red", "bold") + " " + text)

    def warning(self, text: str) -> None:
        self.log(self.style("warning:", "yellow") + " " + text)

    def emit_json(self, document: Any) -> None:
        # ensure_ascii (the default) writes every control character as a \\u escape.
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
