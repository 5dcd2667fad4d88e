"""Issue 14's speed figure: `assetgen verify` on a 1,000-page Hugo-shaped site, warm.

    .venv/bin/python bench/hugo_site.py [--pages 1000] [--runs 5]

Writes a Hugo-shaped site in a temp folder (`generator: hugo`, output_dir static/): a
hugo.toml with params, layouts with Go-template comments, `relURL` and `resources.Get`,
`assets/` images, and N content pages as page bundles (`content/post/pN/index.md`) with TOML
or YAML front matter (`cover`, `images: [...]`), Markdown images and `{{< figure >}}`
shortcodes naming images in static/ (all declared under `static:`). Times the real CLI as
pre-commit runs it (subprocess), cold (`--no-cache`) and warm, median of N; the site must
verify without errors. Target: warm ≤ 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMAGES = 50


def build_site(root: Path, pages: int) -> None:
    lines = ["version: 1", "generator: hugo", "output_dir: static",
             'sources: ["content/**/*.md", "layouts/**/*.html", "hugo.toml"]', "static:"]
    lines += [f"  - path: img/i{i}.png" for i in range(IMAGES)]
    lines += ["  - path: img/logo.svg", "    root: assets"]  # a global resource, in place
    (root / "assetgen.yaml").write_text("\n".join(lines) + "\n")
    for i in range(IMAGES):
        path = root / "static" / "img" / f"i{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes([i]))
    (root / "assets" / "img").mkdir(parents=True)
    (root / "assets" / "img" / "logo.svg").write_text("<svg/>")
    (root / "hugo.toml").write_text('title = "Bench"\n[params]\n  cover = "/img/i0.png"\n')
    layouts = root / "layouts" / "partials"
    layouts.mkdir(parents=True)
    for n in range(20):
        (layouts / f"p{n}.html").write_text(
            "{{/* <img src=\"/img/old.png\"> */}}\n"
            f'<link rel="icon" href="{{{{ "img/i{n}.png" | relURL }}}}">\n'
            '{{ $logo := resources.Get "img/logo.svg" }}\n'
            '<img src="{{ .Params.cover }}" alt="">\n' * 5)
    for p in range(pages):
        folder = root / "content" / "post" / f"p{p}"
        folder.mkdir(parents=True)
        a, b, c = p % IMAGES, (p * 7) % IMAGES, (p * 13) % IMAGES
        front = (f'+++\ntitle = "Post {p}"\ncover = "/img/i{a}.png"\n'
                 f'images = ["/img/i{b}.png", "/img/i{c}.png"]\n+++\n') if p % 2 else \
            (f"---\ntitle: Post {p}\ncover: /img/i{a}.png\n"
             f"images:\n  - /img/i{b}.png\n---\n")
        body = "".join(f"Paragraph {k} with some words about the post.\n\n"
                       f"![figure](/img/i{(a + k) % IMAGES}.png)\n\n"
                       f'{{{{< figure src="/img/i{(b + k) % IMAGES}.png" >}}}}\n\n'
                       for k in range(4))
        (folder / "index.md").write_text(front + body + "```\n<img src=\"/x.png\">\n```\n")


def run(root: Path, *args: str) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assetgen", "verify", *args], cwd=root,
                          capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hugo-bench-") as tmp:
        root = Path(tmp)
        build_site(root, args.pages)
        _seconds, code = run(root)
        if code != 0:
            print(f"the site does not verify clean (exit {code})")
            return 1
        cold = statistics.median(run(root, "--no-cache")[0] for _ in range(args.runs))
        warm = statistics.median(run(root)[0] for _ in range(args.runs))
        print(f"hugo-shaped site, {args.pages} pages: verify cold {cold * 1000:.0f} ms, "
              f"warm {warm * 1000:.0f} ms (median of {args.runs}; target warm <= 1 s: "
              f"{'MET' if warm <= 1 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
