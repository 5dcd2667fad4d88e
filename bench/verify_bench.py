"""Benchmark `assetgen verify` on a synthetic site: 2,000 assets, 5,000 references, 500 pages.

    .venv/bin/python bench/verify_bench.py [--assets 2000] [--pages 500] [--refs 5000] [--runs 5]

Builds the site in a temp folder: a manifest whose prompts use Jinja variables, a tiny PNG
per asset with a real sidecar (spec hash from the `Planner`, committed with `store.commit`,
exactly as a build writes them), 400 HTML pages and 100 Markdown pages referencing the
images (`<img>` with width/height, srcset, `url()`, Markdown images), plus a few static
images. Then times `assetgen verify` as pre-commit runs it (a subprocess from the site's
folder) and in-process, cold (`--no-cache`: no hash or manifest cache) and warm (caches
filled), plus a warm hook-style run on two files, median of N runs.
The site must verify clean (exit 0), or the figures would time an error path.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # for tests.fakes when run from anywhere


# Set by bench/common.write_verify_site: pad each image to about this many bytes.
PAD_TO: int | None = None


def _padded(png: bytes) -> bytes:
    """``png`` with incompressible bytes in a private ancillary chunk before IEND (up to
    PAD_TO bytes in all), so that hashing costs what a real image of that size costs; added
    after encoding, which would drop them."""
    if not PAD_TO or len(png) + 12 >= PAD_TO:
        return png
    body = os.urandom(PAD_TO - len(png) - 12)
    chunk = (struct.pack(">I", len(body)) + b"bnCh" + body
             + struct.pack(">I", zlib.crc32(b"bnCh" + body) & 0xFFFFFFFF))
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def _tiny_png(index: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    colour = (index % 256, (index * 7) % 256, (index * 13) % 256)
    Image.new("RGB", (32, 32), colour).save(buffer, "PNG")
    return buffer.getvalue()


def build_site(root: Path, assets: int, pages: int, refs: int) -> None:
    lines = [
        "# synthetic site for bench/verify_bench.py",
        "version: 1",
        "output_dir: public",
        "sources:",
        '  - "public/**/*.html"',
        '  - "content/**/*.md"',
        "defaults:",
        "  quality: low",
        "  size: 1024x1024",
        "vars:",
        "  brand: Benchmark",
        "  style: flat vector illustration, warm palette",
        "static:",
        "  - path: img/logo.svg",
        "    license: CC0",
        "assets:",
    ]
    for i in range(assets):
        lines += [f"  - id: a{i}", f"    path: img/{i % 20}/a{i}.png",
                  f'    prompt: "{{{{ style }}}}: picture number {i} for {{{{ brand }}}}"']
    root.mkdir(parents=True, exist_ok=True)
    (root / "assetgen.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / ".gitignore").write_text(".assetgen/\n", encoding="utf-8")
    out = root / "public"
    (out / "img").mkdir(parents=True, exist_ok=True)
    (out / "img" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')

    from assetgen.build import credentials, store
    from assetgen.build.planner import Planner
    from assetgen.core.canonical import sha256_bytes
    from assetgen.images import codec
    from assetgen.manifest.load import load_manifest
    from assetgen.provenance import embed
    from assetgen.provenance.record import Record

    manifest = load_manifest(root / "assetgen.yaml")
    planner = Planner(manifest)
    now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    source_type = credentials.source_type_for("images.generate", [])
    for index, asset in enumerate(manifest.assets):
        # Marked as a build marks it (SPEC 8), or verify would call every file `unmarked`.
        data = _padded(codec.encode(codec.decode(_tiny_png(index)), "png",
                                    **embed.encode_options("png", None, source_type)))
        record = Record(
            asset=asset.id, file=asset.path, sha256=sha256_bytes(data), bytes=len(data),
            width=32, height=32, format="png", route="images.generate", model=asset.model,
            prompt=asset.prompt, quality=asset.quality, size=asset.size,
            spec_hash=planner.status(asset).spec_hash, created_at=now, billing="openai-api")
        store.commit(asset.file, data, record)

    per_page = refs // pages
    ids = [a for a in manifest.assets]
    for page in range(pages):
        chosen = [ids[(page * per_page + k) % len(ids)] for k in range(per_page)]
        if page < pages * 4 // 5:
            body = []
            for k, asset in enumerate(chosen):
                url = "/" + asset.path
                if k % 4 == 0:
                    body.append(f'<img src="{url}" alt="" width="320" height="320">')
                elif k % 4 == 1:
                    body.append(f'<img srcset="{url} 1x" alt="">')
                elif k % 4 == 2:
                    body.append(f'<div style="background: url({url})"></div>')
                else:
                    body.append(f'<p>text</p>\n<img src="{url}" alt="a picture">')
            html = ("<!doctype html>\n<html><head><title>p</title>"
                    '<link rel="icon" href="https://cdn.example.com/x.png"></head>\n<body>\n'
                    + "\n".join(body) + "\n</body></html>\n")
            path = out / "pages" / f"p{page // 50}" / f"page{page}.html"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(html, encoding="utf-8")
        else:
            md = "# Post\n\n" + "\n\n".join(f"Some words.\n\n![picture](/{a.path})"
                                            for a in chosen) + "\n"
            path = root / "content" / f"post{page}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(md, encoding="utf-8")


def _time_subprocess(root: Path, extra: list[str], runs: int) -> tuple[float, int]:
    exe = Path(sys.executable).with_name("assetgen")
    times = []
    code = 0
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([str(exe), "verify", *extra], cwd=root, capture_output=True,
                              text=True, check=False)
        times.append(time.perf_counter() - started)
        code = done.returncode
        if code != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return statistics.median(times), code


def _time_in_process(root: Path, extra: list[str], runs: int) -> tuple[float, int]:
    from tests.fakes.sites import run_cli

    times = []
    code = 0
    for _ in range(runs):
        started = time.perf_counter()
        result = run_cli("-C", root, "verify", *extra)
        times.append(time.perf_counter() - started)
        code = result.code
    return statistics.median(times), code


def _time_manifest_load(root: Path, runs: int) -> float:
    """The uncached manifest load alone (ruamel round-trip parse + a Jinja2 compile per
    prompt): most of a cold run."""
    from assetgen.manifest.load import load_manifest

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        load_manifest(root / "assetgen.yaml")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--refs", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assetgen-bench-") as tmp:
        root = Path(tmp) / "site"
        started = time.perf_counter()
        build_site(root, args.assets, args.pages, args.refs)
        print(f"site: {args.assets} assets, {args.pages} pages, {args.refs} references "
              f"(built in {time.perf_counter() - started:.1f}s)")
        rows = [
            ("subprocess, cold (--no-cache)", _time_subprocess(root, ["--no-cache"],
                                                                args.runs)),
            ("subprocess, warm cache", _time_subprocess(root, [], args.runs)),
            ("subprocess, warm, 2 files (hook)", _time_subprocess(
                root, ["public/img/0/a0.png", "public/pages/p0/page0.html"], args.runs)),
            ("in-process, cold (--no-cache)", _time_in_process(root, ["--no-cache"],
                                                                args.runs)),
            ("in-process, warm cache", _time_in_process(root, [], args.runs)),
        ]
        for label, (seconds, code) in rows:
            print(f"  {label:<32} median {seconds * 1000:7.0f} ms of {args.runs}"
                  f"  (exit {code})")
        print(f"  {'manifest load alone, uncached':<32} median "
              f"{_time_manifest_load(root, args.runs) * 1000:7.0f} ms")
        if any(code != 0 for _, (_, code) in rows):
            print("verify did not pass on the synthetic site: figures time an error path",
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
