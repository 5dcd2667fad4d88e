"""The resolved-manifest cache answers exactly what the loader answers."""

from __future__ import annotations

import os
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


def test_the_cache_holds_values_by_position_and_a_torn_one_is_loaded_again(
        repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    shutil.copytree(repo_root / "example-site", site)
    path = site / "assetgen.yaml"
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", lambda fd: synced.append(fd))
    loaded = load_manifest_cached(path, cache_file_for(path))
    text = cache_file_for(path).read_text()
    # Field names are not repeated per asset (they were 40 % of a 2,000-asset cache).
    assert '"values"' in text and "variant_widths" not in text and "path_line" not in text
    assert synced == []  # a cache is atomic, not fsynced: a torn one is only reloaded
    cache_file_for(path).write_text(text[: len(text) // 2])
    assert lookup(path.resolve(), cache_file_for(path))[0] is None
    assert load_manifest_cached(path, cache_file_for(path)) == loaded
    assert cache_file_for(path).read_text() == text  # written whole again



def _records_of(value: object, kind: str) -> list[dict]:
    """Every encoded dataclass record of ``kind`` in a cache document, at any depth."""
    found = []
    if isinstance(value, dict):
        if value.get("$dc", "").endswith(f":{kind}"):
            found.append(value)
        for inner in value.values():
            found += _records_of(inner, kind)
    elif isinstance(value, list):
        for inner in value:
            found += _records_of(inner, kind)
    return found


@pytest.mark.parametrize("values", ["abc", {"ref": 1, "path": 2, "asset_id": 3}, 3, None])
def test_a_cached_record_whose_values_are_not_a_list_is_loaded_again(
        repo_root: Path, tmp_path: Path, values: object) -> None:
    """The state folder is untrusted: an edit input whose values are a three-letter string
    (or anything but a list) is refused, not spread into EditInput('a', 'b', 'c'), whose
    `path` would then be a string."""
    import json

    site = tmp_path / "site"
    shutil.copytree(repo_root / "example-site", site)
    path = site / "assetgen.yaml"
    loaded = load_manifest_cached(path, cache_file_for(path))
    document = json.loads(cache_file_for(path).read_text())
    inputs = _records_of(document, "EditInput")
    assert inputs  # the example site's dusk hero edits the hero
    inputs[0]["values"] = values
    cache_file_for(path).write_text(json.dumps(document))
    assert lookup(path.resolve(), cache_file_for(path))[0] is None
    assert load_manifest_cached(path, cache_file_for(path)) == loaded
