"""Issue 11, manifest bombs: YAML aliases and huge numbers are clean manifest errors (exit 2),
and the manifest cache never writes out values that no prompt uses."""

from __future__ import annotations

import time
from pathlib import Path

from tests.fakes.sites import run_cli, write_site


def _alias_manifest(string_bytes: int, repeats: int) -> str:
    big = "x" * string_bytes
    many = ", ".join(["*s"] * repeats)
    return ("version: 1\noutput_dir: public\nvars:\n"
            f"  big: &s \"{big}\"\n  many: [{many}]\n"
            "assets:\n  - id: hero\n    path: img/hero.png\n    prompt: \"A rocket\"\n")


def test_a_string_repeated_by_aliases_is_refused_by_size(tmp_path: Path) -> None:
    # 0.5 MB on disk, 9.9 GB once expanded, but only 99,001 values: under the value count.
    site = write_site(tmp_path / "site", _alias_manifest(100_000, 99_000))
    assert (site / "assetgen.yaml").stat().st_size < 600_000
    started = time.monotonic()
    for command in ("plan", "verify"):
        result = run_cli("-C", site, command)
        assert result.code == 2, result.output
        assert "assetgen.yaml:3: `vars` expands to more than 33,554,432 bytes through YAML " \
               "aliases" in result.err, result.err
        assert "MemoryError" not in result.output and "Traceback" not in result.output
    assert time.monotonic() - started < 60  # ruamel parsing 99,000 aliases dominates


def test_the_cache_does_not_write_out_unused_aliased_values(tmp_path: Path) -> None:
    # 20 MB once expanded: accepted, but no prompt uses it, so the cache stays small.
    site = write_site(tmp_path / "site", _alias_manifest(1_000, 20_000))
    result = run_cli("-C", site, "plan")
    assert result.code == 0, result.output
    cache = site / ".assetgen" / "manifest.json"
    assert cache.is_file()
    assert cache.stat().st_size < 100_000
    assert run_cli("-C", site, "plan").code == 0  # answered from the cache


def test_a_number_of_thousands_of_digits_is_a_manifest_error(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", "version: 1\nvars:\n  n: " + "1" * 5000 +
                      "\nassets: []\n")
    result = run_cli("-C", site, "plan")
    assert result.code == 2, result.output
    assert "assetgen.yaml:3: a number in the manifest has thousands of digits" in result.err
