"""Docusaurus: `static/` is served at /; config fields (favicon, logo, image) and data objects
name paths below it without a slash; `@site/` is the site folder."""

from __future__ import annotations

from assetgen.manifest.generators.profile import Generator

PROFILE = Generator(
    name="docusaurus",
    config_files=("docusaurus.config.js", "docusaurus.config.ts", "docusaurus.config.mjs"),
    packages=("@docusaurus/core",),
    served=("static",),
    bundled=("src",),
    output_dir="static",
    default_sources=("docs/**/*.md", "docs/**/*.mdx", "blog/**/*.md", "blog/**/*.mdx",
                     "src/**/*.js", "src/**/*.jsx", "src/**/*.ts", "src/**/*.tsx",
                     "src/**/*.css", "docusaurus.config.*"),
    aliases=(("@site/", ""),),
)
