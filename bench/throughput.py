"""Throughput: `assetgen build` vs the ideal vs a hand-written OpenAI SDK batch.

    .venv/bin/python bench/throughput.py [--n 40 200] [--concurrency 8] [--latency 1.0]

For each N: a fresh synthetic site of N generation assets (1024x1024, quality low, PNG) is
built with `assetgen build --concurrency C` against the emulator answering each image after
`--latency` seconds; then bench/sdk_batch.py (AsyncOpenAI + asyncio.Semaphore(C)) sends the
same N prompts to the same emulator. Both are timed as whole processes (start-up included).
Ideal = ceil(N / C) x latency. Targets: assetgen within 15% of ideal, and not slower than
the SDK batch at equal concurrency.

The emulator's recorded arrival times split assetgen's overhead into start-up (process
start to first request), spread (how far the request waves drift from latency steps) and
tail (last response to exit). Run time: about 2 x (ceil(N/C) x latency + 1 s) per N and
run: ~12 s for N=40, ~55 s for N=200 at the defaults.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from common import (
    Figure,
    Run,
    assetgen_exe,
    client_env,
    emulator,
    generation_requests,
    median,
    noise_images,
    print_figures,
    print_machine,
    response_times,
    run,
    write_generation_site,
    write_json,
)

if TYPE_CHECKING:
    from tests.fakes.emulator import Emulator

BENCH = Path(__file__).resolve().parent


@dataclass
class Timed:
    """One client run, split by the emulator's clock (arrivals and answer times)."""

    wall_s: float
    startup_s: float  # process start -> first request arrives
    service_extra_s: float  # median (answer written - arrival - latency): the emulator's own
    turnaround_s: float  # median (request i arrives - answer i-C written): the client's gap
    turnaround_p90_s: float
    tail_s: float  # last answer written -> process exit
    requests: int
    cpu_s: float  # the client's user + system CPU


def _timed(emu: Emulator, sent: dict[str, float], started_mono: float, result: Run,
           latency: float, concurrency: int) -> Timed:
    reqs = generation_requests(emu)
    if not reqs:
        return Timed(result.wall_s, 0, 0, 0, 0, 0, 0, result.cpu_s)
    ends = sorted(sent[r.request_id] for r in reqs if r.request_id in sent)
    arrivals = [r.time for r in reqs]
    service = [sent[r.request_id] - r.time - latency for r in reqs if r.request_id in sent]
    gaps = sorted(arrivals[i] - ends[i - concurrency]
                  for i in range(concurrency, min(len(arrivals), len(ends) + concurrency)))
    end = started_mono + result.wall_s
    return Timed(result.wall_s, arrivals[0] - started_mono, median(service) if service else 0,
                 median(gaps) if gaps else 0.0, gaps[int(0.9 * (len(gaps) - 1))] if gaps else 0,
                 end - ends[-1] if ends else 0.0, len(reqs), result.cpu_s)


def run_assetgen(emu: Emulator, n: int, concurrency: int, latency: float, size: str,
                 quality: str) -> Timed:
    with tempfile.TemporaryDirectory(prefix="bench-tp-") as tmp:
        root = write_generation_site(Path(tmp) / "site", n, size=size, quality=quality)
        emu.reset()
        env = client_env(emu.base_url)
        with response_times() as sent:
            started = time.monotonic()
            result = run([assetgen_exe(), "build", "--concurrency", str(concurrency)],
                         cwd=root, env=env).check()
        written = len(list((root / "public" / "img").glob("*.png")))
        if written != n:
            raise SystemExit(f"assetgen wrote {written} of {n} images")
        return _timed(emu, sent, started, result, latency, concurrency)


