"""The libyaml fast path reads every document it accepts exactly as ruamel round-trip does:
same values, same line numbers; everything else is left to ruamel (NOT_FAST)."""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from assetgen.manifest import reader as manifest_yaml
from assetgen.manifest.load import load_yaml
from assetgen.manifest.nodes import line_of
from assetgen.manifest.reader import NOT_FAST, parse

EXAMPLE_MANIFEST = Path(__file__).resolve().parents[2] / "example-site" / "assetgen.yaml"


def _ruamel(text: str) -> Any:
    return YAML(typ="rt").load(text)


def _plain(value: Any) -> Any:
    """Comparable form: ruamel's scalar subclasses as plain values, NaN as a token."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else float(value))
    if isinstance(value, str):
        return ("str", str(value))
    return ("other", type(value).__name__, repr(value))


def _lines(value: Any, seen: set[int] | None = None) -> list[Any]:
    """Every container's start line and every key's / item's line, in document order."""
    seen = set() if seen is None else seen
    if not isinstance(value, dict | list) or id(value) in seen:
        return []
    seen.add(id(value))
    out: list[Any] = [("start", line_of(value))]
    if isinstance(value, dict):
        for key, child in value.items():
            out.append(("key", _plain(key), line_of(value, key)))
            out.extend(_lines(child, seen))
    else:
        for index, child in enumerate(value):
            out.append(("item", index, line_of(value, index)))
            out.extend(_lines(child, seen))
    return out


def assert_same_as_ruamel(text: str) -> Any:
    """The fast result (or NOT_FAST); when fast and ruamel reads the text too, both must
    agree on values and lines.

    libyaml reads a few documents ruamel refuses or trips over (a block scalar whose first
    line is less indented than the next; comments ruamel's round-trip loader fails on with
    NotImplementedError): those load instead of failing, which is allowed here.
    """
    fast = parse(text)
    if fast is NOT_FAST:
        return fast
    try:
        reference = _ruamel(text)
    except (YAMLError, NotImplementedError, AssertionError):
        return fast
    assert _plain(fast) == _plain(reference), text
    assert _lines(fast) == _lines(reference), text
    return fast


def test_the_example_manifest_is_read_fast_and_the_same() -> None:
    value = assert_same_as_ruamel(EXAMPLE_MANIFEST.read_text(encoding="utf-8"))
    assert value is not NOT_FAST
    assert value["version"] == 1


def test_a_large_generated_manifest_is_read_fast_and_the_same() -> None:
    entries = "".join(f"  - id: a{i}\n    path: img/{i % 7}/a{i}.png\n"
                      f"    prompt: \"{{{{ style }}}}: picture {i}\"\n    size: 1024x1024\n"
                      for i in range(300))
    text = f"version: 1\nvars:\n  style: flat\nassets:\n{entries}"
    value = assert_same_as_ruamel(text)
    assert value is not NOT_FAST
    assert value["assets"][299]["size"] == "1024x1024"
    assert line_of(value["assets"][299], "prompt") == text.count("\n") - 1


FAST_CASES = [
    "",
    "# only a comment\n",
    "a: 1\nb: -2\nc: +3\nd: 0\n",
    "a: 1.5\nb: -0.25\nc: 2.\nd: 1.0e3\ne: .inf\nf: -.Inf\ng: .nan\n",
    "a: true\nb: False\nc: TRUE\nd: null\ne: ~\nf:\ng: Null\n",
    "a: yes\nb: no\nc: on\nd: off\ne: y\n",  # YAML 1.2: strings, not booleans
    "size: 1024x1024\nq: '1'\nr: \"2.5\"\ns: -foo\nt: .hidden\nu: 1.2.3\nv: 1-2\n",
    "list: [1, two, {three: 3}]\nmap: {a: [x, y], b: {}}\nempty: []\n",
    "seq:\n- a\n- - b\n  - c\n- {d: e}\n-\n- k: v\n  l: w\n",
    "text: |\n  line one\n  line two\nfolded: >-\n  a\n  b\nq: 'it''s'\n",
    "\"quoted key\": 1\n'single': 2\n3: int key\nnull: null key\n",
    "a:\n  b:\n    c:\n      - d: [1, [2, [3]]]\n",
    "version: 1\r\nassets:\r\n  - id: a\r\n",
    "prompt: \"{{ style }} été ☀\"\nalt: été\n",
]


