"""Jekyll: the site folder itself is served (`/assets/x.png` is `assets/x.png`); paths go
through `relative_url`/`absolute_url` or a `{{ site.baseurl }}` prefix; `_posts/` pages are
served at permalinks, so page-relative paths are resolved against the site root too."""

from __future__ import annotations

from assetgen.manifest.generators.profile import Generator

PROFILE = Generator(
    name="jekyll",
    config_files=("_config.yml", "_config.yaml", "_config.toml"),
    served=(".",),
    output_dir=".",
    default_sources=("**/*.md", "**/*.html", "_config.yml", "_data/**/*.yml",
                     "_sass/**/*.scss", "assets/**/*.css", "assets/**/*.scss"),
    directory_urls=True,
    permalinks=True,
    url_filters=("relative_url", "absolute_url", "asset_url", "img_url"),
)
