"""Synthetic sites, one per generator (written for these tests; no third-party files), and
the exact references `verify` must find in each (SPEC 7)."""

from __future__ import annotations

FENCE = "```"

HUGO = {
    "hugo.toml": '[params]\n  avatar = "img/avatar.png"\n  # logo = "img/old.png"\n',
    "layouts/partials/head.html": (
        '{{/* <img src="/commented.png"> */}}\n'
        '<link rel="icon" href="{{ "favicon.png" | relURL }}">\n'
        '{{ $logo := resources.Get "img/logo.svg" }}\n'
        '{{ $icon := resources.GetMatch (printf "icons/%s.svg" .) }}\n'
        '<img src="{{ .Params.cover }}">\n'),
    "content/post/hello/index.md": (
        '+++\ntitle = "Hello"\ncover = "cover.jpg"\n'
        'images = ["gallery/one.png", "gallery/two.png"]\n+++\n'
        "![inline](cover.jpg)\n"
        '{{< figure src="diagram.svg" >}}\n'
        f"- a list\n\n    {FENCE}html\n    <img src=\"/in-fence.png\">\n    {FENCE}\n"),
    "assets/img/avatar.png": "", "assets/img/logo.svg": "", "assets/diagram.svg": "",
    "static/favicon.png": "", "content/post/hello/cover.jpg": "",
    "content/post/hello/gallery/one.png": "", "content/post/hello/gallery/two.png": "",
}
HUGO_REFS = [
    ("content/post/hello/index.md", 3, "front-matter", "content/post/hello/cover.jpg"),
    ("content/post/hello/index.md", 4, "front-matter", "content/post/hello/gallery/one.png"),
    ("content/post/hello/index.md", 4, "front-matter", "content/post/hello/gallery/two.png"),
    ("content/post/hello/index.md", 6, "md", "content/post/hello/cover.jpg"),
    ("content/post/hello/index.md", 7, "template", "assets/diagram.svg"),
    ("hugo.toml", 2, "config", "assets/img/avatar.png"),
    ("layouts/partials/head.html", 2, "template", "static/favicon.png"),
    ("layouts/partials/head.html", 3, "template", "assets/img/logo.svg"),
    ("layouts/partials/head.html", 4, "unresolved", "layouts/partials/head.html"),
]

ASTRO = {
    "astro.config.mjs": "export default {};\n",
    "tsconfig.json": ('{\n  // aliases\n  "compilerOptions": {\n    "baseUrl": ".",\n'
                      '    "paths": { "~/*": ["src/*"], },\n  },\n}\n'),
    "src/components/Logo.astro": (
        "---\nimport logo from '~/assets/logo.png';\nimport hero from '../assets/hero.webp';\n"
        "const og = `${Astro.site}/og.png`;\n---\n"
        '<img src="/favicon.svg" />\n<Image src={logo} />\n'),
    "src/content/blog/post.md": (
        '---\ntitle: Post\nheroImage: ./cover.png\nseo:\n  image: "/og.png"\n---\nText.\n'),
    "public/favicon.svg": "", "public/og.png": "", "src/assets/logo.png": "",
    "src/assets/hero.webp": "", "src/content/blog/cover.png": "",
}
ASTRO_REFS = [
    ("src/components/Logo.astro", 2, "import", "src/assets/logo.png"),
    ("src/components/Logo.astro", 3, "import", "src/assets/hero.webp"),
    ("src/components/Logo.astro", 4, "js-literal", "public/og.png"),
    ("src/components/Logo.astro", 6, "jsx-src", "public/favicon.svg"),
    ("src/content/blog/post.md", 3, "front-matter", "src/content/blog/cover.png"),
    ("src/content/blog/post.md", 5, "front-matter", "public/og.png"),
]

JEKYLL = {
    "_config.yml": ("title: Site\nlogo: /assets/img/logo.png  # the logo\n"
                    "# avatar: /assets/img/old.png\n"),
    "_posts/2020-01-01-hi.md": (
        "---\nlayout: post\nimage: assets/img/hero.jpg\n---\n"
        "![a]({{ site.baseurl }}/assets/img/a.png)\n"
        '<img src="{{ "/assets/img/b.png" | relative_url }}">\n'
        '{% comment %}<img src="/assets/img/gone.png">{% endcomment %}\n'),
    "_includes/head.html": "<link rel=\"icon\" href=\"{{ 'favicon.ico' | absolute_url }}\">\n",
    "assets/img/logo.png": "", "assets/img/hero.jpg": "", "assets/img/a.png": "",
    "assets/img/b.png": "", "favicon.ico": "",
}
JEKYLL_REFS = [
    ("_config.yml", 2, "config", "assets/img/logo.png"),
    ("_includes/head.html", 1, "template", "favicon.ico"),
    ("_posts/2020-01-01-hi.md", 3, "front-matter", "assets/img/hero.jpg"),
    ("_posts/2020-01-01-hi.md", 5, "md", "assets/img/a.png"),
    ("_posts/2020-01-01-hi.md", 6, "template", "assets/img/b.png"),
]

