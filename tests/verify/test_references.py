"""Tests for assetgen.verify.references: every page syntax, resolution rule and skip reason."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from assetgen.verify.references import (
    IMAGE_SUFFIXES,
    Reference,
    ScanResult,
    find_pages,
    scan_page,
    scan_sources,
)


def _scan(root: Path, name: str, text: str) -> ScanResult:
    page = root / name
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(text, encoding="utf-8")
    return scan_page(page, text, root=root, output_dir=root / "public")


def _found(result: ScanResult, root: Path) -> list[tuple[str, int, str]]:
    """(target relative to root, line, kind) of each reference, in page order."""
    return [(r.target.relative_to(root).as_posix(), r.line, r.kind) for r in result.references]


def _skips(result: ScanResult) -> dict[str, int]:
    return {reason: count for reason, count in result.skipped.items() if count}


# --- HTML ------------------------------------------------------------------------------------


def test_html_img_meta_link_and_styles(tmp_path: Path) -> None:
    text = """<!doctype html>
<html><head>
<meta property="og:image" content="/img/og.png">
<meta name="twitter:image" content="/img/tw.jpg">
<meta property="og:image:secure_url" content="/img/secure.png">
<meta property="og:title" content="/img/not-an-image-key.png">
<link rel="icon" href="/favicon.ico">
<link rel="shortcut icon" href="/favicon-32.png">
<link rel="apple-touch-icon" href="/apple.png">
<link rel="mask-icon" href="/mask.svg" color="#000">
<link rel="preload" as="image" href="/img/lcp" imagesrcset="/img/lcp-1.webp 1x, /img/lcp-2.webp 2x">
<link rel="stylesheet" href="/styles.css">
<style>
  .hero { background: url("/img/bg.webp") no-repeat; }
</style>
</head><body>
<img src="/img/hero.webp" alt="x" width="1200" height="630">
<div style="background-image:url('/img/tile.png')">x</div>
<picture><source srcset="/img/p.avif" type="image/avif"><img src="/img/p.jpg"></picture>
</body></html>
"""
    result = _scan(tmp_path, "public/index.html", text)
    assert _found(result, tmp_path) == [
        ("public/img/og.png", 3, "meta"),
        ("public/img/tw.jpg", 4, "meta"),
        ("public/img/secure.png", 5, "meta"),
        ("public/favicon.ico", 7, "link"),
        ("public/favicon-32.png", 8, "link"),
        ("public/apple.png", 9, "link"),
        ("public/mask.svg", 10, "link"),
        ("public/img/lcp", 11, "link"),
        ("public/img/lcp-1.webp", 11, "link"),
        ("public/img/lcp-2.webp", 11, "link"),
        ("public/img/bg.webp", 14, "css-url"),
        ("public/img/hero.webp", 17, "img"),
        ("public/img/tile.png", 18, "style"),
        ("public/img/p.avif", 19, "srcset"),
        ("public/img/p.jpg", 19, "img"),
    ]
    hero = next(r for r in result.references if r.raw == "/img/hero.webp")
    assert hero.attrs == {"width": "1200", "height": "630"}
    assert hero.page == tmp_path / "public/index.html"
    assert all(r.target.is_absolute() for r in result.references)
    assert result.pages == 1


def test_srcset_candidates_and_descriptors(tmp_path: Path) -> None:
    text = (
        '<img src="a.png"\n'
        '     srcset="a-480.png 480w,\n'
        '             a-800.png   800w , /img/a-2x.png 2x,img/c.png">\n'
        '<img srcset="data:image/png;base64,iVBOR= 1x, https://cdn.example.com/x.png 2x">\n'
    )
    result = _scan(tmp_path, "public/blog/post.html", text)
    assert _found(result, tmp_path) == [
        ("public/blog/a.png", 1, "img"),
        ("public/blog/a-480.png", 2, "srcset"),
        ("public/blog/a-800.png", 3, "srcset"),
        ("public/img/a-2x.png", 3, "srcset"),
        ("public/blog/img/c.png", 3, "srcset"),
    ]
    assert [r.raw for r in result.references][1:] == [
        "a-480.png",
        "a-800.png",
        "/img/a-2x.png",
        "img/c.png",
    ]
    assert _skips(result) == {"data": 1, "external": 1}


def test_html_skips_external_data_and_templates(tmp_path: Path) -> None:
    text = """<img src="https://cdn.example.com/a.png">