@pytest.mark.parametrize("text", FAST_CASES)
def test_supported_documents_take_the_fast_path_and_agree(text: str) -> None:
    assert assert_same_as_ruamel(text) is not NOT_FAST


NOT_FAST_CASES = {
    "octal": "a: 0o17\n",
    "hex": "a: 0x1F\n",
    "underscore": "a: 1_000\n",
    "leading zero": "a: 017\n",
    "exponent without dot": "a: 1e3\n",
    "dot first": "a: .5\n",
    "date": "a: 2024-01-01\n",
    "timestamp": "a: 2024-01-01 10:00:00\n",
    "merge key": "base: &b {x: 1}\nchild:\n  <<: *b\n  y: 2\n",
    "duplicate key": "a: 1\na: 2\n",
    "complex key": "? [a, b]\n: 1\n",
    "tag": "a: !custom x\n",
    "str tag": "key: !!str 123\n",
    "int tag": "a: !!int '3'\n",
    "tagged map": "a: !!omap [b: 1]\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "syntax error": "a: [1, 2\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "undefined alias": "a: *nope\n",
    "anchor and alias": "anchor: &x {size: 512x512}\nuse: *x\n",
    "scalar anchor": "list: [&s str, *s]\n",
    "anchor name with a colon": "&a:\n  x: y\n",  # libyaml: anchor `a` on a null key
    "value key": "=: 1\n",
    "tab": "a:\n\tb: 1\n",
    "backslash escape": "a: \"\\u00e9\"\n",
    "NEL line break": "a: b\x85c: d\n",
    "block scalar header and comment": "a: |#c\n  x\n",
    "reserved indicator": "a: @b\n",
    "a list at the top": "- a\n- b\n",
    "a scalar at the top": "just text\n",
}


@pytest.mark.parametrize("text", list(NOT_FAST_CASES.values()), ids=list(NOT_FAST_CASES))
def test_what_ruamel_reads_its_own_way_is_left_to_ruamel(text: str) -> None:
    assert parse(text) is NOT_FAST


def test_load_yaml_still_words_errors_as_ruamel_does(tmp_path: Path) -> None:
    from assetgen.errors import ManifestError

    manifest = tmp_path / "assetgen.yaml"
    manifest.write_text("version: 1\nassets: []\nversion: 2\n", encoding="utf-8")
    with pytest.raises(ManifestError) as caught:
        load_yaml(manifest)
    problem = caught.value.problems[0]
    assert problem.line == 3
    assert "duplicate key" in problem.message


def test_valid_yaml_that_ruamel_round_trip_trips_over_still_loads(tmp_path: Path) -> None:
    manifest = tmp_path / "assetgen.yaml"
    text = "version: 1\nvars:\n  style:  # shared\n    flat\n\n"
    with pytest.raises(NotImplementedError):
        _ruamel(text)  # if ruamel fixes this, the fallback below can go
    manifest.write_text(text, encoding="utf-8")
    assert load_yaml(manifest) == {"version": 1, "vars": {"style": "flat"}}  # fast path
    manifest.write_text(text.replace("flat", "flat\\vector"), encoding="utf-8")  # ruamel's
    assert load_yaml(manifest) == {"version": 1, "vars": {"style": "flat\\vector"}}


def test_deep_nesting_is_refused_by_the_fast_path_quickly() -> None:
    depth = manifest_yaml.MAX_DEPTH + 1
    started = time.perf_counter()
    assert parse("[" * depth + "]" * depth) is NOT_FAST
    assert parse("a:\n" + "".join(" " * i + "- \n" for i in range(1, depth + 1))) is NOT_FAST
    assert time.perf_counter() - started < 5  # libyaml is quadratic in depth beyond this


def test_very_deep_nesting_does_not_crash_the_process(tmp_path: Path) -> None:
    """libyaml's own composer recurses in C and segfaults at ~100,000 levels; the event
    walker stops at MAX_DEPTH. Run in a child so a crash would show as a signal."""
    manifest = tmp_path / "assetgen.yaml"
    manifest.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    code = ("import sys; from assetgen.manifest.reader import parse, NOT_FAST; "
            f"sys.exit(0 if parse(open({str(manifest)!r}).read()) is NOT_FAST else 3)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_aliases_still_load_through_ruamel_and_share_one_value(tmp_path: Path) -> None:
    manifest = tmp_path / "assetgen.yaml"
    manifest.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    value = load_yaml(manifest)
    assert value["a"] is value["b"]
    assert line_of(value, "b") == 2


# -- generated documents ----------------------------------------------------------

_TRICKY_SCALARS = st.sampled_from([
    "1", "-1", "+1", "0", "00", "1.0", "1.", "-2.5e3", "1e3", ".5", ".inf", "-.inf", ".nan",
    "true", "False", "yes", "No", "on", "null", "~", "", "1024x1024", "0x10", "0o7", "1_0",
    "2024-01-01", "a: b", "- x", "#c", "{{ x }}", "[", "'", '"', "é", "<<", "=", "&a", "*a",
    "!t", "%", "@", "`", "a #b", "key:", "  lead", "trail  ", "multi\nline", "\t",
])

_SCALAR_TEXT = st.one_of(_TRICKY_SCALARS, st.text(max_size=8))
_QUOTES = st.sampled_from(["plain", "single", "double"])


@st.composite
def _scalar_yaml(draw: st.DrawFn) -> str:
    text = draw(_SCALAR_TEXT)
    style = draw(_QUOTES)
    if style == "single":
        return "'" + text.replace("'", "''").replace("\n", " ") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text.replace("\n", " ")


@st.composite
def _block_yaml(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> str:
    """A block collection as text, sometimes invalid or odd on purpose."""
    pad = " " * indent
    lines: list[str] = []
    as_map = draw(st.booleans())
    for _ in range(draw(st.integers(0, 4))):
        head = f"{pad}{draw(_scalar_yaml())}: " if as_map else f"{pad}- "
        if depth < 3 and draw(st.integers(0, 3)) == 0:
            lines.append(head.rstrip())
            lines.append(draw(_block_yaml(indent + 2, depth + 1)))
        elif draw(st.integers(0, 4)) == 0:
            items = ", ".join(draw(st.lists(_scalar_yaml(), max_size=3)))
            lines.append(head + ("[" + items + "]" if draw(st.booleans()) else "{" + items + "}"))
        else:
            lines.append(head + draw(_scalar_yaml()))
    return "\n".join(line for line in lines if line) or f"{pad}x: y"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_block_yaml())
def test_generated_documents_agree_with_ruamel_whenever_fast(text: str) -> None:
    assert_same_as_ruamel(text + "\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["", "k: ", "k:\n  ", "k:\n- ", "k: |\n  ", "k: >\n  ", "k:\n  j: "]),
       st.lists(st.sampled_from([*"ab1.-: \n[]{},'\"#&*!|>?~%@`\t\\", "  ", "- ", "<<", "\r\n",
                                 "é", "---", "...", "0x", "e3", "\n  ", "\n- ", "# c"]),
                max_size=30).map("".join))
def test_random_text_agrees_with_ruamel_whenever_fast(head: str, text: str) -> None:
    assert_same_as_ruamel(head + text)
