"""The manifest's keys, declared once.

The loader validates against these tables and `assetgen schema` turns them
into a JSON Schema, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

ROUTES = ("images", "responses", "gateway", "codex", "draft")
QUALITIES = ("low", "medium", "high", "auto")
BACKGROUNDS = ("transparent", "opaque", "auto")
FIDELITIES = ("high", "low")
ASSET_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
MANIFEST_NAME = "assetgen.yaml"
DEFAULT_MODEL = "gpt-image-2"
DEFAULT_QUALITY = "medium"
DEFAULT_SIZE = "1024x1024"
DEFAULT_ROUTE = "images"
MAX_PROMPT_CHARS = 32_000


@dataclass(frozen=True)
class Field:
    """One key: its JSON type, what it means, and the values it accepts."""

    type: str  # "string" | "integer" | "number" | "boolean" | "array" | "object"
    help: str
    choices: tuple[str, ...] = ()
    required: bool = False
    items: str | None = None  # element type of arrays
    minimum: float | None = None


TOP_LEVEL: dict[str, Field] = {
    "version": Field("integer", "manifest format version; must be 1", required=True),
    "output_dir": Field("string", "folder the images are written below (default: public)"),
    "sources": Field("array", "globs of pages/templates scanned for image references",
                     items="string"),
    "defaults": Field("object", "settings applied to every asset unless it overrides them"),
    "vars": Field("object", "Jinja2 variables available in prompts"),
    "routes": Field("object", "per-route settings (never secrets)"),
    "static": Field("array", "hand-made images: lineage declared, not generated",
                    items="object"),
    "assets": Field("array", "the images assetgen generates or edits", items="object"),
}

DEFAULTS: dict[str, Field] = {
    "route": Field("string", "how images are made", choices=ROUTES),
    "model": Field("string", "the image model, e.g. gpt-image-2"),
    "quality": Field("string", "generation quality", choices=QUALITIES),
    "size": Field("string", "generation size: WxH (multiples of 16) or auto"),
    "background": Field("string", "background of generated images", choices=BACKGROUNDS),
}

ASSET: dict[str, Field] = {
    "id": Field("string", "unique id matching [a-z0-9][a-z0-9._-]*", required=True),
    "path": Field("string", "file below output_dir; its suffix picks the format",
                  required=True),
    "prompt": Field("string", "Jinja2 template rendered with vars", required=True),
    "route": DEFAULTS["route"],
    "model": DEFAULTS["model"],
    "quality": DEFAULTS["quality"],
    "size": DEFAULTS["size"],
    "background": DEFAULTS["background"],
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

STATIC: dict[str, Field] = {
    "path": Field("string", "file below output_dir", required=True),
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
    },
    "codex": {
        "binary": Field("string", "the codex executable (found on PATH by default)"),
        "timeout_s": Field("number", "seconds for one `codex exec` run", minimum=1),
    },
    "draft": {},
}