<img src="//cdn.example.com/b.png">
<img src="HTTP://EXAMPLE.COM/c.png">
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<img src="{{ page.image }}">
<img src="{% static 'x' %}">
<img src="${hero}">
<meta property="og:image" content="https://example.com/og.png">
<link rel="icon" href="/icon.php">
<img src="/img/kept.png">
"""
    result = _scan(tmp_path, "public/index.html", text)
    assert _found(result, tmp_path) == [("public/img/kept.png", 10, "img")]
    assert _skips(result) == {"external": 4, "data": 1, "template": 3, "not-image": 1}


def test_uppercase_tags_and_unquoted_attributes(tmp_path: Path) -> None:
    text = (
        "<IMG SRC=/img/upper.PNG WIDTH=10 HEIGHT=20>\n"
        "<Img Src='/img/single.png'>\n"
        '<META PROPERTY="OG:IMAGE" CONTENT="/img/og.png">\n'
        "<LINK REL=ICON HREF=/favicon.png>\n"
        '<DIV STYLE="BACKGROUND-IMAGE: URL(/img/bg.gif)"></DIV>\n'
    )
    result = _scan(tmp_path, "public/index.html", text)
    assert _found(result, tmp_path) == [
        ("public/img/upper.PNG", 1, "img"),
        ("public/img/single.png", 2, "img"),
        ("public/img/og.png", 3, "meta"),
        ("public/favicon.png", 4, "link"),
        ("public/img/bg.gif", 5, "style"),
    ]
    assert result.references[0].attrs == {"width": "10", "height": "20"}


def test_html_comments_and_scripts_are_ignored(tmp_path: Path) -> None:
    text = """<!-- <img src="/img/commented.png"> -->
<script>document.write('<img src="/img/scripted.png">')</script>
<p>img src="/img/prose.png" is just text</p>
<img
  alt="multi-line tag"
  src="/img/late.png">
"""
    result = _scan(tmp_path, "public/index.html", text)
    assert _found(result, tmp_path) == [("public/img/late.png", 6, "img")]


def test_query_fragment_and_percent_decoding(tmp_path: Path) -> None:
    text = (
        '<img src="/img/a.png?v=3#x">\n'
        '<img src="my%20image.png">\n'
        '<img src="/img/b.png?w=1&amp;h=2">\n'
        '<img src="#local">\n'
    )
    result = _scan(tmp_path, "public/index.html", text)
    assert _found(result, tmp_path) == [
        ("public/img/a.png", 1, "img"),
        ("public/my image.png", 2, "img"),
        ("public/img/b.png", 3, "img"),
    ]
    assert result.references[0].raw == "/img/a.png?v=3#x"


def test_relative_resolution_from_nested_pages(tmp_path: Path) -> None:
    text = (
        '<img src="img/a.png">\n'
        '<img src="./b.png">\n'
        '<img src="../shared/c.png">\n'
        '<img src="/../../escape.png">\n'
    )
    result = _scan(tmp_path, "public/docs/guide/page.html", text)
    assert _found(result, tmp_path) == [
        ("public/docs/guide/img/a.png", 1, "img"),
        ("public/docs/guide/b.png", 2, "img"),
        ("public/docs/shared/c.png", 3, "img"),
        ("public/escape.png", 4, "img"),  # URL semantics: ".." stops at the site root
    ]


def test_targets_are_normalised_not_resolved(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "public").symlink_to(tmp_path / "real")
    result = _scan(tmp_path, "page.html", '<img src="/img/./x/../a.png">')
    assert result.references[0].target == tmp_path / "public" / "img" / "a.png"


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_inline_reference_and_code(tmp_path: Path) -> None:
    text = """# Title

![Hero](/img/hero.webp "The hero")
Text ![inline](./pics/inline.png) and ![spaces](<my pics/a b.png>).

```html
<img src="/img/fenced.png">
![fenced](/img/fenced-md.png)
```

~~~
![tilde](/img/tilde.png)
~~~

Use `![code](/img/span.png)` in prose.

![Diagram][diag]
![Photo][]
![Shortcut]

[diag]: /img/diagram.svg "A diagram"
[Photo]: <../shared/photo 1.jpg>
[shortcut]: img/short.png
[unused]: /img/unused.png
[link]: /img/linked.png

