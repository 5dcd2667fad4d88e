"""The typed provenance record: one parser, one renderer, lossless round trips."""

from __future__ import annotations

import dataclasses
import json
import types
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetgen.build import recording
from assetgen.build.store import Derived
from assetgen.provenance.naming import sidecar_path
from assetgen.provenance.record import (
    FIELD_KINDS,
    MAX_DEPTH,
    REQUIRED,
    SCHEMA,
    CorruptSidecar,
    Record,
)
from assetgen.provenance.sidecar import claimed, read_sidecar

GOOD: dict[str, Any] = {
    "schema": SCHEMA, "tool": "assetgen 0.1.0", "asset": "hero", "file": "img/hero.png",
    "sha256": "0" * 64, "bytes": 10, "width": 8, "height": 8, "format": "png",
    "route": "codex", "model": "gpt-image-2", "prompt": "A rocket", "quality": "low",
    "size": "1024x1024", "spec_hash": "sha256:" + "1" * 64,
    "created_at": "2026-01-01T00:00:00Z",
}


def _bytes_of(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


def test_every_example_site_sidecar_parses_and_renders_byte_identically(
        repo_root: Path) -> None:
    sidecars = sorted((repo_root / "example-site").rglob("*.provenance.json"))
    assert len(sidecars) >= 5
    for path in sidecars:
        data = path.read_bytes()
        record = Record.parse(data, path.name)
        assert record.details == {}, f"{path.name}: a field Record does not type"
        assert record.to_json() == data, path.name


def test_unknown_fields_are_kept_verbatim_and_written_back() -> None:
    data = _bytes_of({**GOOD, "codex_version": "0.98.0", "polls": 3,
                      "written_by_a_later_version": {"deep": [1, 2]}, "dropped": None})
    record = Record.parse(data, "x.json")
    assert record.details == {"codex_version": "0.98.0", "polls": 3,
                              "written_by_a_later_version": {"deep": [1, 2]}}
    written = json.loads(record.to_json())
    assert written["codex_version"] == "0.98.0" and written["polls"] == 3
    assert "dropped" not in written and "details" not in written


def test_a_re_derivation_keeps_lineage_and_details_and_replaces_the_file_fields() -> None:
    old = Record.from_json({**GOOD, "request_id": "req_1", "session": "s-1",
                            "codex_file": "ig_1.png", "c2pa": "present",
                            "c2pa_preserved": True, "variants": [{"file": "img/hero-9w.png",
                                                                  "sha256": "2" * 64}]})
    derived = Derived(data=b"NEW", width=4, height=4, format="webp", postprocess=[])
    new = recording.rederived(old, derived, spec_hash="sha256:new", derivation={"f": 1},
                              master=b"not an image with c2pa", credentials=None,
                              asset_id="hero",
                              file="img/hero.webp", now="2026-02-02T00:00:00Z")
    assert (new.request_id, new.session, new.details) == ("req_1", "s-1",
                                                           {"codex_file": "ig_1.png"})
    assert (new.file, new.format, new.bytes, new.width) == ("img/hero.webp", "webp", 3, 4)
    assert new.spec_hash == "sha256:new" and new.rederived_at == "2026-02-02T00:00:00Z"
    assert new.c2pa is None and new.c2pa_preserved is None and new.variants is None


@pytest.mark.parametrize(("change", "message"), [
    ({"prompt": None}, "lacks `prompt`"),
    ({"tool": 3}, "`tool` is not a string"),
    ({"bytes": -1}, "`bytes` is not a whole number"),
    ({"bytes": True}, "`bytes` is not a whole number"),
    ({"duration_s": -0.5}, "`duration_s` is not a number of seconds"),
    ({"c2pa_preserved": "yes"}, "`c2pa_preserved` is not true or false"),
    ({"inputs": [["hero"]]}, "`inputs` holds something other than objects"),
    ({"source": "camera.png"}, "`source` is not an object"),
    ({"c2pa": ["present"]}, "`c2pa` is neither an object nor a string"),
    ({"schema": "assetgen.provenance/2"}, "not an assetgen.provenance/1 record"),
])
def test_the_parser_names_the_field_at_fault(change: dict[str, Any], message: str) -> None:
    with pytest.raises(CorruptSidecar, match=f"^x.json: .*{message}"):
        Record.parse(_bytes_of({**GOOD, **change}), "x.json")


def _nested(levels: int, *, brackets: str = "[]") -> Any:
    """A value `levels` deep counting itself (a list holding a list holding ... [])."""
    value: Any = [] if brackets == "[]" else {}
    for _ in range(levels - 1):
        value = [value] if brackets == "[]" else {"k": value}
    return value


@pytest.mark.parametrize("brackets", ["[]", "{}"])
def test_nesting_is_capped_at_max_depth_by_parse_and_by_from_json(brackets: str) -> None:
    # The record itself is level 1, so a detail may nest MAX_DEPTH - 1 levels.
    fits = {**GOOD, "later": _nested(MAX_DEPTH - 1, brackets=brackets)}
    deep = {**GOOD, "later": [1, "x", _nested(MAX_DEPTH, brackets=brackets)]}
    assert Record.parse(_bytes_of(fits), "x.json").details["later"] == fits["later"]
    assert Record.from_json(fits).details["later"] == fits["later"]
    with pytest.raises(CorruptSidecar, match=f"^x.json: nested more than {MAX_DEPTH} levels"):
        Record.parse(_bytes_of(deep), "x.json")
    with pytest.raises(CorruptSidecar, match="nested more than"):
        Record.from_json(deep)
    # Brackets inside strings only make parse walk the value; they never refuse it.
    texty = {**GOOD, "prompt": "[{" * (MAX_DEPTH + 5)}
    assert Record.parse(_bytes_of(texty), "x.json").prompt == texty["prompt"]


def test_every_required_field_is_required() -> None:
    assert set(REQUIRED) == {"schema", "asset", "file", "sha256", "bytes", "width", "height",
                             "format", "route", "model", "prompt", "quality", "size",
                             "spec_hash", "created_at", "tool"}
    for name in REQUIRED:
        with pytest.raises(CorruptSidecar):
            Record.from_json({k: v for k, v in GOOD.items() if k != name})


def test_route_facts_fill_typed_fields_once_and_the_rest_go_to_details() -> None:
    record = Record.from_json({**GOOD, "billing": "codex-credits"})
    merged = record.with_details({"session": "s-2", "billing": "openai-api",
                                  "codex_version": "1.0", "unset": None})
    assert merged.session == "s-2" and merged.billing == "codex-credits"
    assert merged.details == {"codex_version": "1.0"}
    with pytest.raises(CorruptSidecar, match="`session` is not a string"):
        record.with_details({"session": 7})
    with pytest.raises(ValueError, match="typed fields passed as details: prompt"):
        dataclasses.replace(record, details={"prompt": "shadow"})


def test_a_stray_sidecar_still_names_its_asset_but_is_no_record(tmp_path: Path) -> None:
    image = tmp_path / "stray.png"
    sidecar_path(image).write_text('{"schema": "assetgen.provenance/1", "asset": "old"}')
    assert claimed(image, "asset") == "old" and claimed(image, "route") is None
    with pytest.raises(CorruptSidecar, match="lacks"):
        read_sidecar(image)
    sidecar_path(image).write_text('["old"]')
    assert claimed(image, "asset") is None
    assert claimed(tmp_path / "none.png", "asset") is None


# --- round trip: Record → JSON → Record is the identity ---------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
_count = st.integers(min_value=0, max_value=2**53 - 1)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8)
_object = st.dictionaries(_text, _json, max_size=4)
_TYPED = {f.name for f in dataclasses.fields(Record)}


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


