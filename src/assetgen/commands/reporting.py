"""How a command reports while it runs, without knowing the terminal.

Commands return a result object that the CLI renders once they finish. A command that
must say something before then (build's live progress, a warning before a long run, a
"recovered:" note) takes a `Listener`; the CLI passes one that writes to the console,
tests and library callers the `SILENT` one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from assetgen.build.engine import Event, EventSink


class Listener(Protocol):
    def warning(self, text: str) -> None:
        """Something the user should fix, though the command goes on."""

    def note(self, text: str) -> None:
        """A fact worth a line while the command runs (a file written, a repair made)."""

    def progress(self, total: int) -> AbstractContextManager[EventSink]:
        """Receives the build engine's events for ``total`` assets while it is entered."""


def _ignore(event: Event) -> None:
    return None


class Silent:
    """A listener that drops everything."""

    def warning(self, text: str) -> None:
        return None

    def note(self, text: str) -> None:
        return None

    @contextmanager
    def progress(self, total: int) -> Iterator[EventSink]:
        yield _ignore


SILENT: Listener = Silent()
