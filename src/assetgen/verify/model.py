"""What a scan finds: references and skip counts (the suffixes each syntax reads are
`verify.suffixes`', the skip reasons `verify.report`'s).

Shared by the scanners (`syntaxes`, `page`, `fields`) and their entry points (`references`),
so that none of them imports another in a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assetgen.verify.report import no_skips


@dataclass(frozen=True)
class Reference:
    """One image reference: where it is written and which file it names."""

    page: Path  # absolute path of the referencing page
    line: int  # 1-based line of the reference in the page
    raw: str  # the reference as written (surrounding whitespace trimmed)
    target: Path  # absolute, lexically normalised path of the referenced file
    kind: str  # img srcset meta link style md md-ref jsx-src import css-url template literal
    attrs: Mapping[str, str] | None = field(default=None, compare=False)  # width/height if given


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
