"""The provenance record (SPEC 2.2): what assetgen knows about one image it wrote.

`Record` is the one list of a record's fields; sidecars, pending sidecars, builds,
re-derivations and `adopt` all go through it. `Record.parse` is the one parser (sidecars
are committed files, hence hostile: size, depth, every typed field's type and the required
fields are checked, and anything wrong is one `CorruptSidecar` line, never another
exception); `Record.to_json` is the one renderer (sorted keys, 2-space indent, trailing
newline, absent fields left out, secrets masked in free text).

Fields a record carries that `Record` does not type are **preserved, not interpreted**:
route-specific facts (codex's session file, a gateway's task id, …) and fields written by
another version of assetgen stay in `details`, verbatim, and are written back when the
record is rendered, so a re-derivation keeps an older or newer record's lineage whole.
They pass the same size and depth caps, and are redacted as free text on render.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from assetgen import TOOL
from assetgen.core.canonical import readable_json
from assetgen.core.secrets import redact_fields

SCHEMA = "assetgen.provenance/1"
# A sidecar is a few KB; anything near this is not one of ours (and is never read whole).
MAX_RECORD_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 32  # real records nest 4 deep; deeper input only feeds recursion elsewhere
MAX_COST_USD = 1_000_000.0
# Structured values other records and checks compare (the embedded record, the manifest,
# the masters cache): redaction never rewrites them, at any depth. Everything else in a
# record (prompt, revised_prompt, request ids, server text) is free text and is redacted.
IDENTITY_FIELDS = frozenset({
    "schema", "tool", "asset", "file", "path", "ref", "sha256", "spec_hash",
    "generation_hash", "prompt_sha256", "format", "ext", "route", "model", "quality",
    "size", "created_at", "billing",
})

# What a field holds, checked by `Record.parse` (and so by every record built through it),
# attached to each field's type.
TEXT, COUNT, PRICE, SECONDS, FLAG, OBJECT, OBJECTS, LIST, OBJECT_OR_TEXT = (
    "text", "count", "price", "seconds", "flag", "object", "objects", "list", "object-or-text")
Text = Annotated[str, TEXT]
Count = Annotated[int, COUNT]  # a whole number in [0, 2**53)
Price = Annotated[float, PRICE]  # USD in [0, MAX_COST_USD]
Seconds = Annotated[float, SECONDS]  # finite, not negative
Flag = Annotated[bool, FLAG]
JsonObject = Annotated[dict[str, Any], OBJECT]
JsonObjects = Annotated[list[dict[str, Any]], OBJECTS]
JsonList = Annotated[list[Any], LIST]
JsonObjectOrText = Annotated[dict[str, Any] | str, OBJECT_OR_TEXT]


class CorruptSidecar(Exception):
    """The sidecar exists but is not a readable provenance record."""


@dataclass(frozen=True, kw_only=True)
class Record:
    """One provenance record. None means "not recorded" (left out of the JSON)."""

    # Required (SPEC 2.2).
    schema: Text = SCHEMA
    tool: Text = TOOL
    asset: Text
    file: Text  # relative to output_dir (or the asset's `root:`)
    sha256: Text
    bytes: Count
    width: Count
    height: Count
    format: Text
    route: Text
    model: Text
    prompt: Text
    quality: Text
    size: Text
    spec_hash: Text
    created_at: Text
    # Recorded where known (SPEC 2.2).
    responses_model: Text | None = None
    billing: Text | None = None
    base_url: Text | None = None
    provider: Text | None = None
    request_id: Text | None = None
    response_id: Text | None = None
    revised_prompt: Text | None = None
    usage: JsonObject | None = None
    cost_usd: Price | None = None
    cost_basis: Text | None = None
    inputs: JsonObjects | None = None  # ref, asset, path, sha256
    mask: JsonObject | None = None  # path, sha256
    postprocess: JsonList | None = None
    attempts: Count | None = None
    retries: JsonList | None = None
    duration_s: Seconds | None = None
    session: Text | None = None
    # What builds record besides.
    generation_hash: Text | None = None
    background: Text | None = None
    transparent: Text | None = None
    fidelity: Text | None = None
    master: JsonObject | None = None  # sha256, format, width, height
    derivation: JsonObject | None = None
    embedded: JsonObject | None = None
    variants: JsonObjects | None = None
    # The C2PA manifest the route's image carried, as read (state, issuer, …); "present" in
    # sidecars written before manifests were read.
    c2pa: JsonObjectOrText | None = None
    c2pa_preserved: Flag | None = None
    rederived_at: Text | None = None
    source: JsonObject | None = None  # `adopt`: the file adopted
    # Everything else, kept verbatim (see the module docstring).
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        clash = _TYPED.intersection(self.details)
        if clash:
            raise ValueError(f"typed fields passed as details: {', '.join(sorted(clash))}")

    @classmethod
    def parse(cls, data: builtins.bytes, name: str) -> Record:
        """The record in ``data`` (a sidecar's bytes), or CorruptSidecar saying what is
        wrong, prefixed with ``name``."""
        if len(data) > MAX_RECORD_BYTES:
            raise CorruptSidecar(f"{name}: larger than {MAX_RECORD_BYTES:,} bytes")
        try:
            value = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise CorruptSidecar(f"{name}: not UTF-8") from exc
        except RecursionError as exc:
            raise CorruptSidecar(f"{name}: nested too deeply") from exc
        except ValueError as exc:  # bad JSON, or an integer past Python's digit limit
            raise CorruptSidecar(f"{name}: not JSON ({str(exc)[:120]})") from exc
        if not isinstance(value, dict):
            raise CorruptSidecar(f"{name}: not an {SCHEMA} record")
        # Each level of nesting opens a bracket: with no more brackets than MAX_DEPTH (every
        # real sidecar) the walk that measures the depth can be skipped.
        shallow = data.count(b"{") + data.count(b"[") <= MAX_DEPTH
        try:
            return cls._checked(value, depth_known=shallow)
        except CorruptSidecar as exc:
            raise CorruptSidecar(f"{name}: {exc}") from None

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Record:
        """The record a decoded JSON object describes, checked as `parse` checks it.

        One pass over the object's own keys (a sidecar holds far fewer than `Record` has
        fields): every build, plan and verify parses each sidecar here.
        """
        return cls._checked(value, depth_known=False)

    @classmethod
    def _checked(cls, value: Mapping[str, Any], *, depth_known: bool) -> Record:
        if value.get("schema") != SCHEMA:
            raise CorruptSidecar(f"not an {SCHEMA} record")
        if not depth_known and _nested_deeper(value.values(), 2):
            raise CorruptSidecar(f"nested more than {MAX_DEPTH} levels deep")
        typed: dict[str, Any] = {}
        details: dict[str, Any] = {}
        for name, found in value.items():
            if found is None:
                continue
            check = _CHECKS.get(name)
            if check is None:
                details[name] = found
                continue
            problem = check(found)
            if problem is not None:
                raise CorruptSidecar(f"`{name}` {problem}")
            typed[name] = found
        if not typed.keys() >= _REQUIRED:
            missing = [name for name in REQUIRED if name not in typed]
            raise CorruptSidecar(f"lacks {', '.join(f'`{name}`' for name in missing)}")
        # What `cls(**typed, details=details)` builds, without its 46 frozen-field
        # assignments (a third of the parse): every field is checked above, and `details`
        # holds no typed name by construction.
        record = object.__new__(cls)
        record.__dict__.update(_DEFAULTS, **typed, details=details)
        return record

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON object: recorded fields only, details alongside."""
        values = {k: v for k, v in self.details.items() if v is not None}
        for spec in _FIELDS:
            found = getattr(self, spec.name)
            if found is not None:
                values[spec.name] = found
        return values

    def to_json(self) -> builtins.bytes:
        """Canonical sidecar bytes: sorted keys, 2-space indent, trailing newline.

        Any secret that found its way into a free-text field is masked here, the last
        gate before disk; identity fields are written as they are.
        """
        return readable_json(redact_fields(self.to_dict(), IDENTITY_FIELDS)).encode("utf-8")

    def with_details(self, facts: Mapping[str, Any]) -> Record:
        """This record plus a route's extra ``facts`` where it has no value yet: a fact
        naming a typed field fills it (and is checked), the others go to `details`."""
        merged = {**{k: v for k, v in facts.items() if v is not None}, **self.to_dict()}
        return Record.from_json(merged)

    def replace(self, **changes: Any) -> Record:
        return dataclasses.replace(self, **changes)

    def well_formed_variants(self) -> list[dict[str, Any]]:
        """The `variants` entries naming a file and its sha256 (both strings)."""
        return [entry for entry in self.variants or ()
                if isinstance(entry.get("file"), str) and isinstance(entry.get("sha256"), str)]

    def master_file(self) -> tuple[str, str] | None:
        """The recorded master's sha256 and format, when both are strings."""
        master = self.master or {}
        sha256, fmt = master.get("sha256"), master.get("format")
        return (sha256, fmt) if isinstance(sha256, str) and isinstance(fmt, str) else None


