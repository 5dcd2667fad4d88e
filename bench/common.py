"""Shared helpers of the benchmarks: the emulator, synthetic sites, timing, RSS, verdicts.

Every benchmark times real `assetgen` subprocesses (the CLI as a user runs it) against the
test emulator (`tests/fakes/emulator.py`) on 127.0.0.1 — never the network. The emulator
runs in the benchmark's own process (a thread) so that its recorded requests can be read
back (429 counts, arrival times); the clients under test run as separate processes, so the
emulator never competes with them for a GIL.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
for _path in (str(REPO), str(BENCH)):  # tests.fakes and the sibling bench modules
    if _path not in sys.path:
        sys.path.insert(0, _path)

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator

EMULATOR_KEY = "sk-test-emulator"
GENERATION_PATH = "/v1/images/generations"


# ----------------------------------------------------------------------------- emulator


@contextlib.contextmanager
def emulator(latency_s: float = 1.0, rate_limit_per_minute: int | None = None) -> Iterator[
        Emulator]:
    """The emulator in this process (a server thread); yields it, closes it after."""
    from tests.fakes.emulator import Emulator

    emu = Emulator(latency_s=latency_s, rate_limit_per_minute=rate_limit_per_minute)
    with emu:
        yield emu


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EmulatorProcess:
    """The emulator as its own process (`python tests/fakes/emulator.py`)."""

    process: subprocess.Popen[str]
    base_url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def emulator_process(latency_s: float = 1.0,
                     rate_limit_per_minute: int | None = None) -> Iterator[EmulatorProcess]:
    """The emulator as a subprocess; yields it once it listens, stops it (by its pid) after."""
    cmd = [sys.executable, str(REPO / "tests" / "fakes" / "emulator.py"),
           "--port", str(free_port()), "--latency", str(latency_s)]
    if rate_limit_per_minute:
        cmd += ["--rate-limit", str(rate_limit_per_minute)]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, cwd=REPO)
    handle = None
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        if not first.startswith("OPENAI_BASE_URL="):
            raise RuntimeError(f"the emulator did not start: {first!r}")
        handle = EmulatorProcess(process, first.partition("=")[2])
        yield handle
    finally:
        if handle is not None:
            handle.stop()
        elif process.poll() is None:
            process.kill()
            process.wait()


def client_env(base_url: str, **extra: str) -> dict[str, str]:
    """The environment of a client under test: the emulator's URL and key, no colour."""
    env = dict(os.environ)
    for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "ASSETGEN_RETRY_BASE_S"):
        env.pop(name, None)
    env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY=EMULATOR_KEY, NO_COLOR="1", CI="1",
               PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


@contextlib.contextmanager
def response_times() -> Iterator[dict[str, float]]:
    """While active, maps each emulator request id to when its 200 answer had been written
    (`time.monotonic()`, the clock of `RecordedRequest.time`): wraps the emulator's
    `emulator_openai.finish`, which every successful image answer goes through."""
    from tests.fakes import emulator_openai

    sent: dict[str, float] = {}
    original = emulator_openai.finish

    def finish(emu: Any, ex: Any, fault: Any, payload: Any) -> None:
        original(emu, ex, fault, payload)
        sent[ex.record.request_id] = time.monotonic()

    emulator_openai.finish = finish  # type: ignore[assignment]
    try:
        yield sent
    finally:
        emulator_openai.finish = original  # type: ignore[assignment]


@contextlib.contextmanager
def noise_images() -> Iterator[None]:
    """While active, the emulator answers with incompressible noise (a 2048x2048 PNG is
    ~12.6 MB, a worst case for transfer and decoding) instead of its flat shapes (~70 KB).
    One image per size and format is rendered once and reused."""
    from tests.fakes import emulator_images

    original = emulator_images.render_image
    cache: dict[tuple[int, int, str], bytes] = {}

    def render(prompt: str, width: int, height: int, output_format: str = "png",
               **_options: Any) -> bytes:
        key = (width, height, output_format or "png")
        if key not in cache:
            from PIL import Image

            image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
            buffer = io.BytesIO()
            fmt = {"jpeg": "JPEG", "webp": "WEBP"}.get(key[2], "PNG")
            image.save(buffer, fmt, **({"compress_level": 1} if fmt == "PNG" else {}))
            cache[key] = buffer.getvalue()
        return cache[key]

    emulator_images.render_image = render  # type: ignore[assignment]
    try:
        yield
    finally:
        emulator_images.render_image = original  # type: ignore[assignment]


def generation_requests(emu: Emulator) -> list[Any]:
    """The emulator's recorded `POST /v1/images/generations`, in arrival order."""
    return sorted(emu.requests_to(GENERATION_PATH), key=lambda r: r.time)


# ----------------------------------------------------------------------------- sites


