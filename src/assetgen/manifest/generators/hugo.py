"""Hugo: `static/` is served at /, `assets/` holds global resources (`resources.Get`), and a
page bundle (`content/post/x/index.md`) holds its own images (`.Resources.Get`)."""

from __future__ import annotations

from assetgen.manifest.generators.profile import Generator

PROFILE = Generator(
    name="hugo",
    config_files=("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml",
                  "config/_default/hugo.toml", "config/_default/config.toml",
                  "config/_default/params.toml", "config/_default/hugo.yaml"),
    served=("static",),
    bundled=("assets",),
    output_dir="static",
    default_sources=("content/**/*.md", "layouts/**/*.html", "assets/**/*.css",
                     "assets/**/*.scss", "hugo.toml", "hugo.yaml", "config.toml",
                     "config/**/*.toml", "config/**/*.yaml", "data/**/*.yaml",
                     "data/**/*.toml", "data/**/*.json"),
    url_filters=("relurl", "absurl", "rellangurl", "abslangurl"),
)
