"""Read a manifest's YAML fast: libyaml composes, we build dicts and lists with line maps.

ruamel.yaml's round-trip loader is pure Python: ~0.6 s for a 2,000-asset manifest, most
of a cold no-op build. libyaml (PyYAML's C parser) turns the same file into events in
~15 ms; the values are built from those events here, without recursion (libyaml's own
composer recurses in C and crashes the process on deeply nested input). The fast path
accepts only documents it reads exactly as ruamel does (YAML 1.2 core schema): strings,
decimal integers, plain floats, booleans, nulls, mappings with unique scalar keys and
sequences. Anything else (anchors and aliases, whose names libyaml and ruamel end at
different characters; merge keys, timestamps, tags, duplicate keys, other number forms,
syntax errors, nesting deeper than `MAX_DEPTH`) makes `parse`
return `NOT_FAST`, and the caller parses with ruamel, whose values and messages stay the
reference (tests/manifest/test_reader.py compares the two).

Containers carry `.lc` like ruamel's: `lc.line`, `lc.key(k)` and `lc.item(i)` give
0-based (line, column) pairs, which is all `nodes.line_of` reads.
"""

from __future__ import annotations

import re
from typing import Any

NOT_FAST: Any = object()

MAX_INT_DIGITS = 4000  # below Python's int(str) limit (4,300 digits since 3.11)
MAX_DEPTH = 500  # deeper input goes to ruamel (libyaml's scanner is quadratic in depth)

_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT_PLAIN = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?")
_SPECIALS: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    ".inf": float("inf"), ".Inf": float("inf"), ".INF": float("inf"),
    "+.inf": float("inf"), "+.Inf": float("inf"), "+.INF": float("inf"),
    "-.inf": float("-inf"), "-.Inf": float("-inf"), "-.INF": float("-inf"),
    ".nan": float("nan"), ".NaN": float("nan"), ".NAN": float("nan"),
}
_NUMBER_START = frozenset("-+0123456789.")
# ruamel's YAML 1.2 int, float and timestamp patterns: a plain scalar matching one of them
# is not a string to ruamel, and the forms not handled above are left to ruamel to read.
_RUAMEL_NOT_A_STRING = re.compile(r"""^(?:
     [-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+
    | [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    | [-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    | [-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
    | [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[\ \t]+)[0-9][0-9]?
      :[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[\ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?
    )$""", re.X)


# Text where libyaml (YAML 1.1, and more lenient) and ruamel (YAML 1.2) part ways, found by
# fuzzing the two against each other: tabs, backslash escapes, the 1.1-only line breaks
# (NEL, LS, PS) and a block scalar header followed directly by a comment.
_DIVERGENT_TEXT = re.compile(r"[\t\\\x85\u2028\u2029]|[|>][-+0-9]*#")


class _Unsupported(Exception):
    """Something the fast path does not read exactly as ruamel: use ruamel."""


class LineMap:
    """ruamel's `lc` for one container: where it starts and where each key or item is."""

    __slots__ = ("col", "data", "line")

    def __init__(self, line: int, col: int) -> None:
        self.line = line
        self.col = col
        self.data: dict[Any, tuple[int, int]] = {}

    def key(self, key: Any) -> tuple[int, int]:
        return self.data[key]

    def item(self, index: int) -> tuple[int, int]:
        return self.data[index]


class LineDict(dict[Any, Any]):
    lc: LineMap


class LineList(list[Any]):
    lc: LineMap


def parse(text: str) -> Any:
    """The document's value with line maps, or NOT_FAST when ruamel must read it."""
    try:  # PyYAML on first parse only: a cached manifest (most `verify` runs) needs none
        import yaml  # type: ignore[import-untyped]
        from yaml.cyaml import CParser  # type: ignore[import-untyped]
    except ImportError:  # PyYAML built without libyaml: ruamel is as fast as pure PyYAML
        return NOT_FAST
    if _DIVERGENT_TEXT.search(text):
        return NOT_FAST
    parser = CParser(text)
    try:
        return _build(parser.get_event, yaml)
    except (yaml.YAMLError, _Unsupported):
        return NOT_FAST  # ruamel re-reads it, and words any error
    finally:
        parser.dispose()


class _Frame:
    __slots__ = ("container", "key", "lines")

    def __init__(self, container: Any, lines: LineMap) -> None:
        self.container = container
        self.lines = lines
        self.key: Any = _NO_KEY


_NO_KEY: Any = object()


def _build(next_event: Any, yaml: Any) -> Any:
    """One document's value from libyaml's events, with an explicit stack."""
    scalar_event = yaml.ScalarEvent
    sequence_start, mapping_start = yaml.SequenceStartEvent, yaml.MappingStartEvent
    collection_end = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    next_event()  # StreamStart
    if isinstance(next_event(), yaml.StreamEndEvent):
        return None  # nothing but comments
    stack: list[_Frame] = []
    root: Any = _NO_KEY
    while root is _NO_KEY:
        event = next_event()
        kind = type(event)
        if kind is scalar_event:
            value = _scalar(event)
            where = (event.start_mark.line, event.start_mark.column)
            if event.anchor is not None:
                raise _Unsupported("anchor")
        elif kind is mapping_start or kind is sequence_start:
            if event.tag is not None or event.anchor is not None or len(stack) >= MAX_DEPTH:
                raise _Unsupported("tag, anchor or depth")
            lines = LineMap(event.start_mark.line, event.start_mark.column)
            container: Any = LineDict() if kind is mapping_start else LineList()
            container.lc = lines
            stack.append(_Frame(container, lines))
            continue
        elif kind in collection_end:
            finished = stack.pop()
            value, where = finished.container, (finished.lines.line, finished.lines.col)
        else:  # an alias, or a second document
            raise _Unsupported(kind.__name__)
        if not stack:
            if type(value) is not LineDict:
                raise _Unsupported("not a mapping")  # the manifest's own error, from ruamel
            root = value
            continue
        parent = stack[-1]
        target = parent.container
        if type(target) is LineList:
            parent.lines.data[len(target)] = where
            target.append(value)
        elif parent.key is not _NO_KEY:
            target[parent.key] = value
            parent.key = _NO_KEY
        elif kind is not scalar_event or value in target or event.value == "<<":
            raise _Unsupported("key")  # a collection, alias, duplicate or merge key
        else:
            parent.key = value
            parent.lines.data[value] = where
    if not isinstance(next_event(), yaml.DocumentEndEvent):
        raise _Unsupported("document end")
    if not isinstance(next_event(), yaml.StreamEndEvent):
        raise _Unsupported("a second document")  # ruamel says what is wrong
    return root


def _scalar(event: Any) -> Any:
    text: str = event.value
    if event.tag is not None:
        raise _Unsupported(event.tag)  # ruamel keeps even `!!str` as a TaggedScalar
    if not event.implicit[0]:
        return text  # quoted or block scalar: always a string
    if text[:1] in ("@", "`"):
        raise _Unsupported(text)  # reserved indicators: libyaml reads them, ruamel refuses
    if text in _SPECIALS:
        return _SPECIALS[text]
    if text[:1] in _NUMBER_START:
        if _DECIMAL.fullmatch(text):
            if len(text) > MAX_INT_DIGITS:
                raise _Unsupported(text)  # int() refuses it; the loader words the error
            return int(text)
        if _FLOAT_PLAIN.fullmatch(text):
            return float(text)
        if _RUAMEL_NOT_A_STRING.match(text):
            raise _Unsupported(text)  # 0o17, 0x1F, 1_000, 1e3, 2024-01-01: ruamel's rules
    elif text in ("<<", "="):
        raise _Unsupported(text)
    return text