def write_generation_site(root: Path, count: int, *, size: str = "1024x1024",
                          quality: str = "low", suffix: str = "png") -> Path:
    """A site of ``count`` plain generation assets (route images, gpt-image-2), nothing built."""
    lines = [
        "# synthetic site written by bench/common.py",
        "version: 1",
        "output_dir: public",
        "defaults:",
        "  route: images",
        "  model: gpt-image-2",
        f"  quality: {quality}",
        f"  size: {size}",
        "vars:",
        "  brand: Benchmark",
        "assets:",
    ]
    for i in range(count):
        lines += [f"  - id: a{i}", f"    path: img/a{i}.{suffix}",
                  f'    prompt: "picture number {i} for {{{{ brand }}}}"']
    root.mkdir(parents=True, exist_ok=True)
    (root / "assetgen.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / ".gitignore").write_text(".assetgen/\n", encoding="utf-8")
    return root


def site_prompts(count: int) -> list[str]:
    """The rendered prompts of `write_generation_site` (what the SDK baseline sends)."""
    return [f"picture number {i} for Benchmark" for i in range(count)]


def write_verify_site(root: Path, assets: int = 2000, pages: int = 500, refs: int = 5000,
                      image_bytes: int | None = None) -> None:
    """`bench/verify_bench.py`'s site (manifest, committed images + sidecars, pages).

    With ``image_bytes``, each image is padded to about that size instead of a ~100-byte PNG.
    """
    import verify_bench

    verify_bench.PAD_TO = image_bytes
    try:
        verify_bench.build_site(root, assets, pages, refs)
    finally:
        verify_bench.PAD_TO = None


def site_images(root: Path) -> list[Path]:
    """Every declared image below ``root/public/img`` (no sidecars, no SVG)."""
    return sorted(p for p in (root / "public" / "img").rglob("*.png"))


# ----------------------------------------------------------------------------- running


@dataclass
class Run:
    cmd: list[str]
    code: int
    wall_s: float
    max_rss_kb: int
    stdout: str = ""
    stderr: str = ""
    cpu_s: float = 0.0  # user + system CPU of the child

    def check(self, *allowed: int) -> Run:
        if self.code not in (allowed or (0,)):
            sys.stderr.write(f"command failed (exit {self.code}): {' '.join(self.cmd)}\n"
                             f"{self.stdout[-2000:]}\n{self.stderr[-3000:]}\n")
            raise SystemExit(f"benchmark aborted: a timed command exited {self.code}")
        return self


def run(cmd: Sequence[str | os.PathLike[str]], *, cwd: Path | None = None,
        env: dict[str, str] | None = None, timeout_s: float = 900.0) -> Run:
    """Run one command, timing its wall clock; its own peak RSS comes from `wait4`.

    `wait4` returns the rusage of exactly this child (and the descendants it waited
    for), unlike `getrusage(RUSAGE_CHILDREN)`, which is the maximum over every child
    this process ever waited for.
    """
    args = [os.fspath(c) for c in cmd]
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, c=c: c.append(s.read()), daemon=True)
               for s, c in ((process.stdout, out_chunks), (process.stderr, err_chunks))]
    for reader in readers:
        reader.start()
    killer = threading.Timer(timeout_s, process.kill)  # a hung command cannot hang the bench
    killer.start()
    try:
        _pid, status, usage = os.wait4(process.pid, 0)  # blocks without holding the GIL
    finally:
        killer.cancel()
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return Run(args, process.returncode, wall, int(usage.ru_maxrss),
               b"".join(out_chunks).decode("utf-8", "replace"),
               b"".join(err_chunks).decode("utf-8", "replace"),
               usage.ru_utime + usage.ru_stime)


def assetgen_exe() -> Path:
    """The `assetgen` console script of this interpreter's environment."""
    exe = Path(sys.executable).with_name("assetgen")
    if not exe.exists():
        raise SystemExit(f"{exe} not found: install the project first (pip install -e .)")
    return exe


def clear_state(root: Path) -> None:
    """Remove `.assetgen/` (hash cache, manifest cache, masters, lock): a fresh clone."""
    import shutil

    shutil.rmtree(root / ".assetgen", ignore_errors=True)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


# ----------------------------------------------------------------------------- results


@dataclass
class Figure:
    """One measured figure and, when it has one, its target verdict."""

    bench: str
    metric: str
    value: str
    target: str = ""
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "" if self.met is None else ("MET" if self.met else "MISSED")


def print_figures(figures: Sequence[Figure]) -> None:
    width = max((len(f.metric) for f in figures), default=10)
    for f in figures:
        target = f"  target {f.target}" if f.target else ""
        verdict = f"  [{f.verdict}]" if f.verdict else ""
        print(f"  {f.metric:<{width}}  {f.value}{target}{verdict}")


def write_json(path: str | None, figures: Sequence[Figure]) -> None:
    if path:
        Path(path).write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n",
                              encoding="utf-8")


def machine_info() -> dict[str, str]:
    """Date, CPU, nproc, Python and the commit (read-only git commands only)."""
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break

    def git(*args: str) -> str:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(["git", "--no-optional-locks", *args], cwd=REPO,
                                  capture_output=True, text=True, timeout=10, check=False)
            return done.stdout.strip()
        return ""

    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count() or ""),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "commit": git("rev-parse", "--short", "HEAD")
        + (f" (+{len(dirty.splitlines())} modified files)" if dirty else ""),
        "load": load_average(),
    }


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews wall-clock figures."""
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return ""


def print_machine() -> None:
    info = machine_info()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))


if __name__ == "__main__":
    import argparse

    argparse.ArgumentParser(description="Helpers of the benchmarks (a library); run "
                            "bench/run_all.py. Run alone, prints this machine's details.",
                            ).parse_args()
    print_machine()
