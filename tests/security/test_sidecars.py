"""Malformed sidecars (SPEC 10): the image is `unrecorded`, and no command stops (no exit 4).

Sidecars are committed files, so anyone who can open a pull request writes them; `verify`
runs on them as a pre-commit hook.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assetgen.errors import EXIT_INTERNAL
from assetgen.provenance.record import MAX_RECORD_BYTES, CorruptSidecar, Record
from tests.fakes.sites import TWO_DRAFT_ASSETS, run_cli, write_site

MANIFEST = TWO_DRAFT_ASSETS


def _with(field: str, raw: str) -> Callable[[bytes], bytes]:
    """The good sidecar with ``field`` replaced by the raw JSON text ``raw``."""
    def edit(good: bytes) -> bytes:
        record = json.loads(good)
        record[field] = "@@"
        return json.dumps(record).replace('"@@"', raw).encode()
    return edit


ATTACKS: dict[str, Callable[[bytes], bytes]] = {
    "route-is-a-number": _with("route", "1"),
    "nested-100000": lambda good: b"[" * 100_000,
    "nested-inside-usage": _with("usage", "[" * 50_000 + "]" * 50_000),
    "cost-400-digits": _with("cost_usd", "9" * 400),
    "cost-5000-digits": _with("cost_usd", "9" * 5000),  # past int_max_str_digits
    "cost-nan": _with("cost_usd", "NaN"),
    "width-is-text": _with("width", '"wide"'),
    "variants-not-a-list": _with("variants", '{"file": "index.html"}'),
    "variants-of-numbers": _with("variants", "[1, 2]"),
    "master-is-a-list": _with("master", '["x"]'),
    "non-object": lambda good: b'["assetgen.provenance/1"]',
    "a-number": lambda good: b"42",
    "invalid-utf8": lambda good: good.replace(b'"A rocket"', b'"A \xff\xfe rocket"'),
    "huge": lambda good: good[:-2] + b' ' * (MAX_RECORD_BYTES + 10) + b"}\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    site = write_site(tmp_path_factory.mktemp("sidecars") / "site", MANIFEST)
    assert run_cli("-C", site, "build").code == 0
    return site, (site / "public/img/hero.png.provenance.json").read_bytes()


def _site(tmp_path: Path, built: tuple[Path, bytes], attack: str) -> Path:
    import shutil

    site = tmp_path / "site"
    shutil.copytree(built[0], site, symlinks=True)
    (site / "public/img/hero.png.provenance.json").write_bytes(ATTACKS[attack](built[1]))
    return site


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_malformed_sidecar_is_unrecorded_in_plan_and_verify(
        tmp_path: Path, built: tuple[Path, bytes], attack: str) -> None:
    site = _site(tmp_path, built, attack)
    planned = run_cli("-C", site, "plan", "--json")
    assert planned.code != EXIT_INTERNAL, planned.output
    states = {a["id"]: a["state"] for a in json.loads(planned.out)["assets"]}
    assert states == {"hero": "unrecorded", "card": "draft"}  # the draft route's state
    verified = run_cli("-C", site, "verify", "--json")
    assert verified.code == 1, verified.output
    found = {f["asset"]: f["state"] for f in json.loads(verified.out)["findings"]}
    assert found["hero"] == "unrecorded" and found["card"] == "draft"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_malformed_sidecar_never_stops_report_or_a_forced_build(
        tmp_path: Path, built: tuple[Path, bytes], attack: str) -> None:
    site = _site(tmp_path, built, attack)
    report = run_cli("-C", site, "report")
    assert report.code == 0, report.output
    rebuilt = run_cli("-C", site, "build", "--force", "hero")
    assert rebuilt.code == 0, rebuilt.output
    assert json.loads((site / "public/img/hero.png.provenance.json").read_bytes())["route"] \
        == "draft"
    assert run_cli("-C", site, "verify").code == 0


def test_the_parser_names_what_is_wrong() -> None:
    with pytest.raises(CorruptSidecar, match="`route` is not a string"):
        Record.parse(b'{"schema": "assetgen.provenance/1", "route": 1}', "x.json")
    with pytest.raises(CorruptSidecar, match="nested"):
        Record.parse(b'{"schema": "assetgen.provenance/1", "usage": ' + b"[" * 40
                      + b"]" * 40 + b"}", "x.json")


def test_a_sidecar_that_is_a_symlink_is_not_followed(tmp_path: Path,
                                                     built: tuple[Path, bytes]) -> None:
    site = _site(tmp_path, built, "a-number")
    outside = tmp_path / "elsewhere.json"
    outside.write_bytes(built[1])  # a valid record, but not one in the repository
    sidecar = site / "public/img/hero.png.provenance.json"
    sidecar.unlink()
    sidecar.symlink_to(outside)
    planned = run_cli("-C", site, "plan", "--json")
    assert {a["id"]: a["state"] for a in json.loads(planned.out)["assets"]}["hero"] \
        == "unrecorded"


def test_snippet_lists_only_files_named_like_the_assets_variants(
        tmp_path: Path, built: tuple[Path, bytes]) -> None:
    site = _site(tmp_path, built, "a-number")
    record = json.loads(built[1])
    record["variants"] = [
        {"file": "img/hero-480w.png", "sha256": "0" * 64, "width": 480, "height": 480,
         "format": "png"},
        {"file": "javascript:alert(1)//hero-480w.png", "sha256": "0" * 64},
        {"file": "../../etc/passwd", "sha256": "0" * 64},
    ]
    (site / "public/img/hero.png.provenance.json").write_text(json.dumps(record))
    result = run_cli("-C", site, "snippet", "hero")
    assert result.code == 0, result.output
    assert "/img/hero-480w.png 480w" in result.out
    assert "javascript" not in result.out and "passwd" not in result.out
