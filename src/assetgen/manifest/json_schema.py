"""A JSON Schema (draft 2020-12) of `assetgen.yaml`, generated from `schema`.

The loader validates against the same tables, so the schema editors use and the
rules `assetgen build` applies cannot drift apart. A few loader rules cannot be
expressed in a schema (paths escaping output_dir, duplicate ids, dependency
cycles, gpt-image-2's size arithmetic, undefined prompt variables, which
formats this Pillow can write); the loader still reports those with the file
and line. Only draft-07 keywords are used besides `dependentRequired` and
`$defs`, so editors whose YAML language server speaks draft-07 validate the
same way.
"""

from __future__ import annotations

import re
from typing import Any

from assetgen import __version__
from assetgen.images import formats
from assetgen.manifest import schema as tables
from assetgen.manifest.schema import Field

DRAFT = "https://json-schema.org/draft/2020-12/schema"
SIZE_PATTERN = r"^(auto|[0-9]+x[0-9]+)$"
HEX_COLOUR_PATTERN = r"^#?[0-9a-fA-F]{6}$"
NOT_BLANK = r"\S"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def field_schema(spec: Field) -> dict[str, Any]:
    """The schema of one key: type, description, enum, bounds, item type."""
    node: dict[str, Any] = {"type": spec.type, "description": spec.help}
    if spec.choices:
        node["enum"] = list(spec.choices)
    if spec.minimum is not None:
        node["minimum"] = _number(spec.minimum)
    maximum = getattr(spec, "maximum", None)
    if maximum is not None:
        node["maximum"] = _number(maximum)
    if spec.items:
        node["items"] = {"type": spec.items}
    also = tuple(getattr(spec, "also", ()))
    if also:  # e.g. `transparent: true` or `transparent: chroma`
        typed = {k: node.pop(k) for k in ("type", "enum", "minimum", "maximum", "items")
                 if k in node}
        node["anyOf"] = [typed, {"enum": list(also)}]
    return node


def object_schema(fields: dict[str, Field], description: str | None = None,
                  overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A mapping with a fixed key set: unknown keys are refused, as the loader does.

    ``overrides`` refine a key's generated schema; a ``$ref`` override replaces it
    (keeping the description).
    """
    overrides = overrides or {}
    properties = {}
    for name, spec in fields.items():
        extra = overrides.get(name, {})
        if "$ref" in extra:
            properties[name] = {"$ref": extra["$ref"], "description": spec.help}
            continue
        node = field_schema(spec)
        node.update(extra)
        properties[name] = node
    schema: dict[str, Any] = {"type": "object"}
    if description:
        schema["description"] = description
    schema["properties"] = properties
    required = [name for name, spec in fields.items() if spec.required]
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _format_pattern(names: list[str]) -> str:
    """Format names as the loader reads them: any case, an optional leading dot."""
    return r"^\s*\.?(" + "|".join(_any_case(n) for n in names) + r")\s*$"


def _format_names(canonical: str) -> list[str]:
    return [canonical, *sorted(a for a, c in formats.ALIASES.items() if c == canonical)]


def _routes_schema() -> dict[str, Any]:
    properties = {}
    for name, settings in tables.ROUTE_SETTINGS.items():
        route = object_schema(settings, f"settings of the `{name}` route")
        route["type"] = ["object", "null"]  # `draft:` with nothing under it is accepted
        properties[name] = route
    return {"type": "object", "description": tables.TOP_LEVEL["routes"].help,
            "properties": properties, "additionalProperties": False}


def _output_defs() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """`$defs` and per-key overrides for the output settings (variants, encoding, ...)."""
    defs: dict[str, Any] = {}
    overrides: dict[str, dict[str, Any]] = {"size": {"pattern": SIZE_PATTERN,
                                                     "examples": ["1536x1024", "auto"]}}
    names = [n for spec in formats.FORMATS for n in _format_names(spec.name)]
    limits = {"maxItems": tables.MAX_VARIANT_WIDTHS,
              "items": {"type": "integer", "minimum": 1, "maximum": tables.MAX_VARIANT_WIDTH}}
    defs["variants"] = object_schema(tables.VARIANTS, tables.DEFAULTS["variants"].help, {
        "widths": limits,
        "formats": {"items": {"type": "string", "pattern": _format_pattern(names)}},
    })
    overrides["variants"] = {"$ref": "#/$defs/variants"}
    patterns = {}
    for fmt, keys in tables.ENCODING_APPLIES.items():
        settings = object_schema({k: tables.ENCODING[k] for k in keys}, f"{fmt} encoder settings")
        patterns[_format_pattern(_format_names(fmt))] = settings
    defs["encoding"] = {"type": "object", "description": tables.DEFAULTS["encoding"].help,
                        "patternProperties": patterns, "additionalProperties": False}
    overrides["encoding"] = {"$ref": "#/$defs/encoding"}
    if "chroma_key" in tables.DEFAULTS:
        overrides["chroma_key"] = {"pattern": HEX_COLOUR_PATTERN}
    return defs, overrides


def build_schema() -> dict[str, Any]:
    """The whole manifest schema as a JSON-ready dict."""
    output_defs, output_overrides = _output_defs()
    defaults = object_schema(tables.DEFAULTS, tables.TOP_LEVEL["defaults"].help,
                             output_overrides)
    edit = object_schema(tables.EDIT, tables.ASSET["edit"].help,
                         {"images": {"minItems": 1, "maxItems": 16},
                          "mask": {"pattern": r"\.[pP][nN][gG]$"}})
    asset = object_schema(tables.ASSET, "one image assetgen generates or edits", {
        **output_overrides,
        "id": {"pattern": tables.ASSET_ID_PATTERN},
        "path": {"minLength": 1, "examples": ["img/hero.webp"]},
        "prompt": {"pattern": NOT_BLANK},
        "edit": {"$ref": "#/$defs/edit"},
    })
    asset["dependentRequired"] = {"width": ["height"], "height": ["width"]}
    static = object_schema(tables.STATIC, "a hand-made image: lineage declared, not generated",
                           {"path": {"minLength": 1, "examples": ["img/logo.svg"]}})
    top = object_schema(tables.TOP_LEVEL, None, {
        "version": {"const": 1},
        "output_dir": {"minLength": 1, "default": "public"},
        "sources": {"items": {"type": "string", "minLength": 1},
                    "examples": [["src/**/*.html", "content/**/*.md"]]},
        "defaults": {"$ref": "#/$defs/defaults"},
        "vars": {"additionalProperties": True},
        "static": {"items": {"$ref": "#/$defs/static"}},
        "assets": {"items": {"$ref": "#/$defs/asset"}},
    })
    top["properties"]["routes"] = _routes_schema()
    return {
        "$schema": DRAFT,
        "title": "assetgen manifest (assetgen.yaml)",
        "description": "Images a repository declares for `assetgen build` (generated by "
                       f"assetgen {__version__}; `assetgen schema` prints it).",
        **top,
        "$defs": {"defaults": defaults, "asset": asset, "edit": edit, "static": static,
                  **output_defs},
    }
