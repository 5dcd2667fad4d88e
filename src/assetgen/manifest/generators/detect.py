"""Which generator builds the site in a folder (for `assetgen init`): its config files, then
the dependencies in package.json. The output_dir and sources `init` writes for it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from assetgen.manifest.generators import GENERATORS, Detection, Generator

# Specific before generic: a Docusaurus or Astro repo may also carry a _config.yml or docs/.
_ORDER = ("docusaurus", "astro", "nextjs", "eleventy", "hugo", "mkdocs", "jekyll")
_MAX_PACKAGE_JSON = 1024 * 1024


def detect(root: Path) -> Detection | None:
    for name in _ORDER:
        generator = GENERATORS[name]
        for config in generator.config_files:
            if (root / config).is_file():
                return Detection(generator, config)
    dependencies = _dependencies(root / "package.json")
    for name in _ORDER:
        generator = GENERATORS[name]
        for package in generator.packages:
            if package in dependencies:
                return Detection(generator, f"package.json depends on {package}")
    return None


def sources_for(root: Path, generator: Generator) -> list[str]:
    """The generator's default sources whose folder (or file) exists here."""
    kept = []
    for pattern in generator.default_sources:
        head = pattern.split("/", 1)[0]
        if "*" in head or (root / head).exists():
            kept.append(pattern)
    return kept


def _dependencies(path: Path) -> set[str]:
    try:
        if os.path.getsize(path) > _MAX_PACKAGE_JSON:
            return set()
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(document, dict):
        return set()
    found: set[str] = set()
    for key in ("dependencies", "devDependencies"):
        table = document.get(key)
        if isinstance(table, dict):
            found.update(k for k in table if isinstance(k, str))
    return found