MKDOCS = {
    "mkdocs.yml": "site_name: Docs\ntheme:\n  favicon: img/favicon.ico\n  logo: img/logo.svg\n",
    "docs/guide/setup.md": "![a](../img/shot.png)\n<img src=\"../../img/raw.png\">\n",
    "docs/index.md": "![b](img/shot.png)\n",
    "docs/img/favicon.ico": "", "docs/img/logo.svg": "", "docs/img/shot.png": "",
    "docs/img/raw.png": "",
}
MKDOCS_REFS = [
    ("docs/guide/setup.md", 1, "md", "docs/img/shot.png"),
    ("docs/guide/setup.md", 2, "img", "docs/img/raw.png"),  # served at guide/setup/
    ("docs/index.md", 1, "md", "docs/img/shot.png"),
    ("mkdocs.yml", 3, "config", "docs/img/favicon.ico"),
    ("mkdocs.yml", 4, "config", "docs/img/logo.svg"),
]

DOCUSAURUS = {
    "website/docusaurus.config.ts": (
        "export default {\n  favicon: 'img/favicon.ico',\n"
        "  themeConfig: { navbar: { logo: { src: 'img/logo.svg' } }, image: 'img/social.png' },\n"
        "};\n"),
    "website/src/pages/index.js": (
        "import Hero from '@site/static/img/hero.svg';\n"
        "const features = [{ imageUrl: 'img/feature.svg' }];\n"
        "const icon = require('@site/static/img/req.png').default;\n"),
    "docs/intro.md": "![x](/img/doc.png)\n",
    "website/static/img/favicon.ico": "", "website/static/img/logo.svg": "",
    "website/static/img/social.png": "", "website/static/img/hero.svg": "",
    "website/static/img/feature.svg": "", "website/static/img/req.png": "",
    "website/static/img/doc.png": "",
}
DOCUSAURUS_REFS = [
    ("docs/intro.md", 1, "md", "website/static/img/doc.png"),
    ("website/docusaurus.config.ts", 2, "js-literal", "website/static/img/favicon.ico"),
    ("website/docusaurus.config.ts", 3, "js-literal", "website/static/img/logo.svg"),
    ("website/docusaurus.config.ts", 3, "js-literal", "website/static/img/social.png"),
    ("website/src/pages/index.js", 1, "import", "website/static/img/hero.svg"),
    ("website/src/pages/index.js", 2, "js-literal", "website/static/img/feature.svg"),
    ("website/src/pages/index.js", 3, "import", "website/static/img/req.png"),
]

NEXTJS = {
    "next.config.js": "module.exports = {};\n",
    "tsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["./*"]}}}\n',
    "app/page.tsx": (
        'import og from "public/og.jpg";\nimport logo from "@/public/logo.png";\n'
        "const banner = `${process.env.BASE}/banner.png`;\n"
        'const team = [{ imgSrc: "/team/a.jpg" }];\n'
        "export default () => <img src={`/avatars/${id}.png`} />;\n"),
    "content/post.mdx": "---\ntitle: Post\nimage: /images/post.jpg\n---\nText\n",
    "public/og.jpg": "", "public/logo.png": "", "public/banner.png": "",
    "public/team/a.jpg": "", "public/images/post.jpg": "",
}
NEXTJS_REFS = [
    ("app/page.tsx", 1, "import", "public/og.jpg"),
    ("app/page.tsx", 2, "import", "public/logo.png"),
    ("app/page.tsx", 3, "js-literal", "public/banner.png"),
    ("app/page.tsx", 4, "js-literal", "public/team/a.jpg"),
    ("app/page.tsx", 5, "unresolved", "app/page.tsx"),
    ("content/post.mdx", 3, "front-matter", "public/images/post.jpg"),
]

ELEVENTY = {
    ".eleventy.js": "module.exports = () => ({});\n",
    "posts/second.md": "![d](../../img/doener.jpg)\n",
    "_includes/base.njk": ('{# <img src="/img/old.png"> #}\n'
                           "<img src=\"{{ '/img/logo.png' | url }}\">\n"
                           '<link rel="icon" href="/favicon.svg">\n'),
    "favicon.svg.njk": "---\npermalink: /favicon.svg\n---\n<svg></svg>\n",
    "css/main.css": ('@font-face { src: url(/fonts/icons.svg#i) format("svg"); }\n'
                     ".x { background: url(/img/bg.png); }\n"),
    "img/doener.jpg": "", "img/logo.png": "", "img/bg.png": "", "favicon.svg": "",
}
ELEVENTY_REFS = [
    ("_includes/base.njk", 2, "template", "img/logo.png"),
    ("_includes/base.njk", 3, "link", "favicon.svg"),
    ("css/main.css", 2, "css-url", "img/bg.png"),
    ("posts/second.md", 1, "md", "img/doener.jpg"),  # served at posts/second/
]

SITES = {
    "hugo": (HUGO, "static", ["content/**/*.md", "layouts/**/*.html", "hugo.toml"], HUGO_REFS),
    "astro": (ASTRO, "public", ["src/**/*.astro", "src/**/*.md"], ASTRO_REFS),
    "jekyll": (JEKYLL, ".", ["_posts/*.md", "_includes/*.html", "_config.yml"], JEKYLL_REFS),
    "mkdocs": (MKDOCS, "docs", ["docs/**/*.md", "mkdocs.yml"], MKDOCS_REFS),
    "docusaurus": (DOCUSAURUS, "website/static",
                   ["docs/**/*.md", "website/src/**/*.js", "website/docusaurus.config.*"],
                   DOCUSAURUS_REFS),
    "nextjs": (NEXTJS, "public", ["app/**/*.tsx", "content/**/*.mdx"], NEXTJS_REFS),
    "eleventy": (ELEVENTY, ".", ["**/*.md", "**/*.njk", "css/*.css"], ELEVENTY_REFS),
}
