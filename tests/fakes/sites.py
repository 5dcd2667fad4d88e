"""Fixture sites: a manifest plus files, written into a temp folder."""

from __future__ import annotations

import contextlib
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

BASIC_MANIFEST = """\
version: 1
output_dir: public
sources:
  - "pages/**/*.html"
defaults:
  route: images
  model: gpt-image-2
  quality: low
  size: 1024x1024
vars:
  brand: Acme
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket launching for {{ brand }}"
  - id: card
    path: img/card.webp
    prompt: "A social card for {{ brand }}"
    width: 1200
    height: 630
"""

# Two draft-route assets: builds offline; the security tests attack its files and sidecars.
TWO_DRAFT_ASSETS = """\
version: 1
output_dir: public
defaults:
  route: draft
  size: 1024x1024
assets:
  - id: hero
    path: img/hero.png
    prompt: "A rocket"
  - id: card
    path: img/card.png
    prompt: "A card"
"""


def write_site(root: Path, manifest: str, files: dict[str, bytes | str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "assetgen.yaml").write_text(textwrap.dedent(manifest), encoding="utf-8")
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


def png_bytes(width: int, height: int, colour: tuple[int, ...] = (200, 80, 40),
              mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def mask_bytes(width: int, height: int, repaint_top: float = 0.4) -> bytes:
    """An RGBA mask: alpha 0 (repaint) over the top part, opaque below."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    cut = int(height * repaint_top)
    image.paste((0, 0, 0, 0), (0, 0, width, cut))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


# Every output run_cli captured this session: the end-of-session secrets audit reads them.
CAPTURED_OUTPUTS: list[str] = []


def run_cli(*args: str | Path) -> CliResult:
    """Run the real CLI in-process (same argument parsing and error boundary)."""
    from assetgen.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    CAPTURED_OUTPUTS.append(out.getvalue() + err.getvalue())
    return CliResult(code, out.getvalue(), err.getvalue())
