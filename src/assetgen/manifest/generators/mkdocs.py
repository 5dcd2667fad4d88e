"""MkDocs: `docs/` is served at /; with directory URLs (the default) `foo.md` is served at
`foo/`, so a raw-HTML path in it is relative to that URL."""

from __future__ import annotations

from assetgen.manifest.generators.profile import Generator

PROFILE = Generator(
    name="mkdocs",
    config_files=("mkdocs.yml", "mkdocs.yaml"),
    served=("docs",),
    output_dir="docs",
    default_sources=("docs/**/*.md", "docs/**/*.html", "docs/**/*.css", "mkdocs.yml",
                     "overrides/**/*.html"),
    directory_urls=True,
)
