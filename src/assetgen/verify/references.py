"""Find every image a site's source pages reference (SPEC.md 2.1; 2.3 unknown / broken-ref).

``scan_sources`` expands the manifest's ``sources`` globs below its folder; ``scan_page`` scans
one page, the syntax chosen by suffix (kinds in brackets):

- ``.html .htm .xhtml``: ``<img src>`` [img], img/``<source>`` srcset [srcset], og/twitter image
  ``<meta>`` [meta], icon and ``preload as=image`` ``<link>`` [link], ``url()`` in ``style=``
  [style] and ``<style>`` [css-url]; comments and ``<script>`` bodies ignored.
- ``.md .markdown``: inline [md] and reference-style [md-ref] images, raw HTML as above; code
  fences and spans ignored. ``.mdx``: the Markdown images plus the JSX syntaxes below.
- ``.jsx .tsx .js .ts .mjs .cjs``: ``src=``/``srcSet=`` literals [jsx-src/srcset], ``import`` /
  ``require()`` of image files [import], ``url()`` in strings [css-url]; ``//`` lines ignored.
- ``.css .scss .sass .less``: ``url()`` [css-url]; comments ignored.
- ``.j2 .jinja .jinja2 .njk .liquid``: the HTML syntaxes plus any quoted, whitespace-free image
  path anywhere [template]. HTML and Markdown pages also get the quoted image paths inside
  ``{{ }}``/``{% %}`` blocks (Jinja, Liquid, Hugo shortcodes) [template].
- Anything else (``.svg``, ``.webmanifest``, ...): quoted image paths anywhere [literal].

Resolution: query/fragment dropped, %-escapes decoded; ``/x`` is ``output_dir/x`` (``..`` cannot
climb above the site root), other paths are relative to the page's folder; targets are
``os.path.normpath``-ed, never resolved through symlinks. img, srcset, og meta, preload links and
Markdown images count without an image suffix; url(), imports, icons and literals need one.
``ScanResult.skipped`` counts: ``external`` (``https:``, ``mailto:``, ``//host``), ``data``,
``template`` (``{{ x }}``, ``{% %}``, ``${}``, ``#{}``, JSX ``{var}``, SCSS ``$var``),
``not-image``, ``package`` (a bare import such as ``@site/x.png``, resolved by the bundler) and
``unreadable`` (a matched file that could not be read).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetgen.verify import page_memo
from assetgen.verify.model import Reference, ScanResult
from assetgen.verify.report import SKIP_REASONS, no_skips
from assetgen.verify.resolve import Resolver
from assetgen.verify.scope import source_glob
from assetgen.verify.suffixes import (
    CSS_SUFFIXES,
    HTML_SUFFIXES,
    IMAGE_SUFFIXES,
    JSX_SUFFIXES,
    MARKDOWN_SUFFIXES,
    TEMPLATE_SUFFIXES,
)
from assetgen.verify.syntaxes import scan_text

if TYPE_CHECKING:
    from assetgen.core.hashcache import HashCache

__all__ = ["CSS_SUFFIXES", "HTML_SUFFIXES", "IMAGE_SUFFIXES", "JSX_SUFFIXES",
           "MARKDOWN_SUFFIXES", "SKIP_REASONS", "TEMPLATE_SUFFIXES", "Reference", "ScanResult",
           "find_pages", "no_skips", "scan_page", "scan_sources"]

# --- regular expressions ---------------------------------------------------------------------
# Hot patterns are lower-case and case-sensitive: they run on a lower-cased twin of the page
# (same offsets), which lets the regex engine jump to literal prefixes; values are then sliced
# from the original text. Case-insensitive patterns were ~20x slower on large pages.


# --- entry points ----------------------------------------------------------------------------


def scan_page(path: Path, text: str, *, root: Path, output_dir: Path) -> ScanResult:
    """Scan one page's text; relative ``path``/``output_dir`` are taken below ``root``."""
    root_dir = os.path.abspath(root)
    page = os.path.normpath(os.path.join(root_dir, path))
    return scan_text(page, text, os.path.normpath(os.path.join(root_dir, output_dir)), {})


def find_pages(root: Path, patterns: Sequence[str]) -> list[Path]:
    """Files below ``root`` matching any pattern, deduplicated and sorted.

    Absolute patterns and patterns with ``..`` are ignored (the manifest loader reports them),
    and so are matches whose real location is outside ``root`` (through a symlink).
    """
    root_dir = Path(os.path.abspath(root))
    inside = os.path.realpath(root_dir).rstrip(os.sep) + os.sep
    real_dirs: dict[Path, str] = {}
    found: set[Path] = set()
    for pattern in patterns:
        pure = source_glob(pattern)
        if pure is None:
            continue
        try:
            for match in root_dir.glob(str(pure)):
                if match in found or not match.is_file():
                    continue
                folder = real_dirs.get(match.parent)
                if folder is None:
                    folder = real_dirs[match.parent] = os.path.realpath(match.parent) + os.sep
                real = os.path.realpath(match) if match.is_symlink() else folder
                if (real + os.sep).startswith(inside):
                    found.add(match)
        except (ValueError, NotImplementedError, OSError):
            continue
    return sorted(found)


def scan_sources(root: Path, patterns: Sequence[str], output_dir: Path,
                 resolver: Resolver | None = None, *,
                 hashes: HashCache | None = None) -> ScanResult:
    """Scan every page matched by ``patterns`` (relative to ``root``) for image references;
    without a ``resolver``, paths resolve as on a site without a generator. With ``hashes``
    an unchanged page's references come from its memo there (`verify.page_memo`: sites
    without a generator only)."""
    result = ScanResult()
    root_dir = os.path.abspath(root)
    out = resolver or Resolver(root_dir, os.path.normpath(os.path.join(root_dir, output_dir)))
    paths: dict[str, Path] = {}
    tag = page_memo.memo_tag(out.output_dir) if hashes is not None and out.plain else None
    for page in find_pages(root, patterns):
        name = str(page)
        try:
            if hashes is None or tag is None:
                scanned = scan_text(name, _decoded(page.read_bytes()), out, paths)
            else:
                scanned = _remembered_scan(page, out, paths, hashes, tag)
        except OSError:
            result.skipped["unreadable"] += 1
            continue
        result.merge(scanned)
        result.page_files.add(name)
    return result


def _remembered_scan(page: Path, resolver: Resolver, paths: dict[str, Path],
                     hashes: HashCache, tag: str) -> ScanResult:
    name = str(page)
    fresh: list[ScanResult] = []

    def scan(data: bytes) -> dict[str, Any]:
        fresh.append(scan_text(name, _decoded(data), resolver, paths))
        return page_memo.to_memo(fresh[0])

    memo = hashes.remember_contents(page, tag, scan)
    if fresh:
        return fresh[0]
    # A memo that is not one we wrote (the state folder is untrusted): scan the page.
    return page_memo.from_memo(memo, name, paths) or scan_text(
        name, _decoded(page.read_bytes()), resolver, paths)


def _decoded(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
