"""Issue 16: a 1,000-asset `build --batch` against the emulator, and its cost vs the
synchronous route.

    .venv/bin/python bench/batch_bench.py [--n 1000] [--size 1024x1024]

1. `assetgen build --batch --no-wait`: wall time and peak RSS of the submission (read the
   inputs, write the JSONL, upload, create; the write-ahead records are fsynced).
2. `assetgen build`: collects the finished batch (downloads the output file, one image
   per line, into the masters cache) and publishes every image; wall time and peak RSS.
3. Cost: the plan's estimate at standard and at batch prices, and the actual cost the
   sidecars record from `usage` (batch tier).
Run time: ~1-2 min for N=1000.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from common import (
    Figure,
    assetgen_exe,
    client_env,
    emulator,
    print_figures,
    print_machine,
    run,
    write_generation_site,
    write_json,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="1,000-asset batch build vs the emulator.")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--size", default="1024x1024")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    print_machine()
    figures: list[Figure] = []
    with emulator(latency_s=0.0) as emu, tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        env = client_env(emu.base_url, ASSETGEN_BATCH_POLL_S="0.2")
        root = write_generation_site(Path(tmp) / "site", args.n, size=args.size)
        exe = str(assetgen_exe())
        plan_sync = json.loads(run([exe, "build", "--dry-run", "--json"], cwd=root,
                                   env=env).check().stdout)
        plan_batch = json.loads(run([exe, "build", "--batch", "--dry-run", "--json"],
                                    cwd=root, env=env).check().stdout)
        submit = run([exe, "build", "--batch", "--no-wait"], cwd=root, env=env).check()
        collect = run([exe, "build", "--json"], cwd=root, env=env).check()
        doc = json.loads(collect.stdout)
        collected = doc["counts"].get("collected", 0)
        sidecars = list((root / "public").rglob("*.provenance.json"))
        actual = sum(json.loads(p.read_text()).get("cost_usd") or 0.0 for p in sidecars)
        est_sync = _estimate(plan_sync)
        est_batch = _estimate(plan_batch)
        batches = len(emu.batch_api.batches)
        figures += [
            Figure("batch", f"submit {args.n} x {args.size} (build --batch --no-wait)",
                   f"{submit.wall_s:.2f} s, peak RSS {submit.max_rss_kb / 1024:.0f} MB",
                   extra={"wall_s": submit.wall_s, "max_rss_kb": submit.max_rss_kb,
                          "batches": batches}),
            Figure("batch", f"collect + publish {collected} images (build)",
                   f"{collect.wall_s:.2f} s, peak RSS {collect.max_rss_kb / 1024:.0f} MB",
                   extra={"wall_s": collect.wall_s, "max_rss_kb": collect.max_rss_kb}),
            Figure("batch", "estimate, synchronous images route", f"${est_sync:.4f}"),
            Figure("batch", "estimate, batch prices", f"${est_batch:.4f}",
                   "half of the synchronous estimate",
                   abs(est_batch * 2 - est_sync) < 1e-3 * max(est_sync, 1e-9)),
            Figure("batch", "actual, from usage in the sidecars (batch tier)",
                   f"${actual:.4f}"),
        ]
    print_figures(figures)
    write_json(args.json, figures)
    return 0


def _estimate(document: dict) -> float:
    plan = document.get("plan", document)
    return float(plan["summary"]["estimated_cost_usd"])


if __name__ == "__main__":
    sys.exit(main())
