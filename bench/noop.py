"""No-op `assetgen build` and `assetgen verify` at 2,000 assets / 5,000 references.

    .venv/bin/python bench/noop.py [--assets 2000] [--refs 5000] [--runs 5] [--image-kb 0 256]

The site is bench/verify_bench.py's (every asset built and recorded, 500 pages). For each
image size (`--image-kb 0`: verify_bench's ~100-byte PNGs; `256`: each PNG padded with an
incompressible ancillary chunk to about 256 KB, the size of a typical web image), it times,
as pre-commit or CI runs them (a subprocess from the site's folder), median of `--runs`:

- `assetgen build` with nothing to do (it must send nothing: the base URL is a closed port)
  and `assetgen verify`, each cold (`.assetgen/` removed first: no hash or manifest cache,
  as in a fresh clone; the OS page cache stays warm) and warm (caches filled by the run
  before);
- `sha256sum` over the same images (one process, every file on its command line).

Targets: no-op build and verify each under 1 s; with the hash cache warm, well under
(here: at most half of) `sha256sum` of the same images. Run time: ~1-2 min.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from common import (
    Figure,
    Run,
    assetgen_exe,
    clear_state,
    client_env,
    median,
    print_figures,
    print_machine,
    run,
    site_images,
    write_json,
    write_verify_site,
)

CLOSED_URL = "http://127.0.0.1:9/v1"  # discard port: nothing listens; a no-op sends nothing


def _median_run(runs: int, before: Callable[[], None], command: Callable[[], Run]) -> float:
    times = []
    for _ in range(runs):
        before()
        times.append(command().check().wall_s)
    return median(times)


def bench_size(assets: int, pages: int, refs: int, image_kb: int, runs: int) -> list[Figure]:
    exe = assetgen_exe()
    env = client_env(CLOSED_URL)
    with tempfile.TemporaryDirectory(prefix="bench-noop-") as tmp:
        root = Path(tmp) / "site"
        write_verify_site(root, assets, pages, refs, image_bytes=image_kb * 1024 or None)
        images = site_images(root)
        total_mb = sum(p.stat().st_size for p in images) / 1e6
        label = (f"{assets} assets, {refs} refs, "
                 + (f"{image_kb} KB images" if image_kb else "~100 B images"))
        print(f"{label}: {len(images)} images, {total_mb:.1f} MB")

        def build() -> Run:
            done = run([exe, "build"], cwd=root, env=env)
            if done.code == 0 and f"build: {assets} skipped" not in done.stdout:
                raise SystemExit(f"the build was not a no-op:\n{done.stdout[-2000:]}")
            return done

        def verify() -> Run:
            return run([exe, "verify"], cwd=root, env=env)

        rel = [str(p.relative_to(root)) for p in images]

        def sha256sum() -> Run:
            return run(["sha256sum", *rel], cwd=root)

        def nothing() -> None:
            pass

        def cold() -> None:
            clear_state(root)

        build().check()  # warms the page cache and shows the site is fresh
        rows = {
            "no-op build, cold": _median_run(runs, cold, build),
            "no-op build, warm": _median_run(runs, nothing, build),
            "verify, cold": _median_run(runs, cold, verify),
            "verify, warm": _median_run(runs, nothing, verify),
        }
        sha = _median_run(runs, nothing, sha256sum)
    figures = []
    for name, seconds in rows.items():
        ratio = seconds / sha
        figures.append(Figure("noop", f"{label}: {name}",
                              f"{seconds * 1000:.0f} ms ({ratio:.2f}x sha256sum)", "< 1 s",
                              seconds < 1.0, {"seconds": seconds, "sha256sum_s": sha,
                                              "image_kb": image_kb}))
        if name.endswith("warm"):
            figures.append(Figure("noop", f"{label}: {name} / sha256sum",
                                  f"{ratio:.2f}", "<= 0.5", ratio <= 0.5,
                                  {"ratio": ratio}))
    figures.append(Figure("noop", f"{label}: sha256sum of the images",
                          f"{sha * 1000:.0f} ms", "", None, {"seconds": sha}))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="No-op build and verify at 2,000 assets / 5,000 references vs sha256sum.")
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--refs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5, help="median of N runs (5)")
    parser.add_argument("--image-kb", type=int, nargs="+", default=[0, 256],
                        help="image sizes to try; 0 = verify_bench's tiny PNGs (default 0 256)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    print_machine()
    figures: list[Figure] = []
    for kb in args.image_kb:
        figs = bench_size(args.assets, args.pages, args.refs, kb, args.runs)
        print_figures(figs)
        figures += figs
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
