"""Memory: peak RSS of `assetgen build` of 40 images of 2048x2048 (target: under 300 MB).

    .venv/bin/python bench/memory.py [--n 40] [--size 2048x2048] [--concurrency 8]

A fresh synthetic site of N PNG assets at the given generation size is built against the
emulator (`--latency` s per image, so that `--concurrency` answers are in flight together).
The peak RSS is the child's own `ru_maxrss` from `wait4` and, when `/usr/bin/time` exists,
its "Maximum resident set size" as a cross-check. For scale, the same jobs through
bench/sdk_batch.py (which only decodes and writes the bytes) are measured too.
Run time: ~15 s.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import sys
import tempfile
from pathlib import Path

from common import (
    Figure,
    assetgen_exe,
    client_env,
    emulator,
    noise_images,
    print_figures,
    print_machine,
    run,
    write_generation_site,
    write_json,
)

BENCH = Path(__file__).resolve().parent
TARGET_MB = 300


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Peak RSS of `assetgen build` of 40 images of 2048x2048.")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--size", default="2048x2048")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=1.0, help="emulator s/image (1.0)")
    parser.add_argument("--texture", choices=["flat", "noise"], default="flat",
                        help="flat: the emulator's shapes (~70 KB PNG at 2048x2048); noise: "
                        "incompressible pixels (~12.6 MB PNG), a worst case")
    parser.add_argument("--skip-sdk", action="store_true", help="measure assetgen only")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    print_machine()
    gnu_time = shutil.which("time", path="/usr/bin")
    figures: list[Figure] = []
    with emulator(latency_s=args.latency) as emu, \
            tempfile.TemporaryDirectory(prefix="bench-mem-") as tmp, \
            (noise_images() if args.texture == "noise" else contextlib.nullcontext()):
        env = client_env(emu.base_url)
        root = write_generation_site(Path(tmp) / "site", args.n, size=args.size)
        cmd: list[str] = [str(assetgen_exe()), "build", "--concurrency", str(args.concurrency)]
        if gnu_time:
            cmd = [gnu_time, "-v", *cmd]
        result = run(cmd, cwd=root, env=env).check()
        written = len(list((root / "public" / "img").glob("*.png")))
        time_v = None
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
        if match:
            time_v = int(match.group(1))
        peak_mb = result.max_rss_kb / 1024
        label = (f"assetgen build, {args.n} x {args.size}, C={args.concurrency}"
                 + (", noise images" if args.texture == "noise" else ""))
        print(f"{label}: {written}/{args.n} images in {result.wall_s:.2f} s, CPU "
              f"{result.cpu_s:.2f} s; peak RSS {peak_mb:.0f} MB (wait4)"
              + (f", {time_v / 1024:.0f} MB (/usr/bin/time -v)" if time_v else ""))
        figures.append(Figure("memory", f"{label}: peak RSS", f"{peak_mb:.0f} MB",
                              f"< {TARGET_MB} MB", peak_mb < TARGET_MB and written == args.n,
                              {"max_rss_kb": result.max_rss_kb, "time_v_kb": time_v,
                               "wall_s": result.wall_s}))
        if not args.skip_sdk:
            emu.reset()
            sdk = run([sys.executable, BENCH / "sdk_batch.py", "--n", str(args.n),
                       "--concurrency", str(args.concurrency), "--size", args.size,
                       "--out", Path(tmp) / "sdk"], env=env).check()
            sdk_mb = sdk.max_rss_kb / 1024
            print(f"sdk_batch, same jobs: {sdk.wall_s:.2f} s, peak RSS {sdk_mb:.0f} MB")
            figures.append(Figure("memory", f"sdk_batch, {args.n} x {args.size}"
                                  + (", noise images" if args.texture == "noise" else "")
                                  + ": peak RSS",
                                  f"{sdk_mb:.0f} MB", "", None,
                                  {"max_rss_kb": sdk.max_rss_kb}))
    print_figures(figures)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
