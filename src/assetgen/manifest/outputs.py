"""Resolve the manifest keys that shape the published files rather than the request.

Split from assets.py: `variants`, `encoding`, `transparent` / `chroma_key` per
asset (with `defaults:`), the top-level `masters_dir`, `assets_json` and
`snippet_template` paths, and the check that no variant's file name collides with
another file the manifest declares.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assetgen.core.fsutil import escapes, is_within
from assetgen.images import formats
from assetgen.images.variants import candidate_names
from assetgen.manifest import schema
from assetgen.manifest.checks import LoadContext
from assetgen.manifest.model import Asset, StaticImage
from assetgen.manifest.nodes import describe, line_of
from assetgen.manifest.schema import MAX_VARIANT_WIDTH, MAX_VARIANT_WIDTHS

_HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6})$")


@dataclass
class Outputs:
    """What an asset's entry says about its published files."""

    variant_widths: tuple[int, ...] = ()
    variant_formats: tuple[str, ...] = ()
    variant_sizes: str | None = None
    encoding: dict[str, dict[str, Any]] = field(default_factory=dict)
    transparent: str | None = None  # "api" | "chroma"
    chroma_key: str | None = None
    background: str | None = None


class OutputsResolver:
    def __init__(self, context: LoadContext, defaults: Mapping[str, Any]) -> None:
        self.context = context
        self.defaults = defaults

    def problem(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.context.problem(line, message, hint)

    def resolve(self, entry: Mapping[str, Any], where: str, fmt: str,
                background: Any, raw_path: Any) -> Outputs:
        self.check_nested(entry, where)
        out = Outputs(background=background if isinstance(background, str) else None)
        self.variants(entry, where, out)
        self.encoding(entry, out)
        self.transparency(entry, where, fmt, raw_path, out)
        return out

    # -- shape checks of the nested mappings (once for defaults, once per asset) ------------

    def check_nested(self, node: Mapping[str, Any], where: str) -> None:
        variants = node.get("variants")
        if isinstance(variants, dict):
            self.context.check_keys(variants, schema.VARIANTS, f"{where} variants")
            self.check_variant_values(variants, where)
        encoding = node.get("encoding")
        if isinstance(encoding, dict):
            self.check_encoding(encoding, where)
        key = node.get("chroma_key")
        if isinstance(key, str) and parse_key(key) is None:
            self.problem(line_of(node, "chroma_key"), f"chroma_key `{key}` in {where} is not "
                         "accepted", "give a saturated colour as #rrggbb, e.g. #00ff00 (green) "
                         "or #ff00ff (magenta); grey, white and black cannot be keyed")

    def check_variant_values(self, variants: Mapping[str, Any], where: str) -> None:
        widths = variants.get("widths")
        if isinstance(widths, list):
            if len(widths) > MAX_VARIANT_WIDTHS:
                self.problem(line_of(variants, "widths"), f"{where} variants list "
                             f"{len(widths)} widths", f"at most {MAX_VARIANT_WIDTHS}")
            seen: set[int] = set()
            for index, width in enumerate(widths):
                if isinstance(width, bool) or not isinstance(width, int):
                    continue  # check_keys reported the type
                line = line_of(widths, index, line_of(variants, "widths"))
                if not 1 <= width <= MAX_VARIANT_WIDTH:
                    self.problem(line, f"variant width {width} in {where} is not accepted",
                                 f"widths are whole pixels from 1 to {MAX_VARIANT_WIDTH}")
                elif width in seen:
                    self.problem(line, f"variant width {width} is listed twice in {where}",
                                 "list each width once")
                seen.add(width)
        names = variants.get("formats")
        if isinstance(names, list):
            seen_formats: set[str] = set()
            for index, name in enumerate(names):
                if not isinstance(name, str):
                    continue
                line = line_of(names, index, line_of(variants, "formats"))
                fmt = formats.normalise(name)
                if formats.info(fmt) is None or not formats.available(fmt):
                    accepted = ", ".join(spec.name for spec in formats.writable())
                    self.problem(line, f"variant format `{name}` in {where} is not accepted",
                                 f"accepted: {accepted}")
                elif fmt in seen_formats:
                    self.problem(line, f"variant format `{name}` is listed twice in {where}",
                                 "list each format once")
                seen_formats.add(fmt)

    def check_encoding(self, encoding: Mapping[str, Any], where: str) -> None:
        for name, settings in encoding.items():
            fmt = formats.normalise(str(name))
            line = line_of(encoding, name)
            applies = schema.ENCODING_APPLIES.get(fmt)
            if applies is None:
                self.problem(line, f"`encoding: {name}` in {where} is not a format with "
                             "settings", "accepted: " + ", ".join(schema.ENCODING_APPLIES))
                continue
            if not isinstance(settings, dict):
                self.problem(line, f"`encoding.{name}` in {where} must be a mapping, not "
                             f"{describe(settings)}", "e.g. webp: {quality: 80}")
                continue
            for key in settings:
                spec = schema.ENCODING.get(str(key))
                if spec is None:
                    close = difflib.get_close_matches(str(key), applies, n=1)
                    self.problem(line_of(settings, key), f"unknown key `{key}` in {where} "
                                 f"encoding.{name}", f"did you mean `{close[0]}`?" if close
                                 else f"accepted for {fmt}: " + ", ".join(applies))
                elif key not in applies:
                    self.problem(line_of(settings, key), f"`{key}` does not apply to {fmt} "
                                 f"(encoding.{name} in {where})",
                                 f"accepted for {fmt}: " + ", ".join(applies))
                else:
                    self.context.check_value(settings, str(key), spec,
                                            f"{where} encoding.{name}")

    # -- merging defaults and the asset ---------------------------------------------------

    def setting(self, entry: Mapping[str, Any], key: str) -> Any:
        return entry[key] if key in entry else self.defaults.get(key)

    def variants(self, entry: Mapping[str, Any], where: str, out: Outputs) -> None:
        own_node = entry.get("variants")
        own = own_node if isinstance(own_node, dict) else {}
        shared = self.defaults.get("variants")
        shared = shared if isinstance(shared, dict) else {}

        def pick(key: str) -> Any:
            return own[key] if key in own else shared.get(key)

        widths = pick("widths")
        if isinstance(widths, list):
            out.variant_widths = tuple(sorted({int(w) for w in widths if _int(w)
                                               and 1 <= w <= MAX_VARIANT_WIDTH}))
        names = pick("formats")
        if isinstance(names, list):
            ordered: list[str] = []
            for name in names:
                if isinstance(name, str):
                    fmt = formats.normalise(name)
                    if formats.info(fmt) is not None and fmt not in ordered:
                        ordered.append(fmt)
            out.variant_formats = tuple(ordered)
        sizes = pick("sizes")
        out.variant_sizes = sizes.strip() if isinstance(sizes, str) and sizes.strip() else None
        if out.variant_formats and not out.variant_widths:
            node = entry if "variants" in entry else self.defaults
            self.problem(line_of(node, "variants"), f"{where} lists variant formats but no "
                         "widths", "add widths: [...] (e.g. [480, 960, 1600])")

    def encoding(self, entry: Mapping[str, Any], out: Outputs) -> None:
        merged: dict[str, dict[str, Any]] = {}
        for node in (self.defaults.get("encoding"), entry.get("encoding")):
            if not isinstance(node, dict):
                continue
            for name, settings in node.items():
                fmt = formats.normalise(str(name))
                applies = schema.ENCODING_APPLIES.get(fmt)
                if applies is None or not isinstance(settings, dict):
                    continue
                target = merged.setdefault(fmt, {})
                for key, value in settings.items():
                    if key in applies and _plain(value) is not None:
                        target[key] = _plain(value)
        out.encoding = {fmt: dict(sorted(s.items())) for fmt, s in sorted(merged.items()) if s}

    def transparency(self, entry: Mapping[str, Any], where: str, fmt: str, raw_path: Any,
                     out: Outputs) -> None:
        value = self.setting(entry, "transparent")
        node = entry if "transparent" in entry else self.defaults
        line = line_of(node, "transparent")
        if value is True:
            out.transparent = "api"
        elif value == "chroma":
            out.transparent = "chroma"
        elif value not in (None, False):
            return  # check_keys reported it
        if "chroma_key" in entry and out.transparent != "chroma":
            self.problem(line_of(entry, "chroma_key"), f"{where} sets chroma_key without "
                         "`transparent: chroma`", "add transparent: chroma, or remove it")
        if out.transparent is None:
            return
        already_reported = out.background == "transparent" and fmt == "jpeg"
        if not formats.keeps_alpha(fmt) and not already_reported:
            self.problem(line, f"{where} is transparent but `{raw_path}` is a {fmt} file, "
                         "which has no alpha channel", "use a .png, .webp or .avif path")
        for variant_format in out.variant_formats:
            if not formats.keeps_alpha(variant_format):
                self.problem(line, f"{where} is transparent but lists {variant_format} "
                             "variants, which have no alpha channel",
                             "drop that format from variants.formats")
        if out.transparent == "api":
            if out.background not in (None, "transparent"):
                self.problem(line, f"{where} sets `transparent: true` and `background: "
                             f"{out.background}`", "remove `background`, or set it to "
                             "transparent")
            out.background = "transparent"
            return
        if out.background == "transparent":
            self.problem(line, f"{where} sets `transparent: chroma` and `background: "
                         "transparent`", "chroma keying asks for an opaque key-colour "
                         "background: remove `background`")
        out.background = out.background or "opaque"
        raw_key = self.setting(entry, "chroma_key")
        key = parse_key(raw_key) if isinstance(raw_key, str) else None
        out.chroma_key = key or schema.DEFAULT_CHROMA_KEY


def parse_key(raw: str) -> str | None:
    """`#00FF00` → `#00ff00`; None unless a saturated colour (one channel high, one low)."""
    match = _HEX_RE.match(raw.strip())
    if match is None:
        return None
    digits = match.group(1).lower()
    channels = [int(digits[i:i + 2], 16) for i in (0, 2, 4)]
    if max(channels) - min(channels) < 128:
        return None
    return "#" + digits


def resolve_top_paths(context: LoadContext, data: Mapping[str, Any], output_dir: Path
                      ) -> tuple[Path | None, Path | None, Path | None]:
    """`masters_dir`, `assets_json` and `snippet_template`, absolute, or None when unset."""
    masters = _manifest_path(context, data, "masters_dir", output_dir, folder=True)
    assets_json = _manifest_path(context, data, "assets_json", output_dir, folder=False)
    template = _manifest_path(context, data, "snippet_template", None, folder=False)
    if assets_json is not None and assets_json.suffix.lower() != ".json":
        context.problem(line_of(data, "assets_json"), f"assets_json `{data['assets_json']}` "
                       "is not a .json file", "e.g. data/assets.json")
    if template is not None and not template.is_file():
        context.problem(line_of(data, "snippet_template"), f"snippet_template "
                       f"`{data['snippet_template']}` does not exist",
                       "give a Jinja2 template path relative to the manifest's folder")
    return masters, assets_json, template


def _manifest_path(context: LoadContext, data: Mapping[str, Any], key: str,
                   output_dir: Path | None, *, folder: bool) -> Path | None:
    raw = data.get(key)
    if not isinstance(raw, str):
        return None
    line = line_of(data, key)
    why = escapes(raw, context.root, context.resolved_paths)
    if why:
        context.problem(line, f"{key} `{raw}` is refused: {why}",
                       "use a path inside the manifest's folder")
        return None
    path = (context.root / raw).resolve()
    if folder and output_dir is not None and is_within(path, output_dir):
        context.problem(line, f"{key} `{raw}` is inside output_dir",
                       "masters would be published with the site: use e.g. assetgen-masters")
        return None
    if folder and path.exists() and not path.is_dir():
        context.problem(line, f"{key} `{raw}` is a file", "give a folder")
        return None
    return path


def check_collisions(context: LoadContext, assets: list[Asset],
                     static: list[StaticImage]) -> None:
    """No variant may be named like another asset, a static file or another variant."""
    # Keyed by file: an entry's `path` is relative to its own root (`root:` or output_dir).
    owners: dict[str, str] = {os.path.normpath(item.file): f"asset `{item.id}`"
                              for item in assets}
    owners.update({os.path.normpath(item.file): "a static entry" for item in static})
    for asset in assets:
        for rel in candidate_names(asset):
            key = os.path.normpath(asset.base / rel)
            other = owners.get(key)
            if other is not None and other != f"variant of `{asset.id}`":
                context.problem(asset.line, f"variant `{rel}` of asset `{asset.id}` would "
                               f"overwrite {other}'s file",
                               "rename one of the files, or change the variant widths")
            owners[key] = f"variant of `{asset.id}`"


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain(value: Any) -> Any:
    """ruamel scalars as plain Python values (so that they hash and cache the same)."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    return None
