"""The manifest, `assetgen.yaml`: what it may say, and what it means once loaded.

The loaded result's types (`Manifest`, `Asset`, `StaticImage`, `EditInput`,
`SigningSettings`) are importable from here; everything else from its module, laid out in
layers, each importing only those below it:

- `locate`: which `assetgen.yaml` (`find_manifest`, `MANIFEST_NAME`);
- `schema`: every key, its type and accepted values (the tables); `json_schema` turns
  them into a JSON Schema, `edit` rewrites one asset entry in place;
- `model`: the loaded result;
- `nodes`: where a YAML value is and what it is (`line_of`); `reader`: the fast YAML reader;
- `checks`: `LoadContext`, the problem collector and the checks every resolver shares;
  `model_rules`: what each image model takes (`size_warnings`);
- `outputs`, `assets`: resolve an asset entry (published files; prompt, size, edits);
- `site`: `generator:`, `roots:` and the folders a manifest names that are missing;
- `cache`: a resolved manifest kept in `.assetgen/manifest.json` (`lookup`,
  `cache_file_for`), importing no part of the loader;
- `load`: find, parse and resolve a manifest (`load_manifest`, `load_yaml`), and
  `load_manifest_cached`, the way every command loads one (`load_and_cache` after a
  lookup of one's own).

Importing the package loads only the model, so a manifest the cache answers costs no
parser, schema or resolver (what keeps `verify` on unrelated files fast).
"""

from __future__ import annotations

from assetgen.manifest.model import Asset, EditInput, Manifest, SigningSettings, StaticImage

__all__ = ["Asset", "EditInput", "Manifest", "SigningSettings", "StaticImage"]
