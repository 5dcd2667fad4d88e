"""Provenance sidecars: `<image>.provenance.json`, canonical and secret-free."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assetgen import TOOL
from assetgen.canonical import readable_json
from assetgen.secrets import redact_fields

SCHEMA = "assetgen.provenance/1"
SUFFIX = ".provenance.json"
REQUIRED = ("schema", "asset", "file", "sha256", "bytes", "width", "height", "format",
            "route", "model", "prompt", "quality", "size", "spec_hash", "created_at", "tool")
# Structured values other records and checks compare (the embedded record, the manifest,
# the masters cache): redaction never rewrites them, at any depth. Everything else in a
# record (prompt, revised_prompt, request ids, server text) is free text and is redacted.
IDENTITY_FIELDS = frozenset({
    "schema", "tool", "asset", "file", "path", "ref", "sha256", "spec_hash",
    "generation_hash", "prompt_sha256", "format", "ext", "route", "model", "quality",
    "size", "created_at", "billing",
})
ROUTE_VALUES = ("images.generate", "images.edit", "responses", "gateway", "codex", "draft",
                "adopted")


class CorruptSidecar(Exception):
    """The sidecar exists but is not a readable provenance record."""


def sidecar_path(image: Path) -> Path:
    return image.with_name(image.name + SUFFIX)


def image_path_for(sidecar: Path) -> Path:
    return sidecar.with_name(sidecar.name[: -len(SUFFIX)])


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SUFFIX)


def read_sidecar(image: Path) -> dict[str, Any] | None:
    """The sidecar of ``image``, None if there is none; CorruptSidecar if unreadable."""
    path = sidecar_path(image)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise CorruptSidecar(f"{path.name}: {exc}") from exc
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise CorruptSidecar(f"{path.name}: not JSON ({exc})") from exc
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise CorruptSidecar(f"{path.name}: not an {SCHEMA} record")
    return record


def render_sidecar(record: dict[str, Any]) -> bytes:
    """Canonical bytes of a record: sorted keys, 2-space indent, trailing newline.

    Any secret that found its way into a free-text field is masked here, the last
    gate before disk; identity fields are written as they are.
    """
    missing = [name for name in REQUIRED if name not in record]
    if missing:
        raise ValueError(f"provenance record lacks {', '.join(missing)}")
    clean = {k: v for k, v in record.items() if v is not None}
    return readable_json(redact_fields(clean, IDENTITY_FIELDS)).encode("utf-8")


def base_record(**fields: Any) -> dict[str, Any]:
    return {"schema": SCHEMA, "tool": TOOL, **fields}
