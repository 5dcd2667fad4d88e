"""The manifest's keys, declared once.

The loader validates against these tables and `assetgen schema` turns them
into a JSON Schema, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from assetgen.manifest.generators import NAMES as GENERATOR_NAMES

ROUTES = ("images", "responses", "gateway", "codex", "draft")
QUALITIES = ("low", "medium", "high", "auto")
BACKGROUNDS = ("transparent", "opaque", "auto")
FIDELITIES = ("high", "low")
ASSET_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
# The rule as messages and help texts word it (the pattern without its anchors).
ASSET_ID_RULE = f"ids match {ASSET_ID_PATTERN[1:-1]} (lower case, digits, . _ -)"
_ASSET_ID = re.compile(ASSET_ID_PATTERN)
DEFAULT_MODEL = "gpt-image-2"
DEFAULT_QUALITY = "medium"
DEFAULT_SIZE = "1024x1024"
DEFAULT_ROUTE = "images"
MAX_PROMPT_CHARS = 32_000
MAX_VARIANT_WIDTHS = 16
MAX_VARIANT_WIDTH = 16384


def is_asset_id(text: str) -> bool:
    """Whether ``text`` is an accepted asset id (`ASSET_ID_PATTERN`)."""
    return _ASSET_ID.match(text) is not None


class Field(NamedTuple):
    """One key: its JSON type, what it means, and the values it accepts."""

    type: str  # "string" | "integer" | "number" | "boolean" | "array" | "object"
    help: str
    choices: tuple[str, ...] = ()
    required: bool = False
    items: str | None = None  # element type of arrays
    minimum: float | None = None
    maximum: float | None = None
    # String values accepted besides `type` (e.g. `transparent: true` or `transparent: chroma`);
    # a JSON Schema spells the field as anyOf [{type}, {enum: also}].
    also: tuple[str, ...] = ()


TOP_LEVEL: dict[str, Field] = {
    "version": Field("integer", "manifest format version; must be 1", required=True),
    "output_dir": Field("string", "folder the images are written below (default: public)"),
    "sources": Field("array", "globs of pages/templates scanned for image references "
                     "(default: the generator's)", items="string"),
    "generator": Field("string", "the site generator: its roots, default sources and how it "
                       "names images (SPEC 7; default plain)", choices=GENERATOR_NAMES),
    "roots": Field("array", "more folders holding the site's images besides output_dir "
                   "(default: the generator's, e.g. Hugo assets/, Astro src/assets/)",
                   items="string"),
    "defaults": Field("object", "settings applied to every asset unless it overrides them"),
    "vars": Field("object", "Jinja2 variables available in prompts"),
    "routes": Field("object", "per-route settings (never secrets)"),
    "static": Field("array", "hand-made images: lineage declared, not generated",
                    items="object"),
    "assets": Field("array", "the images assetgen generates or edits", items="object"),
    "masters_dir": Field("string", "folder of the masters cache, relative to the manifest's "
                         "folder (default: .assetgen/masters, gitignored); set it to commit "
                         "the masters"),
    "assets_json": Field("string", "write a JSON map of every asset (id -> files, sizes, alt, "
                         "sidecar) to this path, relative to the manifest's folder"),
    "snippet_template": Field("string", "a Jinja2 template, relative to the manifest's folder, "
                              "that replaces the built-in one of `assetgen snippet`"),
    "provenance": Field("object", "Content Credentials: {c2pa: {sign: true, alg: es256, "
                        "tsa_url, trust_anchors}}; certificate and key as PEM files named by "
                        "ASSETGEN_C2PA_CERT and ASSETGEN_C2PA_KEY"),
}

TRANSPARENT_VALUES = ("chroma",)
DEFAULT_CHROMA_KEY = "#00ff00"

DEFAULTS: dict[str, Field] = {
    "route": Field("string", "how images are made", choices=ROUTES),
    "model": Field("string", "the image model, e.g. gpt-image-2"),
    "quality": Field("string", "generation quality", choices=QUALITIES),
    "size": Field("string", "generation size: WxH (multiples of 16) or auto"),
    "background": Field("string", "background of generated images", choices=BACKGROUNDS),
    "variants": Field("object", "extra widths and formats written beside the main file, "
                      "e.g. {widths: [480, 960], formats: [avif, webp]}"),
    "encoding": Field("object", "encoder settings per output format, e.g. "
                      "{webp: {quality: 80}, jpeg: {progressive: true}}"),
    "transparent": Field("boolean", "true: ask the API for a transparent background (png, "
                         "webp); chroma: generate on a flat key colour and remove it locally",
                         also=TRANSPARENT_VALUES),
    "chroma_key": Field("string", "the key colour of `transparent: chroma`, #rrggbb "
                        f"(default {DEFAULT_CHROMA_KEY}); pick one the subject does not use"),
}

ASSET: dict[str, Field] = {
    "id": Field("string", f"unique id matching {ASSET_ID_PATTERN[1:-1]}", required=True),
    "path": Field("string", "file below output_dir (or below `root`); its suffix picks the "
                  "format", required=True),
    "root": Field("string", "the folder `path` is in when it is not output_dir: another of "
                  "the site's roots, e.g. assets (Hugo), src/assets (Astro), a page bundle"),
    "prompt": Field("string", "Jinja2 template rendered with vars", required=True),
    "route": DEFAULTS["route"],
    "model": DEFAULTS["model"],
    "quality": DEFAULTS["quality"],
    "size": DEFAULTS["size"],
    "background": DEFAULTS["background"],
    "variants": DEFAULTS["variants"],
    "encoding": DEFAULTS["encoding"],
    "transparent": DEFAULTS["transparent"],
    "chroma_key": DEFAULTS["chroma_key"],
    "width": Field("integer", "exact final width in pixels (with height)", minimum=1),
    "height": Field("integer", "exact final height in pixels (with width)", minimum=1),
    "edit": Field("object", "make this asset as an edit of other images"),
    "alt": Field("string", "alternative text for snippets and reports"),
}

EDIT: dict[str, Field] = {
    "images": Field("array", "asset ids or manifest-relative paths of the input images",
                    items="string", required=True),
    "mask": Field("string", "manifest-relative PNG mask (alpha 0 = repaint)"),
    "fidelity": Field("string", "input fidelity", choices=FIDELITIES),
}

VARIANTS: dict[str, Field] = {
    "widths": Field("array", "widths in pixels; wider than the image are skipped (never "
                    "upscaled)", items="integer"),
    "formats": Field("array", "formats of the variants (default: the main file's)",
                     items="string"),
    "sizes": Field("string", "the `sizes` attribute `assetgen snippet` prints "
                   "(default: 100vw)"),
}

# `encoding:` maps a format name to these settings; which apply depends on the format.
ENCODING: dict[str, Field] = {
    "quality": Field("integer", "lossy quality 0-100 (jpeg, webp, avif)", minimum=0,
                     maximum=100),
    "lossless": Field("boolean", "lossless encoding (webp; avif as near-lossless)"),
    "progressive": Field("boolean", "progressive jpeg (default true)"),
    "optimize": Field("boolean", "extra compression passes (jpeg default true, png false)"),
}
ENCODING_APPLIES: dict[str, tuple[str, ...]] = {
    "png": ("optimize",),
    "jpeg": ("quality", "progressive", "optimize"),
    "webp": ("quality", "lossless"),
    "avif": ("quality", "lossless"),
}

STATIC: dict[str, Field] = {
    "path": Field("string", "file below output_dir (or below `root`)", required=True),
    "root": Field("string", "the folder `path` is in when it is not output_dir: another of "
                  "the site's roots, e.g. assets (Hugo), src/assets (Astro), a page bundle"),
    "author": Field("string", "who made it"),
    "license": Field("string", "its license"),
    "source": Field("string", "where it came from (URL, design file, ...)"),
    "note": Field("string", "anything else worth knowing"),
}

ROUTE_SETTINGS: dict[str, dict[str, Field]] = {
    "images": {
        "timeout_s": Field("number", "seconds for one HTTP request", minimum=1),
    },
    "responses": {
        "model": Field("string", "the text-capable top-level model, e.g. gpt-5.5"),
        "timeout_s": Field("number", "seconds for one HTTP request", minimum=1),
    },
    "gateway": {
        "base_url": Field("string", "the provider's OpenAI-compatible base URL"),
        "api_key_env": Field("string", "name of the environment variable holding the key"),
        "provider": Field("string", "provider name, recorded as billing provider:<name>"),
        "model": Field("string", "the provider's name for the image model"),
        "public_base_url": Field("string", "deployed site URL: turns output_dir files into URLs"),
        "timeout_s": Field("number", "give up on a task after this many seconds", minimum=1),
        "poll_intervals_s": Field("array", "growing poll intervals, e.g. [2, 5, 10]",
                                  items="number"),
        "max_download_bytes": Field("integer", "largest result image accepted", minimum=1),
        "result_hosts": Field("array", "hosts (name or name:port) result images may be "
                              "downloaded from besides base_url's own origin; never "
                              "link-local or metadata addresses", items="string"),
    },
    "codex": {
        "binary": Field("string", "the codex executable (found on PATH by default)"),
        "timeout_s": Field("number", "seconds for one `codex exec` run", minimum=1),
    },
    "draft": {},
}
