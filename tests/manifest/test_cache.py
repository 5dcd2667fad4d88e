"""The resolved-manifest cache answers exactly what the loader answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assetgen.manifest import load as manifest_load
from assetgen.manifest.cache import cache_file_for, lookup
from assetgen.manifest.load import load_manifest, load_manifest_cached


def test_a_cached_manifest_equals_the_loaded_one(repo_root: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    shutil.copytree(repo_root / "example-site", site)
    path = site / "assetgen.yaml"
    loaded = load_manifest(path)
    assert any(a.inputs for a in loaded.assets) and any(a.mask for a in loaded.assets)
    assert any(a.variant_widths for a in loaded.assets) and loaded.static
    written = load_manifest_cached(path, cache_file_for(path))  # parses, writes the cache
    assert written == loaded

    def no_parse(_: Path) -> None:
        raise AssertionError("answered from the cache, not parsed again")

    monkeypatch.setattr(manifest_load, "load_manifest", no_parse)
    cached = load_manifest_cached(path, cache_file_for(path))
    assert cached == loaded
    assert lookup(path.resolve(), cache_file_for(path))[0] == loaded
    assert [a.base for a in cached.assets] == [a.base for a in loaded.assets]
    assert cached.by_id.keys() == loaded.by_id.keys()
