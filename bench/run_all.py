"""Run every benchmark of bench/ and print one summary table with the target verdicts.

    .venv/bin/python bench/run_all.py            # everything: about 6-7 minutes
    .venv/bin/python bench/run_all.py --quick    # no N=200 throughput, no rate limit: ~2 min
    .venv/bin/python bench/run_all.py --only startup memory --markdown

Each benchmark runs as its own process (its output is shown as it goes) and hands its
figures back as JSON; the table at the end lists every figure with its target and
MET/MISSED. The exit status is 0 whether targets are met or not (the table says), and 1
only if a benchmark itself failed to run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine_info

BENCH = Path(__file__).resolve().parent
ORDER = ("startup", "noop", "memory", "throughput", "rate_limit")
SLOW = {"rate_limit"}  # ~70 s; throughput's N=200 is dropped by --quick as well


def arguments(name: str, quick: bool) -> list[str]:
    if not quick:
        return []
    return {"throughput": ["--n", "40", "--runs", "1"], "noop": ["--runs", "3"],
            "startup": ["--runs", "5"]}.get(name, [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the assetgen benchmarks; print a table.")
    parser.add_argument("--quick", action="store_true",
                        help="skip the slow ones (rate limit, N=200 throughput); fewer runs")
    parser.add_argument("--only", nargs="+", choices=ORDER, metavar="NAME",
                        help=f"run only these ({', '.join(ORDER)})")
    parser.add_argument("--skip", nargs="+", choices=ORDER, default=[], metavar="NAME",
                        help="do not run these")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    names = [n for n in ORDER if (not args.only or n in args.only) and n not in args.skip
             and not (args.quick and n in SLOW and not args.only)]
    info = machine_info()
    figures: list[dict[str, object]] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        for name in names:
            out = Path(tmp) / f"{name}.json"
            cmd = [sys.executable, str(BENCH / f"{name}.py"), *arguments(name, args.quick),
                   "--json", str(out)]
            print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
            started = time.perf_counter()
            code = subprocess.call(cmd)
            print(f"=== {name}: exit {code} in {time.perf_counter() - started:.0f} s", flush=True)
            if code != 0 or not out.exists():
                failed.append(name)
                continue
            figures += json.loads(out.read_text(encoding="utf-8"))

    print()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    rows = [(str(f["bench"]), str(f["metric"]), str(f["value"]), str(f["target"] or ""),
             "" if f["met"] is None else ("MET" if f["met"] else "MISSED")) for f in figures]
    header = ("bench", "figure", "measured", "target", "verdict")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    missed = sum(1 for r in rows if r[4] == "MISSED")
    print(f"\n{sum(1 for r in rows if r[4] == 'MET')} targets met, {missed} missed"
          + (f"; benchmarks that failed to run: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
