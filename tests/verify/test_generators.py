"""Each generator's synthetic site: exactly the expected references (SPEC 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assetgen.manifest import load_manifest
from assetgen.verify.references import scan_sources
from assetgen.verify.resolve import resolver_for
from tests.verify.sites import SITES


def write(root: Path, files: dict[str, str], generator: str, output_dir: str,
          sources: list[str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    manifest = root / "assetgen.yaml"
    manifest.write_text(f"version: 1\ngenerator: {generator}\noutput_dir: {output_dir}\n"
                        f"sources: {json.dumps(sources)}\n", encoding="utf-8")
    return manifest


def references(root: Path) -> list[tuple[str, int, str, str]]:
    manifest = load_manifest(root / "assetgen.yaml")
    scan = scan_sources(manifest.root, manifest.sources, manifest.output_dir,
                        resolver_for(manifest))
    return sorted((r.page.relative_to(root).as_posix(), r.line, r.kind,
                   r.target.relative_to(root).as_posix()) for r in scan.references)


@pytest.mark.parametrize("generator", sorted(SITES))
def test_generator_site_references(tmp_path: Path, generator: str) -> None:
    files, output_dir, sources, expected = SITES[generator]
    write(tmp_path, files, generator, output_dir, sources)
    assert references(tmp_path) == sorted(expected)
