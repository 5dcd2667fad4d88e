"""Add or replace one asset entry in `assetgen.yaml`, leaving every other byte as it was.

A ruamel.yaml round-trip dump re-flows what it re-emits (indentation, wrapping, quoting of
untouched scalars), so ruamel is only used here to *find* things: the line of each asset
entry, of the `assets:` key and of its value. The file is then edited as text: the new entry
(rendered by ruamel on its own, then indented to match the list) is inserted after the last
entry, or replaces the lines of the entry it updates. Comments, blank lines, key order,
quoting and line endings of everything else are untouched, and the result is parsed again
to make sure it says what was meant.

Layouts handled: a block `assets:` list (appended to at its end, in its own indentation and
blank-line style), `assets:` with no value or `assets: []`, and no `assets:` key at all.
A non-empty flow-style list (`assets: [{...}]`) is refused with an explanation.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

# ruamel.yaml at import: only `assetgen adopt` imports this module, and it always edits.
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from assetgen.errors import UsageError
from assetgen.manifest import templating
from assetgen.manifest.schema import MAX_PROMPT_CHARS

_DEFAULT_OFFSET = 2  # `  - id: x` below `assets:`, as `assetgen init` writes it
_WIDTH = 96
_JINJA_SYNTAX = re.compile(r"\{\{|\{%|\{#")


class ManifestEditError(UsageError):
    """The manifest cannot be edited safely as text (an unusual layout)."""


def jinja_literal(text: str) -> str:
    """A prompt template that renders to exactly ``text`` (prompts are Jinja2 templates).

    Every ``{`` that would open a Jinja delimiter (``{{``, ``{%``, ``{#``) is written as
    ``{{ '{' }}``, so no delimiter survives whatever follows it (no raw block to break out
    of). The result is rendered in the prompt sandbox and must give back ``text``.
    """
    if not _JINJA_SYNTAX.search(text):
        return text  # rendered without Jinja (assets.render_simple): itself
    stored = _DELIMITER_START.sub("{{ '{' }}", text)
    _check_renders_to(stored, text)
    return stored


_DELIMITER_START = re.compile(r"\{(?=[{%#])")


def _check_renders_to(stored: str, text: str) -> None:
    try:
        rendered = templating.render(stored, {}, max_chars=2 * MAX_PROMPT_CHARS).strip()
    except Exception as exc:  # any failure means it cannot be stored as a literal
        raise ManifestEditError(f"the prompt cannot be stored as a literal template: "
                                f"{type(exc).__name__}", hint="shorten or simplify it") from exc
    if rendered != text:
        raise ManifestEditError("the prompt would not render back to itself once stored "
                                "(carriage returns or surrounding whitespace?)",
                                hint="give the prompt as plain text with \\n line breaks")


def upsert_asset(text: str, entry: Mapping[str, Any]) -> tuple[str, str]:
    """``text`` with ``entry`` added to `assets:` (or replacing the entry with its id).

    Returns the new text and ``"added"`` or ``"updated"``.
    """
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise ManifestEditError(f"the manifest is not valid YAML: {exc}") from exc
    if not isinstance(data, CommentedMap) or data.fa.flow_style():
        raise ManifestEditError("the manifest is not a block-style YAML mapping",
                                hint="write it as `key: value` lines, one per line")
    edit = _TextEdit(text)
    offset = _list_offset(data, edit)
    if "assets" not in data:
        result = edit.append_key("assets", _render(entry, offset, edit.newline))
        return _checked(data, result, entry, "added")
    node = data["assets"]
    key_line, key_col = data.lc.key("assets")
    if node is None:
        result = edit.fill_null(key_line, key_col, _render(entry, key_col + offset, edit.newline))
        return _checked(data, result, entry, "added")
    if not isinstance(node, CommentedSeq):
        raise ManifestEditError("`assets` is not a list", hint="fix the manifest first")
    if node.fa.flow_style() or not len(node):  # a block list cannot be empty
        if len(node):
            raise ManifestEditError(
                "`assets:` is written as a flow-style list ([...]), which cannot be edited "
                "without rewriting it", hint="rewrite it as a block list (`- id: ...` lines)")
        value_line, value_col = data.lc.value("assets")
        result = edit.fill_empty_flow(value_line, value_col,
                                      _render(entry, key_col + offset, edit.newline))
        return _checked(data, result, entry, "added")

    dashes = [edit.dash_of(*node.lc.item(i)) for i in range(len(node))]
    lines = _render(entry, dashes[0][1], edit.newline)
    try:
        return _in_block_list(data, node, edit, dashes, lines, entry, trim_blank=True)
    except ManifestEditError:
        # Blank lines ending an entry are content of a keep-chomped (`|+`) block scalar.
        return _in_block_list(data, node, edit, dashes, lines, entry, trim_blank=False)


def _in_block_list(data: Any, node: Any, edit: _TextEdit, dashes: list[tuple[int, int]],
                   lines: list[str], entry: Mapping[str, Any], *,
                   trim_blank: bool) -> tuple[str, str]:
    ends = [edit.entry_end(line, col, trim_blank=trim_blank) for line, col in dashes]
    for index, item in enumerate(node):
        if isinstance(item, Mapping) and item.get("id") == entry["id"]:
            result = edit.replace(dashes[index][0], ends[index], lines)
            return _checked(data, result, entry, "updated")
    spaced = any(edit.has_blank(ends[i - 1], dashes[i][0]) for i in range(1, len(node)))
    result = edit.insert(ends[-1], ([edit.newline] if spaced else []) + lines)
    return _checked(data, result, entry, "added")


class _TextEdit:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.lines = text.splitlines(keepends=True)

    def _terminated(self, upto: int) -> list[str]:
        """Lines before ``upto``, the last of them ending with a newline."""
        head = self.lines[:upto]
        if head and not head[-1].endswith(("\n", "\r")):
            head[-1] += self.newline
        return head

    def insert(self, at: int, new: list[str]) -> str:
        return "".join(self._terminated(at) + new + self.lines[at:])

    def replace(self, start: int, end: int, new: list[str]) -> str:
        return "".join(self.lines[:start] + new + self.lines[end:])

    def append_key(self, key: str, new: list[str]) -> str:
        head = self._terminated(len(self.lines))
        gap = [self.newline] if head and head[-1].strip() else []
        return "".join(head + gap + [f"{key}:{self.newline}"] + new)

    def fill_null(self, line: int, col: int, new: list[str]) -> str:
        """`assets:` / `assets: ~` / `assets: null` → `assets:` followed by the entry."""
        text = self.lines[line]
        body, ending = _split_ending(text)
        colon = body.index(":", col)
        value, comment = _split_comment(body[colon + 1:])
        if value.strip() not in ("", "~", "null", "Null", "NULL"):
            raise ManifestEditError("cannot find the empty value of `assets:`")
        if not value.strip():
            return self.insert(line + 1, new)  # `assets:` stays exactly as written
        head = body[:colon + 1] + (" " + comment.lstrip() if comment else "")
        self.lines[line] = head + (ending or self.newline)
        return self.insert(line + 1, new)

    def fill_empty_flow(self, line: int, col: int, new: list[str]) -> str:
        """`assets: []  # comment` → `assets:  # comment` followed by the entry."""
        body, ending = _split_ending(self.lines[line])
        match = re.compile(r"\[\s*\]").match(body, col)
        if match is None:
            raise ManifestEditError("`assets: []` spans several lines",
                                    hint="write it as `assets: []` on one line")
        self.lines[line] = body[:col].rstrip() + body[match.end():] + (ending or self.newline)
        return self.insert(line + 1, new)

    def dash_of(self, line: int, col: int) -> tuple[int, int]:
        """Line and column of the `-` that starts the sequence item whose node is at line/col."""
        before = self.lines[line][:col].rstrip()
        if before.endswith("-"):
            return line, len(before) - 1
        for index in range(line - 1, -1, -1):
            stripped = self.lines[index].lstrip()
            if stripped.startswith("-"):
                return index, len(self.lines[index]) - len(stripped)
        raise ManifestEditError("cannot find where an asset entry starts")

    def entry_end(self, line: int, dash_col: int, *, trim_blank: bool = True) -> int:
        """One past the last line of the item whose `-` is at line/dash_col.

        The item runs until a line (not blank, not a comment) indented no deeper than its
        dash; blank lines, and comments no deeper than the dash, just before that line belong
        to what follows (a deeper `#` line may be the content of a block scalar).
        """
        index = line + 1
        while index < len(self.lines):
            stripped = self.lines[index].strip()
            indent = len(self.lines[index]) - len(self.lines[index].lstrip())
            if stripped and not stripped.startswith("#") and indent <= dash_col:
                break
            index += 1
        while index > line + 1 and ((trim_blank and not self.lines[index - 1].strip())
                                    or self._shallow_comment(index - 1, dash_col)):
            index -= 1
        return index

    def _shallow_comment(self, index: int, dash_col: int) -> bool:
        text = self.lines[index]
        stripped = text.lstrip()
        return stripped.startswith("#") and len(text) - len(stripped) <= dash_col

    def has_blank(self, start: int, end: int) -> bool:
        return any(not line.strip() for line in self.lines[start:end])


def _split_ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body):]


def _split_comment(text: str) -> tuple[str, str]:
    match = re.search(r"(^|\s)#", text)
    return (text[:match.start()], text[match.start():]) if match else (text, "")


def _list_offset(data: Any, edit: _TextEdit) -> int:
    """How far this file indents the dashes of a block list below its key (default 2)."""
    for key in ("assets", "static", "sources"):
        node = data.get(key)
        if isinstance(node, CommentedSeq) and len(node) and not node.fa.flow_style():
            _, key_col = data.lc.key(key)
            _, dash_col = edit.dash_of(*node.lc.item(0))
            return max(dash_col - key_col, 0)
    return _DEFAULT_OFFSET


def _render(entry: Mapping[str, Any], dash_col: int, newline: str) -> list[str]:
    """The entry as block YAML lines (`- id: ...`), its dash at ``dash_col``."""
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.width = _WIDTH
    buffer = io.StringIO()
    yaml.dump(CommentedSeq([CommentedMap(entry)]), buffer)
    pad = " " * dash_col
    return [pad + line + newline for line in buffer.getvalue().splitlines()]


def _checked(before: Any, text: str, entry: Mapping[str, Any],
             action: str) -> tuple[str, str]:
    """Parse the edited text again: it must read as ``before`` with only ``entry`` changed."""
    old = _plain(before)
    try:
        new = _plain(YAML(typ="rt").load(text))
    except YAMLError as exc:
        new = exc
    expected = dict(old)
    assets = [a for a in (old.get("assets") or [])]
    wanted = _plain(dict(entry))
    ids = [a.get("id") if isinstance(a, dict) else None for a in assets]
    if entry["id"] in ids:
        assets[ids.index(entry["id"])] = wanted
    else:
        assets.append(wanted)
    expected["assets"] = assets
    if not isinstance(new, dict) or new != expected or list(new) != list(expected):
        raise ManifestEditError("editing the manifest as text did not read back as intended",
                                hint="add the entry by hand; this is a bug in assetgen")
    return text, action


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
