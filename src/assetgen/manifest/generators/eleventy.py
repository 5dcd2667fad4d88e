"""Eleventy: passthrough-copied folders are served as they are; `foo.md` is served at `foo/`
(so page-relative paths go through that URL); Nunjucks `| url` is a URL filter."""

from __future__ import annotations

from assetgen.manifest.generators.profile import Generator

PROFILE = Generator(
    name="eleventy",
    config_files=(".eleventy.js", "eleventy.config.js", "eleventy.config.mjs",
                  "eleventy.config.cjs", ".eleventy.cjs"),
    packages=("@11ty/eleventy",),
    served=(".", "src"),
    output_dir=".",
    default_sources=("**/*.njk", "**/*.md", "**/*.html", "**/*.liquid", "_data/**/*.json",
                     "_data/**/*.js", "**/*.css"),
    directory_urls=True,
    permalinks=True,
    url_filters=("url",),
)
