"""Start-up: `assetgen --help` and `assetgen verify <one unrelated file>` under 0.3 s.

    .venv/bin/python bench/startup.py [--runs 10]

Times each command as a subprocess (median of `--runs`, after one untimed warm-up run, as a
pre-commit hook runs repeatedly) on a small synthetic site (bench/verify_bench.py's, 5
assets), where the one file given to verify (`notes.txt`) concerns no asset or page: the
empty change a commit of unrelated files is. Then `python -X importtime` of each command:
which heavy modules were imported (Pillow's `PIL.Image`, httpx, jinja2, ruamel.yaml must
stay lazy here) and the top offenders by cumulative import time. Run time: ~5 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import (
    Figure,
    assetgen_exe,
    client_env,
    median,
    print_figures,
    print_machine,
    run,
    write_json,
    write_verify_site,
)

TARGET_S = 0.3
LAZY = ("PIL.Image", "httpx", "jinja2", "ruamel.yaml", "openai", "c2pa")


def import_profile(args: list[str], cwd: Path,
                   env: dict[str, str]) -> list[tuple[str, int, int, int]]:
    """(module, depth, self us, cumulative us) of each import of `python -X importtime -m
    assetgen ARGS`, in the order printed (children before their parent)."""
    done = run([sys.executable, "-X", "importtime", "-m", "assetgen", *args], cwd=cwd, env=env)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, cumulative, raw = line.replace("import time:", "|").split("|")
        name = raw.strip()
        depth = (len(raw) - len(raw.lstrip()) - 1) // 2
        rows.append((name, depth, int(self_us), int(cumulative)))
    return rows


def top_offenders(rows: list[tuple[str, int, int, int]], count: int = 8) -> list[tuple[str, int]]:
    """Imports done directly by the command (depth 0), by cumulative time."""
    top = [(name, cumulative) for name, depth, _s, cumulative in rows if depth == 0]
    return sorted(top, key=lambda item: -item[1])[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start-up time of `assetgen --help` and of a no-op `assetgen verify FILE`.")
    parser.add_argument("--runs", type=int, default=10, help="median of N runs (10)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    print_machine()
    exe = assetgen_exe()
    env = client_env("http://127.0.0.1:9/v1")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        root = Path(tmp) / "site"
        write_verify_site(root, assets=5, pages=2, refs=10)
        (root / "notes.txt").write_text("an unrelated file\n", encoding="utf-8")
        commands = {
            "assetgen --help": ["--help"],
            "assetgen verify notes.txt": ["verify", "notes.txt"],
        }
        for label, cmd in commands.items():
            run([exe, *cmd], cwd=root, env=env).check()  # warm-up (page cache, .assetgen/)
            runs = [run([exe, *cmd], cwd=root, env=env).check() for _ in range(args.runs)]
            seconds = median([r.wall_s for r in runs])
            rows = import_profile(cmd, root, env)
            imported = {row[0] for row in rows}
            eager = [m for m in LAZY if m in imported]
            total_ms = sum(row[2] for row in rows) / 1000
            figures.append(Figure(
                "startup", label, f"{seconds * 1000:.0f} ms (median of {args.runs})",
                f"< {TARGET_S * 1000:.0f} ms", seconds < TARGET_S,
                {"seconds": seconds, "max_rss_kb": median([r.max_rss_kb for r in runs]),
                 "imports_ms": total_ms, "eager_heavy_imports": eager}))
            figures.append(Figure(
                "startup", f"{label}: heavy imports", ", ".join(eager) or "none of "
                + "/".join(LAZY), "none", not eager))
            offenders = ", ".join(f"{name} {us / 1000:.1f}" for name, us in top_offenders(rows))
            heaviest = sorted(rows, key=lambda row: -row[2])[:8]
            own = ", ".join(f"{row[0]} {row[2] / 1000:.1f}" for row in heaviest)
            print(f"{label}: {len(rows)} modules imported in {total_ms:.0f} ms\n"
                  f"  direct imports by cumulative ms: {offenders}\n"
                  f"  modules by own (self) ms: {own}")
    print_figures(figures)
    write_json(args.json, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
