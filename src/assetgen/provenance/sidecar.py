"""Provenance sidecars: `<image>.provenance.json`, canonical and secret-free."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assetgen import TOOL
from assetgen.core.canonical import readable_json
from assetgen.core.secrets import redact_fields

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


# A sidecar is a few KB; anything near this is not one of ours (and is never read whole).
MAX_SIDECAR_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32  # real records nest 4 deep; deeper input only feeds recursion elsewhere
MAX_COST_USD = 1_000_000.0
_TEXT_FIELDS = ("schema", "asset", "file", "sha256", "route", "model", "prompt", "quality",
                "size", "spec_hash", "created_at", "tool", "format", "billing", "cost_basis",
                "generation_hash", "request_id", "response_id", "revised_prompt", "base_url",
                "provider", "session", "rederived_at")
_COUNT_FIELDS = ("bytes", "width", "height", "attempts")
_MAPPING_FIELDS = ("master", "embedded", "derivation", "usage", "mask")
_LIST_FIELDS = ("variants", "inputs", "postprocess", "retries")


def read_sidecar(image: Path) -> dict[str, Any] | None:
    """The sidecar of ``image``, None if there is none; CorruptSidecar if unreadable.

    Sidecars come from the repository, so they are hostile input: a symlink is not
    followed, size is capped, and every field assetgen uses must have its type.
    """
    from assetgen.core.fsutil import read_no_follow

    path = sidecar_path(image)
    try:
        data = read_no_follow(path, MAX_SIDECAR_BYTES)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CorruptSidecar(f"{path.name}: {exc.strerror or exc}") from exc
    return parse_sidecar(data, path.name)


def parse_sidecar(data: bytes, name: str) -> dict[str, Any]:
    """The one parser of provenance records (sidecars, pending sidecars): a dict whose
    used fields have their types, or CorruptSidecar saying what is wrong."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise CorruptSidecar(f"{name}: larger than {MAX_SIDECAR_BYTES:,} bytes")
    try:
        record = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CorruptSidecar(f"{name}: not UTF-8") from exc
    except RecursionError as exc:
        raise CorruptSidecar(f"{name}: nested too deeply") from exc
    except ValueError as exc:  # bad JSON, or an integer past Python's digit limit
        raise CorruptSidecar(f"{name}: not JSON ({str(exc)[:120]})") from exc
    if not isinstance(record, dict) or record.get("schema") != SCHEMA:
        raise CorruptSidecar(f"{name}: not an {SCHEMA} record")
    problem = _type_problem(record)
    if problem is not None:
        raise CorruptSidecar(f"{name}: {problem}")
    return record


def _type_problem(record: dict[str, Any]) -> str | None:
    if _depth(record) > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep"
    for key in _TEXT_FIELDS:
        if key in record and not isinstance(record[key], str | None):
            return f"`{key}` is not a string"
    for key in _COUNT_FIELDS:
        value = record.get(key)
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool)
                                      and 0 <= value < 2**53):
            return f"`{key}` is not a whole number"
    for key, kind in (*((k, dict) for k in _MAPPING_FIELDS),
                      *((k, list) for k in _LIST_FIELDS)):
        if record.get(key) is not None and not isinstance(record[key], kind):
            return f"`{key}` is not a{'n object' if kind is dict else ' list'}"
    cost = record.get("cost_usd")
    if cost is not None and not (isinstance(cost, int | float) and not isinstance(cost, bool)
                                 and 0 <= cost <= MAX_COST_USD):
        return f"`cost_usd` is not a price between 0 and {MAX_COST_USD:,.0f}"
    for key in ("variants", "inputs"):
        if any(not isinstance(entry, dict) for entry in record.get(key) or []):
            return f"`{key}` holds something other than objects"
    return None


def _depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend((child, level + 1)
                             for child in (item.values() if isinstance(item, dict) else item))
    return deepest


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
