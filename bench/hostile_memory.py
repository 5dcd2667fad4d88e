"""Memory under hostile answers: peak RSS of `assetgen build` per malformed answer
(issue 11; target: under 400 MB each). Not a timed test.

    .venv/bin/python bench/hostile_memory.py [--case NAME ...] [--json FILE]

Each case builds a fresh 4-asset site (one asset gets the hostile answer, three get valid
ones) against tests/fakes/hostile.py on 127.0.0.1, running the real CLI as a subprocess;
the peak RSS is the child's own `ru_maxrss` from `wait4`. The server runs in this
process, so its own memory (the 2 GB bomb is ~2 MB compressed) is not counted.
Run time: ~1 min (compressing the 2 GB gzip bomb takes most of it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import Figure, assetgen_exe, client_env, print_figures, print_machine, run, write_json
from tests.fakes.hostile import Hostile
from tests.security.test_answers import GATEWAY_KEY, manifest

TARGET_MB = 400
# name: (route, mode, what the server sends)
CASES = {
    "gzip_bomb": ("images", "gzip_bomb", "2 MB gzip body that inflates to 2 GB"),
    "huge_base64": ("images", "huge_base64", "500 MB base64 answer"),
    "huge_revised_prompt": ("images", "huge_revised_prompt", "5 MB revised_prompt (kept, cut)"),
    "deep_nesting": ("images", "deep_nesting", "200,000 nested ["),
    "big_pixels_api": ("images", "big_pixels", "a 4000x4000 PNG from the Images API"),
    "gateway_gzip_bomb": ("gateway", "gzip_bomb", "gateway download: 2 GB gzip bomb"),
    "gateway_big_pixels": ("gateway", "big_pixels", "gateway download: 9400x9400 PNG"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    print_machine()
    figures: list[Figure] = []
    for name in args.case or list(CASES):
        route, mode, label = CASES[name]
        with Hostile(mode) as server, tempfile.TemporaryDirectory(prefix="bench-hostile-") \
                as tmp:
            site = Path(tmp) / "site"
            site.mkdir()
            (site / "assetgen.yaml").write_text(manifest(route, server, timeout_s=60))
            env = client_env(server.base_url, GATEWAY_API_KEY=GATEWAY_KEY)
            if route == "gateway" and mode == "big_pixels":
                # four 9400x9400 PNGs: every asset of the site gets one
                server.target = "picture"
            result = run([assetgen_exe(), "build", "--concurrency", "4"], cwd=site,
                         env=env).check(0, 1)
            peak_mb = result.max_rss_kb / 1024
            written = len(list((site / "public" / "img").glob("*.png")))
            failure = next((line for line in result.stdout.splitlines()
                            if ": failed" in line), "")
            print(f"{name}: {label}: exit {result.code}, {written} images written, "
                  f"{result.wall_s:.1f} s, peak RSS {peak_mb:.0f} MB\n  {failure[:160]}")
            figures.append(Figure("hostile memory", f"{label}: peak RSS", f"{peak_mb:.0f} MB",
                                  f"< {TARGET_MB} MB", peak_mb < TARGET_MB,
                                  {"max_rss_kb": result.max_rss_kb, "wall_s": result.wall_s}))
    print_figures(figures)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
