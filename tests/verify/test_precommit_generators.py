"""The real pre-commit hook on generator sites: a commit whose image only a generator's own
syntax names is blocked until the image is declared (SPEC 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_precommit import Repo, new_repo, pytestmark  # noqa: F401  (skip rule)

SITES = {
    "docusaurus": ("static", {"docusaurus.config.ts": "export default {\n"
                              "  favicon: 'img/favicon.ico',\n};\n"}, "img/favicon.ico"),
    "astro": ("public", {"astro.config.mjs": "export default {};\n",
                         "src/pages/index.astro": "---\nconst og = `${Astro.site}/og.png`;\n"
                                                  "---\n<h1>Hi</h1>\n"}, "og.png"),
    "hugo": ("static", {"hugo.toml": 'title = "x"\n',
                        "content/_index.md": "+++\nimage = \"/banner.jpg\"\n+++\n"},
             "banner.jpg"),
    "jekyll": (".", {"_config.yml": "title: x\nexclude: [assetgen.yaml]\n",
                     "_posts/2020-01-01-a.md": "![a]({{ site.baseurl }}/img/a.png)\n"},
               "img/a.png"),
    "mkdocs": ("docs", {"mkdocs.yml": "site_name: x\ntheme:\n  favicon: img/favicon.png\n",
                        "docs/index.md": "# Home\n"}, "img/favicon.png"),
    "nextjs": ("public", {"next.config.js": "module.exports = {};\n",
                          "app/page.tsx": "const banner = `${process.env.BASE}/banner.png`;\n"
                                          "export default () => <p>{banner}</p>;\n"},
               "banner.png"),
    "eleventy": (".", {".eleventy.js": "module.exports = () => ({});\n",
                       "_includes/base.njk": "<img src=\"{{ '/img/logo.png' | url }}\">\n"},
                 "img/logo.png"),
}


@pytest.mark.parametrize("generator", sorted(SITES))
def test_hook_blocks_an_image_only_the_generator_names(tmp_path: Path, generator: str) -> None:
    output_dir, files, image = SITES[generator]
    repo: Repo = new_repo(tmp_path)
    root = repo.root
    (root / ".gitignore").write_text(".assetgen/\n")
    manifest = f"version: 1\ngenerator: {generator}\noutput_dir: \"{output_dir}\"\n"
    (root / "assetgen.yaml").write_text(manifest)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    target = root / output_dir / image
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"\x89PNG\r\n\x1a\n")
    blocked = repo.commit("an undeclared image")
    assert blocked.returncode != 0, blocked.stdout
    assert f"{image}: unknown" in blocked.stdout + blocked.stderr
    (root / "assetgen.yaml").write_text(manifest + f"static:\n  - path: {image}\n")
    passed = repo.commit("the image declared")
    assert passed.returncode == 0, passed.stdout + passed.stderr
