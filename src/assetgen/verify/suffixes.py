"""Which files a scan reads, by suffix, and which names are images.

Apart from the scanners so that `verify.scope` can tell an image from a page without
loading them.
"""

from __future__ import annotations

IMAGE_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".webp", ".avif", ".gif", ".svg", ".ico", ".bmp", ".tif", ".tiff",
    ".jxl", ".apng",
})  # fmt: skip

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
JSX_SUFFIXES = frozenset({".jsx", ".tsx", ".js", ".ts", ".mjs", ".cjs"})
CSS_SUFFIXES = frozenset({".css", ".scss", ".sass", ".less"})
TEMPLATE_SUFFIXES = frozenset({".j2", ".jinja", ".jinja2", ".njk", ".liquid"})