_ALIASES = {"Text": Text, "Count": Count, "Price": Price, "Seconds": Seconds, "Flag": Flag,
            "JsonObject": JsonObject, "JsonObjects": JsonObjects, "JsonList": JsonList,
            "JsonObjectOrText": JsonObjectOrText}


def _kind(annotation: str) -> str:
    """The kind a field's annotation carries: ``Text`` or ``Text | None`` (the module
    defers annotations, so they are these strings) names an alias above. Read by name,
    not through `typing.get_type_hints`, which evaluates every annotation: ~1 ms of every
    start-up that loads this module (the test checks both agree)."""
    alias = _ALIASES[annotation.removesuffix(" | None")]
    return str(alias.__metadata__[0])  # type: ignore[attr-defined]


_FIELDS = tuple(spec for spec in dataclasses.fields(Record) if spec.name != "details")
# The kind of every typed field, read from its annotation: what `parse` checks.
FIELD_KINDS = {spec.name: _kind(str(spec.type)) for spec in _FIELDS}
_TYPED = frozenset(spec.name for spec in _FIELDS)
_DEFAULTS = {spec.name: spec.default for spec in _FIELDS
             if spec.default is not dataclasses.MISSING}
_REQUIRED = frozenset(spec.name for spec in _FIELDS
                      if spec.default is dataclasses.MISSING or spec.default is not None)
