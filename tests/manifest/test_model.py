"""The manifest's plain data: what `Asset` derives from its fields."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from assetgen.manifest import Asset

_part = st.text("abcXYZ019-_.", min_size=1, max_size=6).filter(lambda p: p not in (".", ".."))


def _asset(file: Path, path: str) -> Asset:
    return Asset(id="a", path=path, file=file, prompt="p", route="draft", model="m",
                 quality="low", size="1024x1024", format="png", line=1)


@given(st.lists(_part, min_size=0, max_size=4), st.lists(_part, min_size=1, max_size=4))
def test_base_is_the_file_less_its_relative_path(folder: list[str], rel: list[str]) -> None:
    base = Path("/", *folder)
    path = "/".join(rel)
    asset = _asset(base / path, path)
    assert asset.base == base
    assert asset.base == Path(*asset.file.parts[:len(asset.file.parts) - len(rel)])


def test_base_is_shared_between_assets_of_one_folder() -> None:
    one, two = _asset(Path("/site/public/a.png"), "a.png"), _asset(
        Path("/site/public/img/b.png"), "img/b.png")
    assert one.base == two.base == Path("/site/public") and one.base is two.base
    odd = _asset(Path("/site/public/img/c.png"), "img/./c.png")  # not as the loader joins
    assert odd.base == Path("/site/public")
