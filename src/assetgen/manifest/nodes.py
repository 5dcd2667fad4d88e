"""Reading parsed YAML nodes: where a value is, what it is, and how big it really is.

Both YAML readers (`reader`'s fast path and ruamel's round-trip loader) give containers an
`.lc` line map; everything here works on either, and on plain values without one.
"""

from __future__ import annotations

from typing import Any

MAX_EXPANDED_VALUES = 100_000
MAX_EXPANDED_BYTES = 32 * 1024 * 1024

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}

_ARTICLES = {"integer": "an integer", "array": "a list", "object": "a mapping",
             "string": "a string", "number": "a number", "boolean": "true or false"}


def line_of(node: Any, key: str | int | None = None, default: int = 1) -> int:
    """1-based line of ``node`` (or of its ``key``) in the YAML source."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        if key is None:
            return lc.line + 1
        if isinstance(key, int):
            return lc.item(key)[0] + 1
        return lc.key(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return (lc.line + 1) if getattr(lc, "line", None) is not None else default


def type_ok(value: Any, type_name: str) -> bool:
    """Whether ``value`` has the JSON type ``type_name`` (a boolean is not a number)."""
    if isinstance(value, bool) and type_name in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES[type_name])


def a_type(type_name: str) -> str:
    """A JSON type as messages name it: `array` → `a list`."""
    return _ARTICLES[type_name]


def describe(value: Any) -> str:
    """A value as messages show what was found instead: `a mapping`, `the number 3`."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"`{value}`"


def optional_str(value: Any) -> str | None:
    return str(value) if value is not None else None


class ExpandedSize:
    """How many values, and how many bytes of text, a node stands for once aliases are
    expanded. Memoised by identity (containers and long strings), so it costs time in
    proportion to the distinct nodes, not to the expansion."""

    def __init__(self) -> None:
        self.memo: dict[int, tuple[int, int]] = {}

    def of(self, node: Any) -> tuple[int, int]:
        if isinstance(node, str):
            if len(node) < 64:
                return 1, len(node)
            known = self.memo.get(id(node))
            if known is None:
                known = self.memo[id(node)] = (1, len(node.encode("utf-8", "surrogatepass")))
            return known
        if not isinstance(node, dict | list):
            return 1, 8
        known = self.memo.get(id(node))
        if known is not None:
            return known
        too_big = (MAX_EXPANDED_VALUES + 1, MAX_EXPANDED_BYTES + 1)
        self.memo[id(node)] = too_big  # a cycle (recursive alias) counts as too big
        children = node.values() if isinstance(node, dict) else node
        values = 1
        size = 2 + (sum(len(str(key)) for key in node) if isinstance(node, dict) else 0)
        for child in children:
            child_values, child_size = self.of(child)
            values += child_values
            size += child_size
            if values > MAX_EXPANDED_VALUES or size > MAX_EXPANDED_BYTES:
                values, size = too_big
                break
        self.memo[id(node)] = (values, size)
        return values, size
