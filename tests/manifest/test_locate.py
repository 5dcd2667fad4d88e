"""Which manifest a command works on: the nearest `assetgen.yaml` upwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from assetgen.manifest import locate
from assetgen.manifest.locate import MANIFEST_NAME, nearest_manifest


def test_nearest_manifest_remembers_every_folder_it_walked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "content" / "posts").mkdir(parents=True)
    (site / MANIFEST_NAME).write_text("version: 1\n")
    (tmp_path / "elsewhere").mkdir()
    memo: dict[Path, Path | None] = {}
    assert nearest_manifest(site / "content" / "posts", memo) == site / MANIFEST_NAME
    assert memo == dict.fromkeys([site / "content" / "posts", site / "content", site],
                                 site / MANIFEST_NAME)
    looked: list[Path] = []
    real_is_file = Path.is_file

    def counting(path: Path) -> bool:
        looked.append(path)
        return real_is_file(path)

    monkeypatch.setattr(Path, "is_file", counting)
    assert nearest_manifest(site / "content", memo) == site / MANIFEST_NAME
    assert looked == []  # answered from the memo: a commit's files walk each folder once
    monkeypatch.undo()
    assert nearest_manifest(tmp_path / "elsewhere", memo) is None  # no site above /tmp
    assert memo[tmp_path / "elsewhere"] is None and memo[tmp_path] is None


def test_find_manifest_is_the_same_walk_with_an_error_when_none(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / MANIFEST_NAME).write_text("version: 1\n")
    assert locate.find_manifest(tmp_path / "a" / "b") == tmp_path / "a" / MANIFEST_NAME
    assert nearest_manifest(tmp_path / "a" / "b") == tmp_path / "a" / MANIFEST_NAME