[a link][link] is not an image.
"""
    result = _scan(tmp_path, "content/posts/post.md", text)
    assert _found(result, tmp_path) == [
        ("public/img/hero.webp", 3, "md"),
        ("content/posts/pics/inline.png", 4, "md"),
        ("content/posts/my pics/a b.png", 4, "md"),
        ("public/img/diagram.svg", 17, "md-ref"),
        ("content/shared/photo 1.jpg", 18, "md-ref"),
        ("content/posts/img/short.png", 19, "md-ref"),
    ]
    assert result.references[3].raw == "/img/diagram.svg"


def test_markdown_raw_html_keeps_line_numbers(tmp_path: Path) -> None:
    text = """Intro paragraph.

<figure>
  <img src="/img/fig.png"
       width="800" height="600">
</figure>

<!-- <img src="/img/hidden.png"> -->
![after](/img/after.png)
<p style="background:url(/img/bg.png)"></p>
"""
    result = _scan(tmp_path, "content/page.md", text)
    assert _found(result, tmp_path) == [
        ("public/img/fig.png", 4, "img"),
        ("public/img/after.png", 9, "md"),
        ("public/img/bg.png", 10, "style"),
    ]
    assert result.references[0].attrs == {"width": "800", "height": "600"}


def test_markdown_skips_and_template_shortcodes(tmp_path: Path) -> None:
    text = """![ext](https://example.com/a.png)
![data](data:image/png;base64,AAAA)
![tpl]({{ site.baseurl }}/img/x.png)
{{< figure src="/img/shortcode.png" >}}
{% include image.html file="/img/liquid.jpg" %}
"""
    result = _scan(tmp_path, "content/page.md", text)
    assert _found(result, tmp_path) == [
        ("public/img/x.png", 3, "md"),  # the base-URL prefix is dropped (SPEC 7)
        ("public/img/shortcode.png", 4, "template"),
        ("public/img/liquid.jpg", 5, "template"),
    ]
    assert _skips(result) == {"external": 1, "data": 1}


# --- MDX / JSX -------------------------------------------------------------------------------


def test_jsx_src_literals_imports_and_templates(tmp_path: Path) -> None:
    text = """import React from "react";
import hero from "./hero.png";
import { a, b } from '../img/icons.webp';
import logo from "@site/static/img/logo.svg";
const icon = require("./icon.gif");
// import old from "./old.png";

export function Page({ image }) {
  return (
    <div>
      <img src="/img/a.png" width={640} height="480" />
      <img src='/img/b.png' />
      <Image src={"/img/c.jpg"} />
      <img src={'/img/d.jpg'} />
      <img src={image} />
      <img src={`/img/${name}.png`} />
      <img src={dark ? "/img/dark.png" : "/img/light.png"} />
      <script src="/app.js" />
      <div style={{ backgroundImage: "url(/img/bg.png)" }} />
    </div>
  );
}
"""
    result = _scan(tmp_path, "src/pages/index.jsx", text)
    assert _found(result, tmp_path) == [
        ("src/pages/hero.png", 2, "import"),
        ("src/img/icons.webp", 3, "import"),
        ("src/pages/icon.gif", 5, "import"),
        ("public/img/a.png", 11, "jsx-src"),
        ("public/img/b.png", 12, "jsx-src"),
        ("public/img/c.jpg", 13, "jsx-src"),
        ("public/img/d.jpg", 14, "jsx-src"),
        ("src/pages/index.jsx", 16, "unresolved"),  # a built name is reported, not skipped
        ("public/img/dark.png", 17, "jsx-src"),
        ("public/img/light.png", 17, "jsx-src"),
        ("public/img/bg.png", 19, "css-url"),
    ]
    assert result.references[3].attrs == {"width": "640", "height": "480"}
    assert _skips(result) == {"template": 2, "not-image": 2, "package": 1}


def test_mdx_gets_markdown_and_jsx(tmp_path: Path) -> None:
    text = """import chart from './chart.png'

# Post

![Alt](./inline.png)

<Figure src="/img/figure.webp" caption="x" />

```jsx
<img src="/img/fenced.png" />
```

{/* <img src="/img/commented.png" /> */}
"""
    result = _scan(tmp_path, "content/post.mdx", text)
    assert _found(result, tmp_path) == [
        ("content/chart.png", 1, "import"),
        ("content/inline.png", 5, "md"),
        ("public/img/figure.webp", 7, "jsx-src"),
    ]


def test_tsx_src_without_suffix_only_on_image_elements(tmp_path: Path) -> None:
    text = '<img src="/api/avatar" />\n<iframe src="/embed" />\n<video src="/v.mp4" />\n'
    result = _scan(tmp_path, "src/a.tsx", text)
    assert _found(result, tmp_path) == [("public/api/avatar", 1, "jsx-src")]
    assert _skips(result) == {"not-image": 2}


# --- CSS -------------------------------------------------------------------------------------


def test_css_urls_comments_and_fonts(tmp_path: Path) -> None:
    text = """/* .old { background: url(/img/old.png); } */
.a { background: url(/img/a.png); }
.b { background: url( "../img/b.jpg?v=2" ) }
.c { background-image: url('c.svg#icon'); }
@font-face { src: url("/fonts/x.woff2") format("woff2"), url(/fonts/x.ttf); }
.d { background: url(data:image/png;base64,AAAA); }
.e { background: url(https://cdn.example.com/e.png); }
.f { mask: url(#gradient); }
"""
    result = _scan(tmp_path, "public/css/site.css", text)
    assert _found(result, tmp_path) == [
        ("public/img/a.png", 2, "css-url"),
        ("public/img/b.jpg", 3, "css-url"),
        ("public/css/c.svg", 4, "css-url"),
    ]
    assert _skips(result) == {"data": 1, "external": 1}  # @font-face holds fonts, not images


def test_scss_line_comments_and_interpolation(tmp_path: Path) -> None:
    text = """// .x { background: url(/img/commented.png); }
$base: "/img";
.a { background: url("#{$base}/a.png"); } // trailing comment url(/img/trail.png)
.b { background: url($var); }
.c { background: url(/img/c.png); }
"""
    result = _scan(tmp_path, "styles/site.scss", text)
    assert _found(result, tmp_path) == [("styles/site.scss", 3, "unresolved"),
                                        ("public/img/c.png", 5, "css-url")]
    assert _skips(result) == {"template": 1}


# --- templates and fallback ------------------------------------------------------------------


def test_jinja_template_literals_and_expressions(tmp_path: Path) -> None:
    text = """{% extends "base.html" %}
{# {% set old = "/img/old.png" %} #}
{% include "card.html" with image="/img/card.png" %}
<img src="{{ page.image }}" alt="">
<img src="{{ '/img/filtered.png' | url }}">
<img src="/img/plain.webp" width="10" height="10">
{% set fallback = page.image or "../shared/fallback.jpg" %}
"""
    result = _scan(tmp_path, "templates/page.html.j2", text)
    assert _found(result, tmp_path) == [
        ("public/img/card.png", 3, "template"),
        ("public/img/filtered.png", 5, "template"),
        ("public/img/plain.webp", 6, "img"),
        ("shared/fallback.jpg", 7, "template"),
    ]
    assert result.references[2].attrs == {"width": "10", "height": "10"}
    assert _skips(result) == {"template": 1}


def test_html_with_template_syntax(tmp_path: Path) -> None:
    text = '{{ "/img/a.png" | relative_url }}\n<img src="{{ post.cover }}">\n'
    result = _scan(tmp_path, "_layouts/post.html", text)
    assert _found(result, tmp_path) == [("public/img/a.png", 1, "template")]
    assert _skips(result) == {"template": 1}


def test_unknown_suffix_uses_literal_fallback(tmp_path: Path) -> None:
    text = '{\n  "icons": [{"src": "/icons/192.png"}, {"src": "/manifest.json"}]\n}\n'
    result = _scan(tmp_path, "public/site.webmanifest", text)
    assert _found(result, tmp_path) == [("public/icons/192.png", 2, "literal")]


# --- scan_sources ----------------------------------------------------------------------------


def test_scan_sources_globs_dedupes_sorts_and_ignores_escapes(tmp_path: Path) -> None:
    (tmp_path / "public/b").mkdir(parents=True)
    (tmp_path / "content").mkdir()
    (tmp_path / "public/index.html").write_text('<img src="/img/1.png">')
    (tmp_path / "public/b/z.html").write_text('<img src="/img/2.png">')
    (tmp_path / "public/b/a.htm").write_text('<img src="/img/3.png">')
    (tmp_path / "content/x.md").write_text("![x](/img/4.png)")
    (tmp_path / "content/skip.txt").write_text('"/img/never.png"')
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "evil.html").write_text('<img src="/img/evil.png">')
    (tmp_path / "public/link").symlink_to(outside)
    patterns = [
        "public/**/*.html",
        "public/*.html",
        "public/b/[a-z].ht?",
        "content/**/*.md",
        "public/link/*.html",
        "../*/evil.html",
        str(outside / "*.html"),
        "",
    ]
    result = scan_sources(tmp_path, patterns, tmp_path / "public")
    pages = [r.page.relative_to(tmp_path).as_posix() for r in result.references]
    assert pages == ["content/x.md", "public/b/a.htm", "public/b/z.html", "public/index.html"]
    assert [r.target.name for r in result.references] == ["4.png", "3.png", "2.png", "1.png"]
    assert result.pages == 4


def test_scan_sources_relative_root_and_output_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public/index.html").write_text('<img src="/img/a.png">')
    monkeypatch.chdir(tmp_path)
    result = scan_sources(Path("."), ["public/*.html"], Path("public"))
    assert result.references[0].target == tmp_path / "public/img/a.png"
    assert result.references[0].page == tmp_path / "public/index.html"


def test_non_utf8_file_does_not_crash(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    (tmp_path / "public/latin1.html").write_bytes(
        b'<p>caf\xe9 \xff\xfe</p>\n<img src="/img/caf\xe9.png">\n<img src="/img/ok.png">\n'
    )
    result = scan_sources(tmp_path, ["public/*.html"], tmp_path / "public")
    assert result.pages == 1
    assert [(r.line, r.target.name) for r in result.references] == [
        (2, "caf\ufffd.png"),
        (3, "ok.png"),
    ]


def test_non_ascii_text_keeps_offsets(tmp_path: Path) -> None:
    # "İ" grows when lower-cased; the scan must not shift its offsets and lines
    text = "<p>İİİİ ÉCOLE</p>\n<IMG SRC='/img/ÉCOLE.png'>\n<img src=/img/b.png>\n"
    result = _scan(tmp_path, "public/index.html", text)
    assert [(r.raw, r.line) for r in result.references] == [
        ("/img/ÉCOLE.png", 2),
        ("/img/b.png", 3),
    ]


def test_find_pages_ignores_directories(tmp_path: Path) -> None:
    (tmp_path / "public/dir.html").mkdir(parents=True)
    (tmp_path / "public/page.html").write_text("")
    assert find_pages(tmp_path, ["public/*.html", "public/**"]) == [tmp_path / "public/page.html"]


def test_reference_is_hashable_and_suffixes_are_lowercase() -> None:
    ref = Reference(Path("/p.html"), 1, "/a.png", Path("/out/a.png"), "img", {"width": "1"})
    assert len({ref, ref}) == 1
    assert all(s == s.lower() and s.startswith(".") for s in IMAGE_SUFFIXES)


# --- performance (reported, not asserted) ----------------------------------------------------


def _synthetic_site(root: Path, pages: int = 500, refs_per_page: int = 10) -> None:
    filler = "<p>" + "Lorem ipsum dolor sit amet, <a href='/x'>consectetur</a>. " * 20 + "</p>\n"
    for p in range(pages):
        folder = root / "public" / f"section{p % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        body = []
        for i in range(refs_per_page):
            kind = i % 5
            if kind == 0:
                body.append(f'<img src="/img/{p}/{i}.webp" width="800" height="600" alt="x">')
            elif kind == 1:
                body.append(f'<img srcset="/img/{p}/{i}.png 1x, /img/{p}/{i}@2x.png 2x">')
            elif kind == 2:
                body.append(f"<div style=\"background:url('../img/{p}-{i}.jpg')\"></div>")
            elif kind == 3:
                body.append(f'<meta property="og:image" content="/img/{p}/og{i}.png">')
            else:
                body.append(f'<picture><source srcset="img/{i}.avif"></picture>')
            body.append(filler)
        head = '<!doctype html><html><head><link rel="stylesheet" href="/s.css"></head><body>\n'
        (folder / f"page{p}.html").write_text(head + "\n".join(body) + "</body></html>\n")


def test_synthetic_site_scan_time(tmp_path: Path) -> None:
    _synthetic_site(tmp_path)
    started = time.perf_counter()
    result = scan_sources(tmp_path, ["public/**/*.html"], tmp_path / "public")
    elapsed = time.perf_counter() - started
    print(f"\nscanned {result.pages} pages, {len(result.references)} references in {elapsed:.3f}s")
    assert result.pages == 500
    assert len(result.references) == 500 * 12  # srcset candidates count separately
    assert os.path.commonpath([r.target for r in result.references]) == str(tmp_path / "public")
