"""Rate limits: `assetgen build` of 100 assets at --concurrency 16 against 60 images/minute.

    .venv/bin/python bench/rate_limit.py [--n 100] [--concurrency 16] [--limit 60] [--latency 1]

The emulator admits an image request while fewer than `--limit` requests were admitted in
the last 60 s (a sliding window of admission times; an entry admitted at t frees its place
at t + 60 exactly, see `Emulator.rate_limit_retry_after`), and answers the others 429 with
`Retry-After: ceil(seconds until the oldest entry leaves)` (at least 1). Rejected requests
do not enter the window. Each admitted request is answered after `--latency` seconds.

The floor: the k-th admitted request cannot go before the (k-limit)-th admission + 60 s,
nor, with C requests in flight and every answer taking L, before the (k-C)-th admission
+ L. The earliest schedule is a_k = max(a_(k-C) + L, a_(k-limit) + 60) and the build
cannot finish before a_N + L: 63 s for 100 requests, C 16, L 1 s, 60/min (the window alone,
without the concurrency cap, gives 60 s + L = 61 s; a uniform 60/min pacing would take
100 s). Targets: wall time within 10% of that floor, and under 5% of requests answered 429
once the limiter has settled (requests that arrive after the first 429 burst's Retry-After
has passed). Run time: about 65-70 s.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from common import (
    Figure,
    assetgen_exe,
    client_env,
    emulator,
    generation_requests,
    print_figures,
    print_machine,
    run,
    write_generation_site,
    write_json,
)

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator, RecordedRequest

WINDOW_S = 60.0


def floor_schedule(n: int, concurrency: int, latency: float, limit: int) -> list[float]:
    """Earliest admission times of n requests under the emulator's sliding window."""
    admitted: list[float] = []
    for k in range(n):
        t = 0.0
        if k >= concurrency:
            t = max(t, admitted[k - concurrency] + latency)
        if k >= limit:
            t = max(t, admitted[k - limit] + WINDOW_S)
        admitted.append(t)
    return admitted


def floor_seconds(n: int, concurrency: int, latency: float, limit: int) -> float:
    return floor_schedule(n, concurrency, latency, limit)[-1] + latency if n else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="assetgen build under the emulator's 60/min rate limit (429 + Retry-After).",
        epilog="Takes about 65-70 s at the defaults (the floor is 63 s).")
    parser.add_argument("--n", type=int, default=100, help="assets (default 100)")
    parser.add_argument("--concurrency", type=int, default=16, help="--concurrency (16)")
    parser.add_argument("--limit", type=int, default=60, help="images per minute (60)")
    parser.add_argument("--latency", type=float, default=1.0, help="emulator s/image (1.0)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    print_machine()
    floor = floor_seconds(args.n, args.concurrency, args.latency, args.limit)
    window_only = (WINDOW_S * ((args.n - 1) // args.limit) + args.latency
                   if args.n > args.limit else floor)
    uniform = args.n / args.limit * WINDOW_S
    with emulator(latency_s=args.latency, rate_limit_per_minute=args.limit) as emu, \
            tempfile.TemporaryDirectory(prefix="bench-rl-") as tmp:
        root = write_generation_site(Path(tmp) / "site", args.n)
        rejections = _record_rejections(emu)
        started = time.monotonic()
        result = run([assetgen_exe(), "build", "--concurrency", str(args.concurrency)],
                     cwd=root, env=client_env(emu.base_url), timeout_s=600).check()
        written = len(list((root / "public" / "img").glob("*.png")))
        requests = generation_requests(emu)

    if written != args.n:
        print(f"assetgen wrote {written} of {args.n} images", file=sys.stderr)
    limited = [r for r in requests if r.status == 429]
    admitted = [r for r in requests if r.status == 200]
    # settled: the first 429 burst's Retry-After has passed
    settle = rejections[0][0] + rejections[0][1] if rejections else None
    after = [r for r in requests if settle is not None and r.time >= settle]
    after_429 = [r for r in after if r.status == 429]
    share_all = len(limited) / len(requests) if requests else 0.0
    share_after = len(after_429) / len(after) if after else 0.0

    print(f"N={args.n} C={args.concurrency} limit={args.limit}/min latency={args.latency:g}s")
    print(f"  floors: exact (window + concurrency) {floor:.2f} s; window only {window_only:.2f}"
          f" s; uniform {args.limit}/min pacing {uniform:.2f} s")
    print(f"  requests: {len(requests)} ({len(admitted)} admitted, {len(limited)} answered 429)"
          f", {written} images written, exit {result.code}, CPU {result.cpu_s:.2f} s")
    if settle is not None:
        print(f"  first 429 at +{limited[0].time - started:.2f} s, settled (its Retry-After "
              f"passed) at +{settle - started:.2f} s; after that: {len(after)} requests, "
              f"{len(after_429)} answered 429")
    print("  arrivals per second (t from process start: admitted/429):")
    print("    " + _timeline(requests, started))
    figures = [
        Figure("rate_limit", f"N={args.n} C={args.concurrency} {args.limit}/min: wall / floor",
               f"{result.wall_s:.2f} s / {floor:.2f} s = {result.wall_s / floor:.3f}",
               "<= 1.10", result.wall_s <= floor * 1.10 and written == args.n,
               {"wall_s": result.wall_s, "floor_s": floor, "window_only_s": window_only,
                "uniform_s": uniform}),
        Figure("rate_limit", "429 share after the limiter settled",
               f"{len(after_429)}/{len(after)} = {share_after:.1%}", "< 5%",
               share_after < 0.05, {"after": len(after), "after_429": len(after_429)}),
        Figure("rate_limit", "429 share overall",
               f"{len(limited)}/{len(requests)} = {share_all:.1%}", "",
               None, {"requests": len(requests), "limited": len(limited)}),
    ]
    print_figures(figures)
    write_json(args.json, figures)
    return 0


def _record_rejections(emu: Emulator) -> list[tuple[float, int]]:
    """Wrap the emulator's admission check to log (time, Retry-After) of every 429 it sends
    for the rate limit (the emulator records statuses, not the header)."""
    log: list[tuple[float, int]] = []
    admit = emu.rate_limit_retry_after

    def recording() -> int | None:
        retry = admit()
        if retry is not None:
            log.append((time.monotonic(), retry))
        return retry

    emu.rate_limit_retry_after = recording  # type: ignore[method-assign]
    return log


def _timeline(requests: list[RecordedRequest], started: float) -> str:
    buckets: dict[int, list[int]] = {}
    for r in requests:
        second = math.floor(r.time - started)
        counts = buckets.setdefault(second, [0, 0])
        counts[1 if r.status == 429 else 0] += 1
    return " ".join(f"{s}s:{a}/{b}" if b else f"{s}s:{a}" for s, (a, b) in sorted(buckets.items()))


if __name__ == "__main__":
    sys.exit(main())
