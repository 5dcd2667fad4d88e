"""The problem collector every part of the loader reports into, and the checks they share.

`LoadContext` is what the resolvers (`assets`, `outputs`) are given: the manifest's file
and folder, the problems found so far, and the generic checks of a key's type, choices and
bounds (from `schema`'s tables), of an output path and of a generation size.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import escapes
from assetgen.core.paths import display_inside_cwd, posix_relative
from assetgen.errors import Problem
from assetgen.images import models as image_models
from assetgen.images import sizes
from assetgen.manifest import schema
from assetgen.manifest.model_rules import sizes_text
from assetgen.manifest.nodes import a_type, describe, line_of, type_ok


class LoadContext:
    """One manifest being loaded: where it is, and every problem found in it so far."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.root = path.parent
        self.problems: list[Problem] = []
        self.label = display_inside_cwd(path)
        self.resolved_paths: dict[str, str] = {}  # folders already resolved, for escapes()

    def problem(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.label, line, message, hint))

    def check_keys(self, node: Mapping[str, Any], fields: dict[str, schema.Field],
                   where: str) -> None:
        """Unknown keys (with a close match offered), missing required ones, and the
        value of each known one."""
        for key in node:
            if key in fields:
                continue
            close = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f"did you mean `{close[0]}`?" if close else None
            accepted = ", ".join(fields) or "no keys"
            self.problem(line_of(node, key), f"unknown key `{key}` in {where}",
                         hint or f"accepted: {accepted}")
        for name, spec in fields.items():
            if spec.required and name not in node:
                self.problem(line_of(node), f"{where} is missing required key `{name}`",
                             spec.help)
            if name in node:
                self.check_value(node, name, spec, where)

    def check_value(self, node: Mapping[str, Any], name: str, spec: schema.Field,
                    where: str) -> None:
        """Type, choices, bounds and item types of one present key."""
        value = node[name]
        if isinstance(value, str) and value in spec.also:
            return
        if not type_ok(value, spec.type):
            also = "".join(f" or `{v}`" for v in spec.also)
            self.problem(line_of(node, name),
                         f"`{name}` in {where} must be {a_type(spec.type)}{also}, "
                         f"not {describe(value)}", spec.help)
        elif spec.choices and value not in spec.choices:
            close = difflib.get_close_matches(str(value), spec.choices, n=1)
            tail = f" (did you mean `{close[0]}`?)" if close else ""
            self.problem(line_of(node, name),
                         f"`{name}: {value}` in {where} is not accepted{tail}",
                         "accepted: " + ", ".join(spec.choices))
        elif spec.minimum is not None and value < spec.minimum:
            self.problem(line_of(node, name),
                         f"`{name}` in {where} must be at least {spec.minimum:g}",
                         spec.help)
        elif spec.maximum is not None and value > spec.maximum:
            self.problem(line_of(node, name),
                         f"`{name}` in {where} must be at most {spec.maximum:g}",
                         spec.help)
        elif spec.items and isinstance(value, list):
            for index, item in enumerate(value):
                if not type_ok(item, spec.items):
                    self.problem(line_of(value, index, line_of(node, name)),
                                 f"item {index + 1} of `{name}` in {where} must be "
                                 f"{a_type(spec.items)}, not {describe(item)}", spec.help)

    def check_output_path(self, raw: str, output_dir: Path, line: int) -> str | None:
        """``raw`` as a posix path below ``output_dir``, or None (reported) if it escapes."""
        why = escapes(raw, output_dir, self.resolved_paths)
        if why:
            self.problem(line, f"path `{raw}` escapes output_dir: {why}",
                         "paths are relative to output_dir, e.g. img/hero.webp")
            return None
        return posix_relative(raw)

    def entry_root(self, entry: Mapping[str, Any], output_dir: Path, *,
                   report: bool = True) -> Path | None:
        """The folder an asset's or static entry's `path` is in: `root:` (inside the
        manifest's folder: SPEC 7's other roots, e.g. Hugo assets/ or a page bundle), else
        output_dir. None when the root is refused (reported, unless ``report`` is False:
        the entry's own resolution reports it, an edit naming the entry need not)."""
        raw = entry.get("root")
        if raw is None:
            return output_dir
        why = escapes(raw, self.root, self.resolved_paths) if isinstance(raw, str) \
            else "it is not a folder path"
        if why:
            if report:
                self.problem(line_of(entry, "root"), f"root `{raw}` is refused: {why}",
                             "use a folder inside the manifest's folder, e.g. assets")
            return None
        return (self.root / raw).resolve()

    def check_size_field(self, node: Mapping[str, Any], where: str, model: Any = None) -> None:
        """A `size:` the model makes: one of its sizes, or a valid flexible WxH."""
        raw = node.get("size")
        if not isinstance(raw, str):
            return
        row = image_models.lookup(model) if isinstance(model, str) else None
        if row is not None and not row.flexible_sizes:
            size = raw.strip().lower()
            problem = row.size_problem(size)
            if problem:
                self.problem(line_of(node, "size"), f"size `{raw}` in {where} is not a size "
                             f"{model} makes", "accepted: " + sizes_text(row))
            return
        try:
            parsed = sizes.parse_size(raw)
        except ValueError as exc:
            self.problem(line_of(node, "size"), f"size `{raw}` in {where}: {exc}",
                         "accepted: WxH with multiples of 16 (e.g. 1536x1024) or auto")
            return
        if parsed is None:
            return
        broken = sizes.size_problems(*parsed)
        if broken:
            nearest = ", ".join(sizes.format_size(w, h)
                                for w, h in sizes.nearest_valid_sizes(*parsed))
            self.problem(line_of(node, "size"),
                         f"size `{raw}` in {where} is not a valid gpt-image-2 size: "
                         + "; ".join(broken), f"nearest valid sizes: {nearest}")
