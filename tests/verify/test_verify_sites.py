"""`assetgen verify` on generator sites through the real CLI: unresolved references, the
summary, `verify FILE...` and the manifest's site keys (SPEC 7)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.fakes.sites import run_cli, write_site


def test_unresolved_is_a_warning_with_file_and_line_and_strict_fails(tmp_path: Path) -> None:
    write_site(tmp_path, "version: 1\ngenerator: hugo\noutput_dir: static\n"
               "sources: [layouts/**/*.html]\n", {
                   "layouts/icon.html": '{{ $i := resources.GetMatch (printf "icons/%s.svg" .) }}'
                                        '\n<img src="{{ .Params.cover }}">\n',
                   "static/.keep": ""})
    loose = run_cli("-C", tmp_path, "verify")
    assert loose.code == 0, loose.out
    assert "layouts/icon.html: unresolved — layouts/icon.html:1 names `icons/%s.svg`" in loose.out
    assert "all lineage intact" not in loose.out
    strict = run_cli("-C", tmp_path, "verify", "--strict")
    assert strict.code == 1


def test_summary_names_references_it_could_not_follow(tmp_path: Path) -> None:
    write_site(tmp_path, "version: 1\nsources: [pages/*.html]\n",
               {"pages/a.html": '<img src="{{ post.cover }}">\n', "public/.keep": ""})
    result = run_cli("-C", tmp_path, "verify")
    assert result.code == 0
    assert "1 reference could not be followed (1 template)" in result.out
    assert "all lineage intact" not in result.out


def test_verify_file_checks_a_config_source_and_a_root_image(tmp_path: Path) -> None:
    write_site(tmp_path, "version: 1\ngenerator: docusaurus\noutput_dir: static\n"
               "sources: [docusaurus.config.ts]\n", {
                   "docusaurus.config.ts": "export default {\n  favicon: 'img/favicon.ico',\n};\n",
                   "static/img/favicon.ico": b"\x00", "src/assets/lonely.png": b"\x00"})
    config = run_cli("-C", tmp_path, "verify", "docusaurus.config.ts")
    assert config.code == 1, config.out
    assert "static/img/favicon.ico: unknown — referenced by docusaurus.config.ts:2" in config.out
    image = run_cli("-C", tmp_path, "verify", "src/assets/lonely.png")
    assert "nothing in the given files concerns" not in image.out
    assert image.code == 0


def test_generator_and_roots_are_checked_at_load(tmp_path: Path) -> None:
    write_site(tmp_path, "version: 1\ngenerator: gatsby\nroots: [../outside]\n", {})
    result = run_cli("-C", tmp_path, "verify")
    assert result.code == 2
    assert "assetgen.yaml:2" in result.err and "gatsby" in result.err
    assert "assetgen.yaml:3" in result.err and "root `../outside` is refused" in result.err


@pytest.mark.parametrize(("files", "generator", "output_dir"), [
    ({"hugo.toml": "title = 'x'\n", "content/_index.md": "x\n"}, "hugo", "static"),
    ({"package.json": '{"dependencies": {"astro": "^4"}}', "src/pages/a.astro": "x"},
     "astro", "public"),
    ({"docusaurus.config.ts": "export default {};\n", "docs/a.md": "x\n"}, "docusaurus",
     "static"),
    ({"mkdocs.yml": "site_name: x\n", "docs/index.md": "x\n"}, "mkdocs", "docs"),
    ({"_config.yml": "title: x\n", "index.md": "x\n"}, "jekyll", "."),
    ({"package.json": '{"devDependencies": {"@11ty/eleventy": "2"}}'}, "eleventy", "."),
    ({"next.config.js": "module.exports = {}\n", "app/page.tsx": "x"}, "nextjs", "public"),
])
def test_init_detects_the_generator_and_writes_a_working_manifest(
        tmp_path: Path, files: dict[str, str], generator: str, output_dir: str) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert run_cli("-C", tmp_path, "init").code == 0
    data = yaml.safe_load((tmp_path / "assetgen.yaml").read_text())
    assert data["generator"] == generator and data["output_dir"] == output_dir
    assert data["sources"]
    assert run_cli("-C", tmp_path, "build", "--draft").code == 0  # the scaffold's example
    assert run_cli("-C", tmp_path, "verify").code == 0


def test_an_image_in_another_root_can_be_declared_in_place(tmp_path: Path) -> None:
    page = '{{ $logo := resources.Get "img/logo.svg" }}\n'
    site = "version: 1\ngenerator: hugo\noutput_dir: static\nsources: [layouts/*.html]\n"
    write_site(tmp_path, site, {"layouts/a.html": page, "assets/img/logo.svg": "<svg/>",
                                "static/.keep": ""})
    undeclared = run_cli("-C", tmp_path, "verify")
    assert undeclared.code == 1 and "assets/img/logo.svg: unknown" in undeclared.out
    assert "move it below" not in undeclared.out  # that would break the site's build
    assert "root: assets" in undeclared.out
    (tmp_path / "assetgen.yaml").write_text(site + "static:\n  - path: img/logo.svg\n"
                                            "    root: assets\n")
    declared = run_cli("-C", tmp_path, "verify")
    assert declared.code == 0, declared.out
