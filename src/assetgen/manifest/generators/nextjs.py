"""Next.js: `public/` is served at /; images are imported (with tsconfig `paths`/`baseUrl`)
or named in JS literals, often behind a `${basePath}` prefix."""

from __future__ import annotations

from assetgen.manifest.generators.profile import Generator

PROFILE = Generator(
    name="nextjs",
    config_files=("next.config.js", "next.config.mjs", "next.config.ts"),
    packages=("next",),
    served=("public",),
    output_dir="public",
    default_sources=("app/**/*.tsx", "app/**/*.ts", "app/**/*.jsx", "app/**/*.js",
                     "pages/**/*.tsx", "pages/**/*.jsx", "pages/**/*.js",
                     "components/**/*.tsx", "components/**/*.jsx", "content/**/*.md",
                     "content/**/*.mdx", "data/**/*.js", "data/**/*.ts", "styles/**/*.css",
                     "src/**/*.tsx", "src/**/*.ts", "src/**/*.jsx", "src/**/*.js",
                     "src/**/*.css"),
)
