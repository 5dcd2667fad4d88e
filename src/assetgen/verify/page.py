"""One page being scanned: its text (and lower-cased twin), and the references it collects.

``PageScan.add`` turns a value as written into a reference, a skip reason or an `unresolved`
reference (SPEC 7): a leading template expression before `/` (`{{ site.baseurl }}/x.png`,
`${basePath}/x.png`) is the site's base URL and is dropped; quoted literals inside a template
expression count (site-relative behind a URL filter such as `relative_url` or `relURL`); a
value that still holds template code but names an image (`/img/{{ name }}.png`,
`printf "icons/%s.svg"`) is `unresolved`; a pure expression (`{{ .Params.image }}`) is skipped
as `template`.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote

from assetgen.verify.model import Reference, ScanResult
from assetgen.verify.report import no_skips
from assetgen.verify.resolve import Resolver
from assetgen.verify.suffixes import IMAGE_SUFFIXES

SUFFIX_ALT = "|".join(sorted((s[1:] for s in IMAGE_SUFFIXES), key=len, reverse=True))
QUOTED_IMG = re.compile(
    r"""(["'`])(?P<v>[^"'`\s<>{}()|]*?\.(?:""" + SUFFIX_ALT + r""")(?:[?#][^"'`\s<>]*)?)\1"""
)
# Template code, or a string concatenation (`'<img src="' + url + '/a.png">'`).
TEMPLATE = re.compile(r"\{\{|\{%|\{#|\$\{|#\{|@\{|<%|<\?|['\"]\s*\+")
_TEMPLATE_PREFIX = re.compile(r"(?:\{\{[^{}]*\}\}|\{%[^{}]*%\}|\$\{[^{}]*\}|\s)+(?=/)")
_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|[$#@]\{[^}]*\}")
_PATTERN = re.compile(r"%[sdv]|\*")
URL_FILTER = re.compile(r"\|\s*(relurl|absurl|rellangurl|abslangurl|relative_url|absolute_url"
                         r"|url|asset_url|img_url)\b")
_PATH_BUILDER = re.compile(r"\b(?:printf|getmatch|match|glob)\b")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_NOT_NEWLINE = re.compile(r"[^\n]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
UNRESOLVED = "unresolved"


def spaces(text: str) -> str:
    """``text`` as spaces, keeping its newlines, so offsets and line numbers stay valid."""
    if "\n" not in text:
        return " " * len(text)
    return _NOT_NEWLINE.sub(lambda m: " " * len(m.group()), text)


class Text:
    """A page's text and its lower-cased twin with the same offsets."""

    __slots__ = ("low", "text")

    def __init__(self, text: str) -> None:
        low = text.lower()
        if len(low) != len(text):  # "İ" is the one character that grows when lower-cased
            low = text.replace("\u0130", "i").lower()
            if len(low) != len(text):
                low = text.translate(_ASCII_LOWER)
        self.text, self.low = text, low

    def masked(self, spans: Iterable[tuple[int, int]]) -> Text:
        """A copy with the (sorted, disjoint) spans blanked out."""
        pieces: list[str] = []
        last = 0
        for start, end in spans:
            if start < last:
                continue
            pieces += (self.text[last:start], spaces(self.text[start:end]))
            last = end
        if not pieces:
            return self
        pieces.append(self.text[last:])
        return Text("".join(pieces))

    def masked_by(self, regex: re.Pattern[str]) -> Text:
        """A copy with the matches of a case-free ``regex`` blanked out."""
        return self.masked([m.span() for m in regex.finditer(self.low)])

    def slice(self, m: re.Match[str], group: int | str) -> str:
        return self.text[m.start(group) : m.end(group)]


def has_image_suffix(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in IMAGE_SUFFIXES


def unescape_html(value: str) -> str:
    return html.unescape(value) if "&" in value else value


def unescape_md(value: str) -> str:
    return _MD_ESCAPE.sub(r"\1", value) if "\\" in value else value


class PageScan:
    """Collects the references of one page; each source offset is reported at most once."""

    def __init__(self, page: str, text: str, resolver: Resolver,
                 paths: dict[str, Path]) -> None:
        self.page = Path(page)
        self.page_path = page
        self.text = text
        self.resolver = resolver
        self.paths = paths  # target path objects, shared across pages
        self.found: list[tuple[int, Reference]] = []
        self.skipped = no_skips()
        self.seen: set[int] = set()
        self._cursor = (0, 1)  # (offset, its line): lines are counted from the last lookup
        self.page_url: str | None = None  # its front matter's `permalink:`, if a plain URL

    def line(self, offset: int) -> int:
        last, line = self._cursor
        if offset >= last:
            line += self.text.count("\n", last, offset)
        else:
            line -= self.text.count("\n", offset, last)
        self._cursor = (offset, line)
        return line

    def skip(self, offset: int, reason: str) -> None:
        if offset not in self.seen:
            self.seen.add(offset)
            self.skipped[reason] += 1

    def add(self, offset: int, raw: str, kind: str, *, image: bool = False,
            attrs: Mapping[str, str] | None = None, convert: Callable[[str], str] | None = None,
            bare_is_package: bool = False, site: bool = False, resource: bool = False) -> None:
        """``site``: the value is site-relative even without a slash (behind a URL filter);
        ``resource``: a generator's resource lookup (Hugo `resources.Get`)."""
        stripped = raw.strip()
        if not stripped:
            return
        offset += len(raw) - len(raw.lstrip())
        if offset in self.seen:
            return
        self.seen.add(offset)
        value = convert(stripped).strip() if convert else stripped
        if not value:
            return
        if value[:5].lower() != "data:" and (value.startswith("//") or _SCHEME.match(value)):
            self.skipped["external"] += 1  # `https://${host}/logo.png` too
            return
        if TEMPLATE.search(value):
            prefix = _TEMPLATE_PREFIX.match(value)
            if prefix is not None:  # {{ site.baseurl }}/img/a.png: the base URL, then a path
                value = value[prefix.end():]
        if TEMPLATE.search(value) or value[0] in "{$":
            inner = Text(stripped)
            literals = list(QUOTED_IMG.finditer(inner.low))
            for m in literals:  # {{ "/img/a.png" | relative_url }}: the literal counts
                self.add(offset + m.start("v"), inner.slice(m, "v"), "template",
                         site=bool(URL_FILTER.search(inner.low, m.end())))
            if not literals:
                self._dynamic(offset, stripped, value)
            return
        if _PATTERN.search(value):
            self._dynamic(offset, stripped, value)
            return
        self._resolved(offset, stripped, value, kind, image=image, attrs=attrs,
                       bare_is_package=bare_is_package, site=site, resource=resource)

    def _dynamic(self, offset: int, stripped: str, value: str) -> None:
        """Template code left in the value: `unresolved` when it names an image, else skipped."""
        path = value.split("?", 1)[0].rstrip("\"' )}")
        start = self.text.rfind("\n", 0, offset) + 1
        built = _PATH_BUILDER.search(self.text[start:offset].lower())
        named = "/" in _EXPRESSION.sub("", path)  # `/img/${name}.png`, not `${key}.png`
        if has_image_suffix(path) and (built or (TEMPLATE.search(value) and named)):
            self._reference(offset, stripped, self.page_path, UNRESOLVED, None)
        else:
            self.skipped["template"] += 1

    def _resolved(self, offset: int, stripped: str, value: str, kind: str, *, image: bool,
                  attrs: Mapping[str, str] | None, bare_is_package: bool, site: bool,
                  resource: bool) -> None:
        if value[:5].lower() == "data:":
            self.skipped["data"] += 1
            return
        if value.startswith("//") or _SCHEME.match(value):
            self.skipped["external"] += 1
            return
        path = value.split("#", 1)[0].split("?", 1)[0]
        if not path:
            return  # a fragment on the page itself
        path = unquote(path)
        if not image and not has_image_suffix(path):
            self.skipped["not-image"] += 1
            return
        resolver = self.resolver
        target = resolver.alias(path)
        if target is None:
            if site and not path.startswith("/"):
                path = "/" + path.removeprefix("./")
            if path.startswith("/"):
                target = resolver.site_path(path)
            elif bare_is_package and not path.startswith(("./", "../")):
                target = resolver.bare_import(path)
                if target is None:
                    self.skipped["package"] += 1
                    return
            else:
                target = resolver.relative(path, self.page_path, resource=resource,
                                           page_url=self.page_url)
        self._reference(offset, stripped, target, kind, attrs)

    def _reference(self, offset: int, raw: str, target: str, kind: str,
                   attrs: Mapping[str, str] | None) -> None:
        path = self.paths.get(target)
        if path is None:
            path = self.paths[target] = Path(target)
        self.found.append((offset, Reference(self.page, self.line(offset), raw, path, kind,
                                             attrs)))

    def result(self) -> ScanResult:
        self.found.sort(key=lambda item: item[0])
        return ScanResult([ref for _, ref in self.found], self.skipped, 1)
