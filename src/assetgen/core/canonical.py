"""Canonical JSON and tagged content hashes.

One JSON spelling per value (sorted keys, no insignificant whitespace, UTF-8)
so that a hash of it is stable across runs, platforms and Python versions.
Hashes are tagged with their algorithm (``sha256:<hex>``) so that a later
change of algorithm cannot be mistaken for a change of content.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

HASH_TAG = "sha256"
_CHUNK = 1 << 20


def canonical_json(value: Any) -> str:
    """The single canonical spelling of a JSON value, for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def readable_json(value: Any) -> str:
    """Sorted, 2-space indented JSON with a trailing newline, for files people diff."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def tagged_hash(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    digest = hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
    return f"{HASH_TAG}:{digest}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    # A raw descriptor, not open(): a verify hashes thousands of small images, and the
    # buffered file object cost as much as the read.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()
