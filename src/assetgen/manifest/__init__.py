"""The manifest, `assetgen.yaml`: what it may say, and what it means once loaded.

Import these names from here; the modules behind them are laid out in layers, each
importing only those below it:

- `schema`: every key, its type and accepted values (the tables); `json_schema` turns
  them into a JSON Schema, `edit` rewrites one asset entry in place;
- `model`: the loaded result (`Manifest`, `Asset`, `StaticImage`, `EditInput`);
- `nodes`: where a YAML value is and what it is; `reader`: the fast YAML reader;
- `checks`: `LoadContext`, the problem collector and the checks every resolver shares;
  `model_rules`: what each image model takes;
- `outputs`, `assets`: resolve an asset entry (published files; prompt, size, edits);
- `site`: `generator:`, `roots:` and the folders a manifest names that are missing;
- `load`: find, parse and resolve a manifest; `cache`: the same, answered from
  `.assetgen/manifest.json` while nothing it depends on changed.
"""

from __future__ import annotations

from assetgen.manifest.cache import cache_file_for, load_manifest_cached
from assetgen.manifest.load import find_manifest, load_manifest, load_yaml
from assetgen.manifest.model import Asset, EditInput, Manifest, SigningSettings, StaticImage
from assetgen.manifest.model_rules import size_warnings
from assetgen.manifest.nodes import line_of
from assetgen.manifest.site import MissingFolder, missing_folders

__all__ = [
    "Asset",
    "EditInput",
    "Manifest",
    "MissingFolder",
    "SigningSettings",
    "StaticImage",
    "cache_file_for",
    "find_manifest",
    "line_of",
    "load_manifest",
    "load_manifest_cached",
    "load_yaml",
    "missing_folders",
    "size_warnings",
]
