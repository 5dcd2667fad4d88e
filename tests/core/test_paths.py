"""Path spelling without path objects answers exactly what pathlib answers."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assetgen.core.paths import display_relative_to, name_of, posix_relative, suffix_of
from assetgen.images.formats import format_for_path

# Slashes, dots and a few letters: every spelling pathlib normalises (repeated and trailing
# slashes, `.` and `..` parts, leading `./` and `/`, dots inside names) comes up.
_SPELLINGS = st.text(alphabet="/.a\\b", max_size=12)


@settings(max_examples=2000, deadline=None)
@given(_SPELLINGS)
def test_posix_relative_and_name_of_agree_with_pathlib(raw: str) -> None:
    assert posix_relative(raw) == PurePosixPath(raw).as_posix()
    assert name_of(raw) == PurePosixPath(raw).name
    assert suffix_of(raw) == PurePosixPath(raw).suffix


@pytest.mark.parametrize("raw", ["img/hero.webp", "a//b.png", "./a.png", "a/./b.png",
                                 "a/b/", "a/.", ".", "", "/abs/x.png", ".hidden", "a."])
def test_the_spellings_pathlib_normalises(raw: str) -> None:
    assert posix_relative(raw) == PurePosixPath(raw).as_posix()
    assert name_of(raw) == PurePosixPath(raw).name
    assert suffix_of(raw) == PurePosixPath(raw).suffix


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="/.apngwebjAPNG", max_size=14))
def test_format_for_path_reads_a_string_as_it_reads_the_path(raw: str) -> None:
    """The string branch (spelled without pathlib) answers as the Path branch does."""
    def answer(path: str | Path) -> str:
        try:
            return format_for_path(path)
        except ValueError as exc:
            return f"refused: {exc}"

    assert answer(raw) == answer(Path(raw))


def test_display_relative_to_climbs_at_most_two_levels(tmp_path: Path) -> None:
    assert display_relative_to(tmp_path / "a" / "b.png", tmp_path) == "a/b.png"
    deep = tmp_path / "x" / "y" / "z"
    assert display_relative_to(tmp_path / "b.png", deep).startswith("/")