def run_sdk(emu: Emulator, n: int, concurrency: int, latency: float, size: str,
            quality: str) -> Timed:
    with tempfile.TemporaryDirectory(prefix="bench-sdk-") as tmp:
        out = Path(tmp) / "out"
        emu.reset()
        env = client_env(emu.base_url)
        with response_times() as sent:
            started = time.monotonic()
            result = run([sys.executable, BENCH / "sdk_batch.py", "--n", str(n),
                          "--concurrency", str(concurrency), "--out", out, "--size", size,
                          "--quality", quality], env=env).check()
        written = len(list(out.glob("*.png")))
        if written != n:
            raise SystemExit(f"the SDK batch wrote {written} of {n} images")
        return _timed(emu, sent, started, result, latency, concurrency)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="assetgen build vs ideal vs an OpenAI SDK batch, against the emulator.",
        epilog="N=200 at 1 s latency and concurrency 8 takes >= 25 s per client and run.")
    parser.add_argument("--n", type=int, nargs="+", default=[40, 200],
                        help="asset counts (default: 40 200)")
    parser.add_argument("--concurrency", type=int, default=8, help="default 8 (assetgen's)")
    parser.add_argument("--latency", type=float, default=1.0, help="emulator s/image (1.0)")
    parser.add_argument("--runs", type=int, default=3, help="runs per N and client (3)")
    parser.add_argument("--size", default="1024x1024")
    parser.add_argument("--quality", default="low")
    parser.add_argument("--texture", choices=["flat", "noise"], default="flat",
                        help="flat: the emulator's shapes (~20 KB PNG at 1024x1024); noise: "
                        "incompressible pixels (~3 MB PNG), a worst case for decode/encode")
    parser.add_argument("--skip-sdk", action="store_true", help="time assetgen only")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)

    print_machine()
    figures: list[Figure] = []
    with emulator(latency_s=args.latency) as emu, \
            (noise_images() if args.texture == "noise" else contextlib.nullcontext()):
        for n in args.n:
            ideal = math.ceil(n / args.concurrency) * args.latency
            ours: list[Timed] = []
            sdk: list[Timed] = []
            for _ in range(args.runs):
                ours.append(run_assetgen(emu, n, args.concurrency, args.latency, args.size,
                                         args.quality))
                if not args.skip_sdk:
                    sdk.append(run_sdk(emu, n, args.concurrency, args.latency, args.size,
                                       args.quality))
            wall = median([t.wall_s for t in ours])
            label = (f"N={n} C={args.concurrency} latency={args.latency:g}s"
                     + (f" {args.size}" if args.size != "1024x1024" else "")
                     + (" noise" if args.texture == "noise" else ""))
            print(f"{label}: ideal {ideal:.2f} s")
            for name, timings in (("assetgen", ours), ("sdk", sdk)):
                for t in timings:
                    print(f"  {name:<8} wall {t.wall_s:6.2f} s: start-up {t.startup_s:.2f} s, "
                          f"per request: emulator +{t.service_extra_s * 1000:.0f} ms over "
                          f"latency, client turnaround {t.turnaround_s * 1000:.0f} ms (p90 "
                          f"{t.turnaround_p90_s * 1000:.0f}), tail {t.tail_s:.2f} s; "
                          f"{t.requests} requests, CPU {t.cpu_s:.2f} s")
            ratio = wall / ideal
            figs = [Figure("throughput", f"{label}: assetgen wall / ideal",
                           f"{wall:.2f} s / {ideal:.2f} s = {ratio:.3f}", "<= 1.15",
                           ratio <= 1.15,
                           {"n": n, "wall_s": wall, "ideal_s": ideal,
                            "startup_s": median([t.startup_s for t in ours]),
                            "turnaround_s": median([t.turnaround_s for t in ours]),
                            "tail_s": median([t.tail_s for t in ours]),
                            "cpu_s": median([t.cpu_s for t in ours])})]
            if sdk:
                sdk_wall = median([t.wall_s for t in sdk])
                pairs = [a.wall_s / b.wall_s for a, b in zip(ours, sdk, strict=True)]
                figs.append(Figure("throughput", f"{label}: assetgen / SDK batch",
                                   f"{wall:.2f} s / {sdk_wall:.2f} s = {wall / sdk_wall:.3f} "
                                   f"(run pairs: {', '.join(f'{r:.3f}' for r in pairs)})",
                                   "<= 1.0", wall <= sdk_wall,
                                   {"n": n, "sdk_wall_s": sdk_wall, "pair_ratios": pairs,
                                    "sdk_startup_s": median([t.startup_s for t in sdk]),
                                    "sdk_turnaround_s": median([t.turnaround_s for t in sdk]),
                                    "sdk_cpu_s": median([t.cpu_s for t in sdk])}))
                cpu, sdk_cpu = median([t.cpu_s for t in ours]), median([t.cpu_s for t in sdk])
                figs.append(Figure("throughput", f"{label}: client CPU per image",
                                   f"assetgen {cpu / n * 1000:.0f} ms, SDK batch "
                                   f"{sdk_cpu / n * 1000:.0f} ms", "", None,
                                   {"cpu_s": cpu, "sdk_cpu_s": sdk_cpu}))
            print_figures(figs)
            figures += figs
            if emu.schema_errors:
                print(f"  emulator schema errors: {emu.schema_errors[:3]}", file=sys.stderr)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
