"""What a scan finds: references, skip counts and the page suffixes each syntax reads.

Shared by the scanners (`syntaxes`, `page`, `fields`) and their entry points (`references`),
so that none of them imports another in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".webp", ".avif", ".gif", ".svg", ".ico", ".bmp", ".tif", ".tiff",
    ".jxl", ".apng",
})  # fmt: skip
SKIP_REASONS = ("external", "data", "template", "not-image", "package", "unreadable")

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
JSX_SUFFIXES = frozenset({".jsx", ".tsx", ".js", ".ts", ".mjs", ".cjs"})
CSS_SUFFIXES = frozenset({".css", ".scss", ".sass", ".less"})
TEMPLATE_SUFFIXES = frozenset({".j2", ".jinja", ".jinja2", ".njk", ".liquid"})


@dataclass(frozen=True)
class Reference:
    """One image reference: where it is written and which file it names."""

    page: Path  # absolute path of the referencing page
    line: int  # 1-based line of the reference in the page
    raw: str  # the reference as written (surrounding whitespace trimmed)
    target: Path  # absolute, lexically normalised path of the referenced file
    kind: str  # img srcset meta link style md md-ref jsx-src import css-url template literal
    attrs: Mapping[str, str] | None = field(default=None, compare=False)  # width/height if given


def no_skips() -> dict[str, int]:
    return dict.fromkeys(SKIP_REASONS, 0)


@dataclass
class ScanResult:
    """The references found, the values skipped (by reason) and the number of pages read."""

    references: list[Reference] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=no_skips)
    pages: int = 0
    page_files: set[str] = field(default_factory=set)  # the pages read (absolute)

    def merge(self, other: ScanResult) -> None:
        self.references.extend(other.references)
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count
        self.pages += other.pages
        self.page_files |= other.page_files