_KIND_STRATEGY: dict[str, st.SearchStrategy[Any]] = {
    "text": _text, "count": _count,
    "price": st.floats(min_value=0, max_value=1_000_000) | st.integers(0, 1_000_000),
    "seconds": st.floats(min_value=0, max_value=1e9), "flag": st.booleans(),
    "object": _object, "objects": st.lists(_object, max_size=3),
    "list": st.lists(_json, max_size=3), "object-or-text": _object | _text,
}


@st.composite
def records(draw: st.DrawFn) -> Record:
    values: dict[str, Any] = {}
    for name, kind in FIELD_KINDS.items():
        strategy = _KIND_STRATEGY[kind]
        if name == "schema":
            values[name] = SCHEMA
        elif name in REQUIRED:
            values[name] = draw(strategy)
        else:
            values[name] = draw(_optional(strategy))
    details = draw(st.dictionaries(_text.filter(lambda k: k not in _TYPED), _json.filter(
        lambda v: v is not None), max_size=3))
    return Record(**values, details=details)


@settings(max_examples=150, deadline=None)
@given(records())
def test_record_to_json_to_record_is_the_identity(record: Record) -> None:
    data = record.to_json()
    assert Record.parse(data, "x.json") == record
    assert Record.parse(data, "x.json").to_json() == data


def test_field_kinds_read_by_name_agree_with_the_evaluated_annotations() -> None:
    """`FIELD_KINDS` reads each annotation's alias by name (start-up time); evaluated
    through typing, every field must carry the same kind, and every field has one."""
    import typing

    hints = typing.get_type_hints(Record, include_extras=True)
    evaluated = {}
    for name, hint in hints.items():
        if name == "details":
            continue
        if typing.get_origin(hint) in (typing.Union, types.UnionType):
            (hint,) = (arg for arg in typing.get_args(hint) if arg is not type(None))
        evaluated[name] = hint.__metadata__[0]
    assert evaluated == FIELD_KINDS
    assert len(FIELD_KINDS) == len(dataclasses.fields(Record)) - 1
