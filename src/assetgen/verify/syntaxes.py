"""The per-syntax scanners behind `references` (HTML, Markdown, MDX/JSX, CSS, templates).

Split from references.py, which keeps the public API, resolution rules and globbing;
the module docstring there lists what each scanner finds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from assetgen.verify.fields import CONFIG_SUFFIXES, scan_front_matter, scan_values
from assetgen.verify.model import ScanResult
from assetgen.verify.page import (
    QUOTED_IMG,
    SUFFIX_ALT,
    TEMPLATE,
    URL_FILTER,
    PageScan,
    Text,
    unescape_html,
    unescape_md,
)
from assetgen.verify.resolve import Resolver
from assetgen.verify.suffixes import (
    CSS_SUFFIXES,
    HTML_SUFFIXES,
    JSX_SUFFIXES,
    MARKDOWN_SUFFIXES,
    TEMPLATE_SUFFIXES,
)

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_SCRIPT_BODY = re.compile(r"<script\b[^>]*>(.*?)(?:</script\s*>|\Z)", re.S)
_STYLE_BODY = re.compile(r"<style\b[^>]*>(.*?)(?:</style\s*>|\Z)", re.S)
_TAG = re.compile(r"""<(img|source|meta|link)(?=[\s/>])((?:[^>"']++|"[^"]*+"|'[^']*+')*+)>""")
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_STYLE_ATTR = re.compile(r"""style\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_TEMPLATE_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_TEMPLATE_COMMENT = re.compile(  # Jinja/Nunjucks {# #}, Go {{/* */}}, Liquid comment tags
    r"\{#.*?(?:#\}|\Z)|\{\{-?\s*/\*.*?(?:\*/\s*-?\}\}|\Z)"
    r"|\{%-?\s*comment\s*-?%\}.*?(?:\{%-?\s*endcomment\s*-?%\}|\Z)", re.S)

_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_LINE_COMMENT = re.compile(r"""(?<![:(/"'\\])//[^\n]*""")
_CSS_URL = re.compile(
    r"""url\(\s*(?:(?P<d>["']?data:)|(?:"(?P<q>[^"\n]*)"|'(?P<s>[^'\n]*)'|(?P<u>[^)"'\n]*?))\s*\))"""
)

_FENCE = re.compile(r"[ \t>]*(`{3,}|~{3,})")  # indented too: lists, admonitions
_CODE_SPAN = re.compile(r"(`+)(?!`)((?:(?!\n[ \t]*\n)[^`]|`(?!\1))+?)(?<!`)\1(?!`)")
_MD_IMG = re.compile(
    r"""!\[(?P<alt>(?:[^\[\]\\]|\\.|\[(?:[^\[\]\\]|\\.)*\])*)\]
    (?:\(\s*(?:<(?P<angle>[^<>\n]*)>
              |(?P<dest>(?:[^\s(){}\\]|\\.|\((?:[^\s()\\]|\\.)*\)|\{\{[^\n]*?\}\}|\{%[^\n]*?%\}|\{)*))
        (?:\s+(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\((?:[^()\\]|\\.)*\)))?\s*\)
     |\[(?P<ref>(?:[^\[\]\\]|\\.)*)\])?""",
    re.X | re.S,
)
_MD_DEF = re.compile(
    r"^ {0,3}\[(?P<label>(?:[^\[\]\\]|\\.)+)\]:[ \t]*\n?[ \t]*"
    r"(?:<(?P<angle>[^<>\n]*)>|(?P<dest>\S+))",
    re.M,
)

_JS_LINE_COMMENT = re.compile(r"^[ \t]*//[^\n]*", re.M)
_JS_BLOCK_COMMENT = re.compile(r"^[ \t]*/\*.*?(?:\*/|\Z)|\{/\*.*?\*/\}", re.M | re.S)
_JSX_SRC = re.compile(
    r"""src(?P<set>set)?\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'
    |\{\s*(?:"(?P<edq>[^"]*)"|'(?P<esq>[^']*)'|`(?P<bt>[^`$]*)`)\s*\}
    |\{(?P<expr>[^{}]*(?:\{[^{}]*\}[^{}]*)*)\})""",
    re.X,
)
_JSX_TAG = re.compile(r"<([A-Za-z][\w.]*)")
_JSX_SIZE = re.compile(
    r"""(?<=\s)(width|height)\s*=\s*(?:"([^"]*)"|'([^']*)'|\{\s*["']?([\w.%]+)["']?\s*\})"""
)
_JS_TEMPLATE_LITERAL = re.compile(
    r"`(?P<v>[^`\s]*\$\{[^`\n]*\.(?:" + SUFFIX_ALT + r")(?:[?#][^`\s]*)?)`")
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
COMPONENT_SUFFIXES = frozenset({".astro", ".vue", ".svelte"})
_IMPORTS = (
    re.compile(r"""^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*(["'])(?P<v>[^"'\n]+)\1""", re.M),
    re.compile(r"""^[ \t]*import\s*(["'])(?P<v>[^"'\n]+)\1""", re.M),
    re.compile(r"""\b(?:require|import)\s*\(\s*(["'])(?P<v>[^"'\n]+)\1\s*\)"""),
)

_SRCSET_GAP = re.compile(r"[\s,]*")
_SRCSET_URL = re.compile(r"\S*")
_SRCSET_DESCRIPTORS = re.compile(r"(?:[^,(]|\([^)]*\))*")

_META_KEYS = frozenset({"og:image", "og:image:url", "og:image:secure_url", "twitter:image"})
_ICON_RELS = frozenset({"icon", "apple-touch-icon", "apple-touch-icon-precomposed", "mask-icon"})
_IMG_TAGS = frozenset({"img", "image", "picture", "source"})
_ATTR_GAP = frozenset(" \t\r\n\f\"'")


# --- syntaxes --------------------------------------------------------------------------------


def _srcset(pg: PageScan, value: str, offset: int, kind: str,
            attrs: Mapping[str, str] | None) -> None:
    """Each candidate URL of a srcset (HTML's parsing rules; descriptors dropped)."""
    if TEMPLATE.search(value):
        pg.add(offset, value, kind, image=True, attrs=attrs)
        return
    decoded = unescape_html(value)
    i, end = 0, len(decoded)
    while True:
        i = _SRCSET_GAP.match(decoded, i).end()  # type: ignore[union-attr]
        if i >= end:
            return
        j = _SRCSET_URL.match(decoded, i).end()  # type: ignore[union-attr]
        url = decoded[i:j]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            j = _SRCSET_DESCRIPTORS.match(decoded, j).end()  # type: ignore[union-attr]
        pg.add(offset + i, url, kind, image=True, attrs=attrs)
        i = j


def _css_value(value: str) -> str:
    value = unescape_html(value)  # url(&quot;/img/a.png&quot;) in a style attribute
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'" else value


def _css_urls(pg: PageScan, t: Text, start: int, end: int, kind: str) -> None:
    for m in _CSS_URL.finditer(t.low, start, end):
        before = t.low[m.start() - 1] if m.start() else " "
        if before.isalnum() or before in "-_":
            continue  # image-url(), myurl(): not CSS url()
        if m.start("d") >= 0:
            pg.skip(m.start("d"), "data")
            continue
        group = "q" if m.start("q") >= 0 else "s" if m.start("s") >= 0 else "u"
        pg.add(m.start(group), t.slice(m, group), kind, convert=_css_value)


def _mask_html(t: Text) -> Text:
    """Blank comments (HTML and template), script bodies and CSS comments in style blocks."""
    if "{#" in t.low or "/*" in t.low or "comment" in t.low:
        t = t.masked_by(_TEMPLATE_COMMENT)
    if "<!--" in t.low:
        t = t.masked_by(_HTML_COMMENT)
    if "<script" in t.low:
        t = t.masked([m.span(1) for m in _SCRIPT_BODY.finditer(t.low)])
    if "/*" in t.low and "<style" in t.low:
        blocks = [m.span(1) for m in _STYLE_BODY.finditer(t.low)]
        t = t.masked([c.span() for s, e in blocks for c in _CSS_COMMENT.finditer(t.low, s, e)])
    return t


def _scan_html(pg: PageScan, t: Text) -> None:
    """HTML syntaxes; ``t`` has the page's offsets (it may already be partly masked)."""
    t = _mask_html(t)
    text, low = t.text, t.low
    for tag in _TAG.finditer(low):
        name = tag.group(1)
        attrs: dict[str, tuple[str, int]] = {}
        for a in _ATTR.finditer(text, tag.start(2), tag.end(2)):
            group = 2 if a.start(2) >= 0 else 3 if a.start(3) >= 0 else 4
            attrs.setdefault(a.group(1).lower(), (a.group(group) or "", a.start(group)))
        if name == "img":
            size: dict[str, str] | None = {
                k: attrs[k][0] for k in ("width", "height") if k in attrs} or None
            if "src" in attrs:
                value, offset = attrs["src"]
                pg.add(offset, value, "img", image=True, attrs=size, convert=unescape_html)
            if "srcset" in attrs:
                _srcset(pg, attrs["srcset"][0], attrs["srcset"][1], "srcset", size)
        elif name == "source":
            if "srcset" in attrs:
                _srcset(pg, attrs["srcset"][0], attrs["srcset"][1], "srcset", None)
        elif name == "meta":
            key = (attrs.get("property") or attrs.get("name") or ("", 0))[0].strip().lower()
            if key in _META_KEYS and "content" in attrs:
                value, offset = attrs["content"]
                pg.add(offset, value, "meta", image=True, convert=unescape_html)
        else:
            rel = set(attrs.get("rel", ("", 0))[0].lower().split())
            preload = "preload" in rel and attrs.get("as", ("", 0))[0].strip().lower() == "image"
            if "href" in attrs and (preload or rel & _ICON_RELS):
                value, offset = attrs["href"]
                pg.add(offset, value, "link", image=preload, convert=unescape_html)
            if preload and "imagesrcset" in attrs:
                _srcset(pg, attrs["imagesrcset"][0], attrs["imagesrcset"][1], "link", None)
    if "url(" in low:
        for m in _STYLE_ATTR.finditer(low):
            pos = m.start()
            if (
                pos
                and low[pos - 1] in _ATTR_GAP
                and low.rfind("<", 0, pos) > low.rfind(">", 0, pos)
            ):
                group = next(g for g in (1, 2, 3) if m.start(g) >= 0)
                _css_urls(pg, t, m.start(group), m.end(group), "style")
        if "<style" in low:
            for m in _STYLE_BODY.finditer(low):
                _css_urls(pg, t, m.start(1), m.end(1), "css-url")
    if "{{" in text or "{%" in text:
        _template_blocks(pg, t)


def _literals(pg: PageScan, t: Text, kind: str, start: int = 0, end: int | None = None) -> None:
    """Quoted strings that end with an image suffix (whitespace-free)."""
    for m in QUOTED_IMG.finditer(t.low, start, len(t.low) if end is None else end):
        line_end = t.low.find("\n", m.end())
        site = "|" in t.low[m.end() : line_end] and bool(URL_FILTER.search(t.low, m.end(),
                                                                          line_end))
        pg.add(m.start("v"), t.slice(m, "v"), kind, site=site)


def _template_blocks(pg: PageScan, t: Text) -> None:
    """Quoted image literals inside ``{{ ... }}`` and ``{% ... %}`` blocks."""
    if "{#" in t.text or "/*" in t.text or "comment" in t.low:
        t = t.masked_by(_TEMPLATE_COMMENT)
    for block in _TEMPLATE_BLOCK.finditer(t.text):
        for m in QUOTED_IMG.finditer(t.low, block.start(), block.end()):
            before = t.low[block.start() : m.start()]
            pg.add(m.start("v"), t.slice(m, "v"), "template",
                   site=bool(URL_FILTER.search(t.low, m.end(), block.end())),
                   resource="resources.get" in before and ".resources.get" not in before)


def _mask_markdown(text: str) -> Text:
    """Blank fenced code blocks, code spans and HTML comments (offsets kept)."""
    if "```" in text or "~~~" in text:
        lines = text.split("\n")
        fence = ""
        for i, line in enumerate(lines):
            m = _FENCE.match(line)
            marker, rest = (m.group(1), line[m.end() :]) if m else ("", "")
            if fence:
                if marker[:1] == fence[0] and len(marker) >= len(fence) and not rest.strip():
                    fence = ""
                lines[i] = " " * len(line)
            elif marker and not (marker[0] == "`" and "`" in rest):
                fence = marker
                lines[i] = " " * len(line)
        text = "\n".join(lines)
    t = Text(text)
    if "`" in text:
        t = t.masked_by(_CODE_SPAN)
    return t.masked_by(_HTML_COMMENT) if "<!--" in text else t


def _md_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _scan_markdown(pg: PageScan, t: Text, *, with_html: bool) -> Text:
    """Markdown images (and raw HTML if ``with_html``); returns the masked text."""
    t = _mask_markdown(scan_front_matter(pg, t).text)
    text = t.text
    definitions: dict[str, str] = {}
    if "]:" in text:
        for m in _MD_DEF.finditer(text):
            dest = m.group("angle") if m.start("angle") >= 0 else m.group("dest")
            definitions.setdefault(_md_label(m.group("label")), dest)
    if "![" in text:
        for m in _MD_IMG.finditer(text):
            group = "angle" if m.start("angle") >= 0 else "dest" if m.start("dest") >= 0 else ""
            if group:
                pg.add(m.start(group), m.group(group), "md", image=True, convert=unescape_md)
                continue
            dest = definitions.get(_md_label(m.group("ref") or m.group("alt")))
            if dest is not None:
                pg.add(m.start(), dest, "md-ref", image=True, convert=unescape_md)
    if with_html:
        _scan_html(pg, t)
    elif "{{" in text or "{%" in text:
        _template_blocks(pg, t)
    return t


def _jsx_tag(text: str, pos: int) -> tuple[str, dict[str, str] | None]:
    """The name and width/height of the JSX element whose attribute starts at ``pos``."""
    lt = text.rfind("<", 0, pos)
    m = _JSX_TAG.match(text, lt) if lt >= 0 else None
    if m is None:
        return "", None
    gt = text.find(">", pos)
    size = {
        s.group(1): next(g for g in s.groups()[1:] if g is not None)
        for s in _JSX_SIZE.finditer(text, lt, gt if gt >= 0 else len(text))
    }
    return m.group(1).rsplit(".", 1)[-1].lower(), size or None


def _scan_jsx(pg: PageScan, t: Text) -> None:
    t = t.masked_by(_JS_LINE_COMMENT).masked_by(_JS_BLOCK_COMMENT)
    text, low = t.text, t.low
    for m in _JSX_SRC.finditer(low):
        if not m.start() or low[m.start() - 1] not in _ATTR_GAP:
            continue
        kind = "srcset" if m.start("set") >= 0 else "jsx-src"
        name, size = _jsx_tag(text, m.start())
        image = kind == "srcset" or name in _IMG_TAGS or name.endswith(("image", "img"))
        group = next((g for g in ("dq", "sq", "edq", "esq", "bt") if m.start(g) >= 0), "")
        if group and kind == "srcset":
            _srcset(pg, t.slice(m, group), m.start(group), kind, size)
        elif group:
            pg.add(m.start(group), t.slice(m, group), kind, image=image, attrs=size)
        elif (
            "require(" not in low[m.start() : m.end()] and "import(" not in low[m.start() : m.end()]
        ):
            literals = list(QUOTED_IMG.finditer(low, m.start("expr"), m.end("expr")))
            for lit in literals:  # src={dark ? "/a.png" : "/b.png"}
                pg.add(lit.start("v"), t.slice(lit, "v"), kind, image=True, attrs=size)
            if not literals:
                pg.skip(m.start("expr"), "template")
    for regex in _IMPORTS:
        for m in regex.finditer(text):
            pg.add(m.start("v"), m.group("v"), "import", bare_is_package=True)
    _literals(pg, t, "js-literal")  # data objects, config fields: {imageUrl: 'img/a.svg'}
    if "${" in text:
        for m in _JS_TEMPLATE_LITERAL.finditer(text):
            pg.add(m.start("v"), m.group("v"), "js-literal")
    if "url(" in low:
        _css_urls(pg, t, 0, len(low), "css-url")


def _scan_css(pg: PageScan, t: Text, suffix: str) -> None:
    t = t.masked_by(_CSS_COMMENT)
    if "@font-face" in t.low:  # an SVG web font is not an image
        t = t.masked_by(_FONT_FACE)
    if suffix != ".css":
        t = t.masked_by(_LINE_COMMENT)
    _css_urls(pg, t, 0, len(t.low), "css-url")


def scan_text(page: str, text: str, resolver: Resolver | str,
              paths: dict[str, Path]) -> ScanResult:
    """Scan one page's text with the scanner its suffix picks (see references' docstring);
    a plain ``output_dir`` string stands for a site without a generator."""
    if isinstance(resolver, str):
        resolver = Resolver(os.path.dirname(resolver), resolver)
    pg = PageScan(page, text, resolver, paths)
    t = Text(text)
    suffix = os.path.splitext(page)[1].lower()
    if suffix in HTML_SUFFIXES:
        _scan_html(pg, scan_front_matter(pg, t))
    elif suffix in MARKDOWN_SUFFIXES:
        _scan_markdown(pg, t, with_html=True)
    elif suffix in COMPONENT_SUFFIXES:  # an .astro page's `---` block is code, not YAML
        _scan_jsx(pg, t)
        _scan_html(pg, t)
    elif suffix in CONFIG_SUFFIXES:
        scan_values(pg, t, 0, len(t.text), "config")
    elif suffix == ".mdx":
        _scan_jsx(pg, _scan_markdown(pg, t, with_html=False))
    elif suffix in JSX_SUFFIXES:
        _scan_jsx(pg, t)
    elif suffix in CSS_SUFFIXES:
        _scan_css(pg, t, suffix)
    elif suffix in TEMPLATE_SUFFIXES:
        t = scan_front_matter(pg, t.masked_by(_TEMPLATE_COMMENT))
        _scan_html(pg, t)
        _literals(pg, _mask_html(t), "template")
    else:
        _literals(pg, t, "literal")
    return pg.result()
