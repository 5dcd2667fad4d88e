"""Image paths held in structured values (SPEC 7): Markdown front matter (YAML `---`, TOML
`+++`, JSON `{`) and site config / data files (`_config.yml`, `mkdocs.yml`, `hugo.toml`,
`params.toml`, `data/*.yaml`, ...).

Values are found line by line, not by parsing: a value quoted or bare, after `key:`, `key =`,
`- ` or inside `[...]`, nested at any depth, that ends with an image suffix. Comment lines
(`#`) and trailing comments are not values. Such paths are named from the site root as often
as from the page, so they resolve with the generator's candidates (``Resolver.relative``).
"""

from __future__ import annotations

import re

from assetgen.verify.page import SUFFIX_ALT, PageScan, Text

_ENDING = r"\.(?:" + SUFFIX_ALT + r")"
_VALUE = re.compile(
    r"""(?:(?<=[\s:=\[,(])|^)(?:"(?P<dq>[^"\n]*?""" + _ENDING + r""")"|'(?P<sq>[^'\n]*?"""
    + _ENDING + r""")'|(?P<bare>[^\s"',\[\]{}()#|]+""" + _ENDING + r"""))(?=[\s,\]})]|$)""",
    re.M,
)
_OUTPUT_URL = re.compile(r"^[ \t]*\"?permalink\"?[ \t]*[:=][^\n]*", re.M)  # where the page goes
# A permalink that is a plain URL (not `/:categories/:title/` or a template): top level only.
_PERMALINK = re.compile(r"""^"?permalink"?[ \t]*[:=][ \t]*["']?(/[^\s"':{}%#]*)["']?[ \t]*,?$""",
                        re.M)
_COMMENT_LINE = re.compile(r"^[ \t]*(?:#|//)[^\n]*", re.M)
_TRAILING_COMMENT = re.compile(r"[ \t]#[^\n]*")
_FRONT = re.compile(r"\A(?:\ufeff)?(---|\+\+\+)[ \t]*\n(.*?)^\1[ \t]*$", re.S | re.M)
_JSON_FRONT = re.compile(r"\A\{\n.*?^\}[ \t]*$", re.S | re.M)
CONFIG_SUFFIXES = frozenset({".yml", ".yaml", ".toml"})


def front_matter_span(text: str) -> tuple[int, int] | None:
    """Where a page's front matter block is (the delimiters included), if it has one."""
    m = _FRONT.match(text) or _JSON_FRONT.match(text)
    return m.span() if m else None


def scan_values(pg: PageScan, t: Text, start: int, end: int, kind: str) -> None:
    """Every image-path value between ``start`` and ``end`` of ``t``."""
    t = t.masked([m.span() for m in _COMMENT_LINE.finditer(t.text, start, end)])
    t = t.masked([m.span() for m in _TRAILING_COMMENT.finditer(t.text, start, end)
                  if t.text.count('"', t.text.rfind("\n", 0, m.start()) + 1, m.start()) % 2 == 0
                  and t.text.count("'", t.text.rfind("\n", 0, m.start()) + 1, m.start()) % 2
                  == 0])
    if kind == "front-matter" and "permalink" in t.text[start:end]:
        t = t.masked([m.span() for m in _OUTPUT_URL.finditer(t.text, start, end)])
    for m in _VALUE.finditer(t.text, start, end):
        group = "dq" if m.start("dq") >= 0 else "sq" if m.start("sq") >= 0 else "bare"
        pg.add(m.start(group), t.slice(m, group), kind)


def scan_front_matter(pg: PageScan, t: Text) -> Text:
    """The front matter's image values; returns the text with the block blanked out."""
    span = front_matter_span(t.text)
    if span is None:
        return t
    permalink = _PERMALINK.search(t.text, span[0], span[1])
    if permalink is not None:
        pg.page_url = permalink.group(1)
    scan_values(pg, t, span[0], span[1], "front-matter")
    return t.masked([span])
