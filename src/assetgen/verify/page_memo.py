"""A page's references, remembered in the hash cache while the page is unchanged.

A verify reads every source page, and scanning is most of a warm verify or a pre-commit
run: the references of an unchanged page are taken from `.assetgen/pages.json`, a
`HashCache` of its own (`remember_contents`, keyed by the page's size, mtime and inode, as
file hashes are — a cache committed by someone else never matches a fresh clone; and a
build, which reads the file hashes, does not load them).

Only for sites without a generator: there a reference's target is worked out from the
page's text and path alone. A generator's resolver tries candidates in the order the
files exist, so its answers can change while the page does not; those pages are scanned
every time. The memo's tag names everything else the answer depends on: the site's
output folder, assetgen's version and its code (`core.hashcache.code_stamp`, which the
manifest cache keys on too: an edited scanner is a new tag).

The cache file is untrusted like the rest of the state folder: a memo that does not have
exactly the shape written here is ignored and the page scanned.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import assetgen
from assetgen.core.hashcache import code_stamp
from assetgen.verify.model import Reference, ScanResult
from assetgen.verify.report import SKIP_REASONS, no_skips


def memo_tag(output_dir: str) -> str:
    """The tag a page's memo is kept under on a site without a generator."""
    site = hashlib.sha256(output_dir.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"scan:{assetgen.__version__}:{code_stamp()[:16]}:{site}"


def to_memo(result: ScanResult) -> dict[str, Any]:
    """One page's scan as JSON: its references (line, text, target, kind, width/height)
    and its skip counts."""
    return {"refs": [[r.line, r.raw, os.fspath(r.target), r.kind,
                      dict(r.attrs) if r.attrs is not None else None]
                     for r in result.references],
            "skipped": {k: v for k, v in result.skipped.items() if v}}


def from_memo(memo: Any, page: str, paths: dict[str, Path]) -> ScanResult | None:
    """The scan a memo holds, or None when it is not one `to_memo` could have written."""
    if not isinstance(memo, dict) or set(memo) != {"refs", "skipped"}:
        return None
    refs, skipped = memo["refs"], memo["skipped"]
    if not isinstance(refs, list) or not isinstance(skipped, dict):
        return None
    counts = no_skips()
    for reason, count in skipped.items():
        if reason not in SKIP_REASONS or type(count) is not int or count < 0:
            return None
        counts[reason] = count
    page_path = Path(page)
    references = []
    for item in refs:
        if not (isinstance(item, list) and len(item) == 5):
            return None
        line, raw, target, kind, attrs = item
        if type(line) is not int or line < 1 or not isinstance(raw, str) \
                or not isinstance(target, str) or not os.path.isabs(target) \
                or not isinstance(kind, str) or not _attrs_ok(attrs):
            return None
        path = paths.get(target)
        if path is None:
            path = paths[target] = Path(target)
        references.append(Reference(page_path, line, raw, path, kind, attrs))
    return ScanResult(references, counts, 1)


def _attrs_ok(attrs: Any) -> bool:
    return attrs is None or (isinstance(attrs, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in attrs.items()))