REQUIRED = tuple(spec.name for spec in _FIELDS if spec.name in _REQUIRED)


def _text(value: Any) -> str | None:
    return None if isinstance(value, str) else "is not a string"


def _count(value: Any) -> str | None:
    return None if _is_number(value) and isinstance(value, int) and 0 <= value < 2**53 \
        else "is not a whole number"


def _price(value: Any) -> str | None:
    return None if _is_number(value) and 0 <= value <= MAX_COST_USD \
        else f"is not a price between 0 and {MAX_COST_USD:,.0f}"


def _seconds(value: Any) -> str | None:
    return None if _is_number(value) and math.isfinite(value) and value >= 0 \
        else "is not a number of seconds"


def _flag(value: Any) -> str | None:
    return None if isinstance(value, bool) else "is not true or false"


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "is not an object"


def _object_or_text(value: Any) -> str | None:
    return None if isinstance(value, dict | str) else "is neither an object nor a string"


def _objects(value: Any) -> str | None:
    if not isinstance(value, list):
        return "is not a list"
    return None if all(isinstance(entry, dict) for entry in value) \
        else "holds something other than objects"


def _list(value: Any) -> str | None:
    return None if isinstance(value, list) else "is not a list"


_KIND_CHECKS: dict[str, Callable[[Any], str | None]] = {
    TEXT: _text, COUNT: _count, PRICE: _price, SECONDS: _seconds, FLAG: _flag,
    OBJECT: _object, OBJECTS: _objects, LIST: _list, OBJECT_OR_TEXT: _object_or_text,
}
# Each typed field's check (None: the value is acceptable), from its kind.
_CHECKS = {name: _KIND_CHECKS[kind] for name, kind in FIELD_KINDS.items()}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _nested_deeper(children: Iterable[Any], level: int) -> bool:
    """Whether any list or object among ``children`` (found at ``level``) nests past
    MAX_DEPTH. Recurses at most MAX_DEPTH deep, and only into lists and objects."""
    for child in children:
        if isinstance(child, dict | list) and (level > MAX_DEPTH or _nested_deeper(
                child.values() if isinstance(child, dict) else child, level + 1)):
            return True
    return False
