"""Astro: `public/` is served at /, `src/assets/` (and images beside content) are imported and
optimised by the bundler; `~/` or `@/` aliases come from tsconfig `paths`."""

from __future__ import annotations

from assetgen.manifest.generators.profile import Generator

PROFILE = Generator(
    name="astro",
    config_files=("astro.config.mjs", "astro.config.ts", "astro.config.js", "astro.config.mts"),
    packages=("astro",),
    served=("public",),
    bundled=("src/assets", "src"),
    output_dir="public",
    default_sources=("src/**/*.astro", "src/**/*.md", "src/**/*.mdx", "src/**/*.ts",
                     "src/**/*.tsx", "src/**/*.jsx", "src/**/*.css", "src/**/*.yaml",
                     "src/**/*.json", "astro.config.*"),
)
