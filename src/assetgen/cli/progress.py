"""Reporting while a command runs: build progress, one line per event, plus a live status
line on a terminal; warnings and notes as they happen (`ConsoleListener`).

The live line (in flight, done/total, elapsed, cost so far, retries) is drawn only
when stderr is a TTY and neither `CI` nor `NO_COLOR` is set; logs stay plain
line-per-event otherwise, so CI logs and pipes read cleanly.
"""

from __future__ import annotations

import threading
import time

from assetgen.build.engine import Event
from assetgen.cli.console import Console
from assetgen.images.cost import format_usd

ACTION_STYLE = {"generated": ("green",), "edited": ("green",), "resumed": ("green",),
                "rederived": ("green",), "skipped": ("dim",), "failed": ("red", "bold"),
                "blocked": ("red",), "budget": ("yellow",), "collected": ("green",),
                "submitted": ("cyan",), "deferred": ("dim",)}
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_CLEAR = "\r\033[K"
TICK_S = 0.25


class ProgressLog:
    """Receives engine events; prints a line per finished asset and per retry."""

    def __init__(self, console: Console, total: int, *, live: bool | None = None) -> None:
        self.console = console
        self.total = total
        self.done = 0
        self.retries = 0
        self.cost = 0.0
        self.in_flight: list[str] = []
        self.started = time.monotonic()
        self.live = console.colour if live is None else live
        self._lock = threading.Lock()
        self._frame = 0
        self._ticker: threading.Thread | None = None
        self._stop = threading.Event()

    def __enter__(self) -> ProgressLog:
        if self.live and self.total:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.live:
            with self._lock:
                self.console.err.write(_CLEAR)
                self.console.err.flush()

    def __call__(self, event: Event) -> None:
        with self._lock:
            if event.kind == "start" and event.asset_id not in self.in_flight:
                self.in_flight.append(event.asset_id)
            elif event.kind == "retry":
                self.retries += 1
                self._line(f"  retry    {event.asset_id}: {event.message}")
            elif event.kind == "done" and event.outcome is not None:
                self._finished(event)
            self._draw()

    def _finished(self, event: Event) -> None:
        outcome = event.outcome
        assert outcome is not None
        if event.asset_id in self.in_flight:
            self.in_flight.remove(event.asset_id)
        if outcome.action == "skipped":
            return
        self.done += 1
        self.cost += outcome.cost_usd or 0.0
        word = self.console.style(f"{outcome.action:<9}", *ACTION_STYLE[outcome.action])
        detail = outcome.error or ", ".join(filter(None, [
            outcome.route, f"{outcome.duration_s:.1f}s" if outcome.duration_s else "",
            format_usd(outcome.cost_usd) if outcome.cost_usd else "",
            f"{outcome.retries} retries" if outcome.retries else ""]))
        self._line(f"[{self.done}/{self.total}] {word} {outcome.asset_id}  {detail}")

    def status(self) -> str:
        elapsed = int(time.monotonic() - self.started)
        flying = ", ".join(self.in_flight[:3]) + (" …" if len(self.in_flight) > 3 else "")
        parts = [f"{self.done}/{self.total} done", f"{elapsed // 60:02d}:{elapsed % 60:02d}",
                 f"{format_usd(self.cost)} so far"]
        if self.in_flight:
            parts.insert(1, f"{len(self.in_flight)} in flight ({flying})")
        if self.retries:
            parts.append(f"{self.retries} retr{'y' if self.retries == 1 else 'ies'}")
        return " · ".join(parts)

    def _line(self, text: str) -> None:
        if self.live:
            self.console.err.write(_CLEAR)
        self.console.log(text)

    def _draw(self) -> None:
        if not self.live or not self.total:
            return
        self._frame = (self._frame + 1) % len(_SPINNER)
        spinner = self.console.style(_SPINNER[self._frame], "blue")
        self.console.err.write(f"{_CLEAR}{spinner} {self.console.safe(self.status())}")
        self.console.err.flush()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            with self._lock:
                self._draw()


class ConsoleListener:
    """The `assetgen.commands.reporting.Listener` of the command line: lines on stderr."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def warning(self, text: str) -> None:
        self.console.warning(text)

    def note(self, text: str) -> None:
        self.console.log(text)

    def progress(self, total: int) -> ProgressLog:
        return ProgressLog(self.console, total)
