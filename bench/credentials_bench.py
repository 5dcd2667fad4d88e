"""Content Credentials and AI marking (issue 15): added bytes and milliseconds per file.

    .venv/bin/python bench/credentials_bench.py [--runs 7] [--json FILE]

In-process, per file, the same calls a build makes (`store.derive`, `signing.sign_derived`,
`credentials.read`), on a 1024x1024 master with photographic-like noise, signed by the
test PKI as OpenAI signs its images (tests/fakes/pki.py): for png, jpeg, webp and avif, at
1024 px (a main file) and 480 px (a variant):
- marking: the IPTC XMP packet beside assetgen's record, vs the record alone;
- signing on: a C2PA manifest per file with the original as parent ingredient, no
  thumbnail, vs the same file unsigned;
- reading the route's manifest (once per answer).
Medians of `--runs`. Run time: ~20 s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import Figure, print_figures, print_machine, write_json  # also sets sys.path

FORMATS = ("png", "jpeg", "webp", "avif")
WIDTHS = (1024, 480)


def _timed(call: Callable[[], Any], runs: int) -> tuple[Any, float]:
    result, times = None, []
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times) * 1000


def _interleaved(first: Callable[[], Any], second: Callable[[], Any], runs: int
                 ) -> tuple[Any, Any, float, float]:
    """Both calls' results and median ms, alternated so that load hits both alike."""
    a_times, b_times, a, b = [], [], None, None
    for _ in range(runs):
        a, a_ms = _timed(first, 1)
        b, b_ms = _timed(second, 1)
        a_times.append(a_ms)
        b_times.append(b_ms)
    return a, b, statistics.median(a_times), statistics.median(b_times)


def _master() -> bytes:
    from PIL import Image
    from tests.fakes import pki

    noise = Image.effect_noise((1024, 1024), 48).convert("RGB")
    gradient = Image.linear_gradient("L").resize((1024, 1024)).convert("RGB")
    buffer = io.BytesIO()
    Image.blend(noise, gradient, 0.5).save(buffer, "PNG")
    return pki.sign_created(buffer.getvalue(), "png")


def _asset(fmt: str, width: int) -> Any:
    from assetgen.manifest.load import load_manifest

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "assetgen.yaml").write_text(
            "version: 1\nassets:\n  - id: a\n    path: img/a." + fmt + "\n    prompt: x\n"
            f"    size: 1024x1024\n    width: {width}\n    height: {width}\n")
        return load_manifest(root / "assetgen.yaml").by_id["a"]


def measure(runs: int) -> list[Figure]:
    from tests.fakes import pki

    from assetgen.build import credentials, signing, store
    from assetgen.images import codec as imaging
    from assetgen.provenance import embed
    master = _master()
    owner = pki.make_pki("Site Owner")
    kit = signing.Kit("es256", owner.chain_pem, owner.key_pem, None)
    record = embed.make_record(asset="a", route="images.generate", model="gpt-image-2",
                               prompt="x", spec_hash="sha256:" + "0" * 64)
    decoded = imaging.decode_checked(master)
    figures = []
    _found, read_ms = _timed(lambda: credentials.read(master), runs)
    figures.append(Figure("credentials", "read the route's manifest (1024 png)",
                          f"{read_ms:.1f} ms"))
    for fmt in FORMATS:
        if fmt not in imaging.writable_formats():
            continue
        for width in WIDTHS:
            asset = _asset(fmt, width)
            plain, marked, plain_ms, marked_ms = _interleaved(
                lambda a=asset: store.derive(master, a, record=record, decoded=decoded),
                lambda a=asset: store.derive(master, a, record=record, decoded=decoded,
                                             source_type=embed.TRAINED), runs)
            signed, sign_ms = _timed(lambda m=marked: signing.sign_derived(
                m, master, "png", kit, parent=True, source_type=embed.TRAINED), runs)
            label = f"{fmt} {width}px ({len(marked.data) / 1024:.0f} KB)"
            figures.append(Figure(
                "credentials", f"{label}: marking", f"+{len(marked.data) - len(plain.data)} B,"
                f" derive {plain_ms:.0f} -> {marked_ms:.0f} ms"))
            figures.append(Figure(
                "credentials", f"{label}: signing on",
                f"+{(len(signed.data) - len(marked.data)) / 1024:.1f} KB, +{sign_ms:.1f} ms"))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args(argv)
    print_machine()
    figures = measure(args.runs)
    print_figures(figures)
    write_json(args.json_path, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
