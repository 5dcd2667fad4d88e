"""A build's start-up: process start to its first API request, two installs interleaved.

    python bench/first_request.py PYTHON_A PYTHON_B [--assets 40] [--rounds 20]

PYTHON_A/B: the interpreters of two installs (each its own runtime-only venv, see
README.md). Each round builds a fresh site of ``--assets`` generated images with each
install in turn (A, B, then B, A: a noisy machine slows both alike) and stops the build
at its first request: the child process replaces the HTTP boundary's send function with
one that prints the time since the parent started the process and exits. No emulator is
needed (the base URL is a closed port that is never reached), so nothing else competes
for the two cores. The throughput benchmark's "start-up" is the same span measured by
the emulator's clock, with the emulator in the same process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import client_env, write_generation_site

# Run in the child: patch `exchange` (main) or `send` (older layouts) of assetgen's HTTP
# module as it is imported, then run the CLI's `build`.
CHILD = r'''
import importlib.abc, importlib.machinery, os, sys, time
started = float(sys.argv.pop(1))

class StopAtFirstRequest(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "assetgen.routes.http":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)

            async def first_request(*args, **kwargs):
                print(f"FIRST {(time.time() - started) * 1000:.1f}", flush=True)
                os._exit(0)

            for name in ("exchange", "send"):
                if hasattr(module, name):
                    setattr(module, name, first_request)
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, StopAtFirstRequest())
sys.argv = ["assetgen", *sys.argv[1:]]
try:
    from assetgen.cli.app import main
except ImportError:  # layouts before cli/ was a package
    from assetgen.cli import main
main()
'''


def one_run(python: str, root: Path, env: dict[str, str]) -> float | None:
    started = time.time()
    done = subprocess.run([python, "-c", CHILD, str(started), "-C", str(root), "build"],
                          env=env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("FIRST "):
            return float(line.split()[1])
    print(f"{python}: no request was sent\n{done.stderr[-800:]}")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("python_a")
    parser.add_argument("python_b")
    parser.add_argument("--assets", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    env = {**os.environ, **client_env("http://127.0.0.1:9/v1")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # time cached bytecode, as users run it
    installs = {"A": args.python_a, "B": args.python_b}
    times: dict[str, list[float]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory(prefix="bench-first-") as tmp:
        for round_ in range(args.rounds):
            for label in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
                root = write_generation_site(Path(tmp) / f"{label}{round_}", args.assets)
                found = one_run(installs[label], root, env)
                if found is not None:
                    times[label].append(found)
    for label, values in times.items():
        values.sort()
        if not values:
            continue
        print(f"{label} ({installs[label]}): process start -> first request median "
              f"{statistics.median(values):.0f} ms, quartiles {values[len(values) // 4]:.0f}"
              f"-{values[3 * len(values) // 4]:.0f}, best {values[0]:.0f} "
              f"(n={len(values)}, {args.assets} assets)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
