"""A manifest naming a folder that is not there says so, with file:line (SPEC 7), on plan
and on a whole-site verify; for a generator that serves another folder, it names that one."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fakes.sites import run_cli, write_site

ASTRO = ("version: 1\ngenerator: astro\noutput_dir: dist\nroots: [src/pics]\n"
         "sources: [\"src/**/*.astro\"]\n")


def test_plan_warns_about_a_missing_output_dir_and_root_with_their_lines(tmp_path: Path) -> None:
    write_site(tmp_path, ASTRO, {"src/pages/index.astro": "<p>hi</p>\n"})
    result = run_cli("-C", tmp_path, "plan")
    assert result.code == 0
    assert "assetgen.yaml:3: output_dir `dist` does not exist yet; build creates it" in result.err
    assert "astro serves public/" in result.err
    assert "assetgen.yaml:4: root `src/pics` does not exist yet" in result.err


def test_verify_warns_and_strict_fails(tmp_path: Path) -> None:
    write_site(tmp_path, ASTRO, {"src/pages/index.astro": "<p>hi</p>\n"})
    result = run_cli("-C", tmp_path, "verify", "--json")
    assert result.code == 0
    findings = {f["path"]: f for f in json.loads(result.out)["findings"]}
    dist = findings["dist"]
    assert dist["state"] == "no-folder" and dist["severity"] == "warning"
    assert dist["page"] == "assetgen.yaml" and dist["line"] == 3
    assert "astro serves public/" in dist["remedy"]
    assert run_cli("-C", tmp_path, "verify", "--strict").code == 1


def test_existing_folders_and_a_default_output_dir(tmp_path: Path) -> None:
    write_site(tmp_path, ASTRO, {"src/pages/index.astro": "<p>hi</p>\n", "dist/.keep": "",
                                 "src/pics/.keep": ""})
    quiet = run_cli("-C", tmp_path, "verify")
    assert quiet.code == 0 and "no-folder" not in quiet.out, quiet.out
    write_site(tmp_path / "plain", "version: 1\nsources: [\"*.html\"]\n")
    plain = run_cli("-C", tmp_path / "plain", "plan")
    assert "assetgen.yaml:1: output_dir `public` does not exist yet; build creates it" \
        in plain.err
    assert "serves" not in plain.err  # a plain site serves its output_dir
