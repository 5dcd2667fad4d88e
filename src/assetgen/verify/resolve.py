"""Where a reference's path points, per generator (SPEC 7): roots, aliases, page URLs.

``Resolver.plain`` is today's rule for a site without a generator: `/x` is `output_dir/x`,
anything else is relative to the page's folder. With a generator a path gets candidates, in
order, and the first that exists wins (none: the first is reported as broken):

- `/x`: each served root (output_dir, the profile's `static/`, `public/`, ... in every site
  folder, the manifest's `roots:`), then each bundled root;
- relative: the page's `permalink:` URL (Jekyll, Eleventy) in each served root, the page's
  folder, the folder of the page's rendered URL (`foo.md` served at `foo/` under directory
  URLs), then the served and the bundled roots (config fields, front
  matter and data objects name paths from the site root);
- a resource lookup (Hugo `resources.Get`): the bundled roots first;
- an alias (tsconfig/jsconfig `paths`, `@site/`): the folder it names; a bare import
  resolves against tsconfig `baseUrl`, else it is a package.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from assetgen.manifest import Manifest
from assetgen.manifest.generators import PLAIN, Generator, profile

_SKIP_DIRS = frozenset({"node_modules", ".git", ".assetgen", "dist", "build", "_site", "site",
                        "public", "resources", "vendor"})
_JSON_NOISE = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
_INDEX_NAMES = frozenset({"index", "_index", "readme"})
_PAGE_SUFFIXES = frozenset({".md", ".markdown", ".mdx", ".html", ".htm", ".njk", ".liquid"})
_MAX_CONFIG_BYTES = 1024 * 1024


class Resolver:
    """Turns a reference's path into the file it names (absolute, normalised)."""

    def __init__(self, root: str, output_dir: str, generator: Generator = PLAIN,
                 extra_roots: Sequence[str] = ()) -> None:
        self.root = root
        self.output_dir = output_dir
        self.generator = generator
        self.plain = generator is PLAIN and not extra_roots
        self._isfile: dict[str, bool] = {}
        self._site_paths: dict[str, str] = {}
        sites = [root] if self.plain else site_folders(root, generator)
        self.served = _existing([output_dir, *extra_roots,
                                 *(os.path.join(s, f) for s in sites for f in generator.served)])
        self.bundled = _existing([os.path.join(s, f) for s in sites for f in generator.bundled])
        self.aliases: list[tuple[str, str]] = []
        self.base_urls: list[str] = []
        if not self.plain:
            for site in sites:
                self.aliases += [(prefix, os.path.join(site, folder))
                                 for prefix, folder in generator.aliases]
                self._read_tsconfig(site)
            self.aliases.sort(key=lambda item: len(item[0]), reverse=True)
        self.roots = tuple(dict.fromkeys([*self.served, *self.bundled]))

    # -- the rules -------------------------------------------------------------------------

    def site_path(self, path: str) -> str:
        """`/x`: below the served roots (then the bundled ones)."""
        found = self._site_paths.get(path)
        if found is None:
            rel = posixpath.normpath(path).lstrip("/")
            found = os.path.normpath(os.path.join(self.output_dir, rel)) if self.plain \
                else self._first(os.path.join(r, rel) for r in self.roots)
            self._site_paths[path] = found
        return found

    def relative(self, path: str, page: str, *, resource: bool = False,
                 page_url: str | None = None) -> str:
        """``page_url``: the page's `permalink:` (when the generator honours it), the URL
        the browser resolves ``path`` against, so its candidates come first."""
        page_dir = os.path.dirname(page)
        if self.plain:
            return os.path.normpath(os.path.join(page_dir, path))
        candidates = [os.path.join(page_dir, path)]
        if page_url is not None and self.generator.permalinks:
            base = page_url if page_url.endswith("/") else posixpath.dirname(page_url) + "/"
            url = posixpath.normpath(posixpath.join(base, path))
            if url.startswith("/") and not url.startswith("//"):
                candidates[:0] = [os.path.join(r, url.lstrip("/")) for r in self.served]
        if self.generator.directory_urls:
            stem, suffix = os.path.splitext(os.path.basename(page))
            if suffix.lower() in _PAGE_SUFFIXES and stem.lower() not in _INDEX_NAMES:
                candidates.append(os.path.join(page_dir, stem, path))
        if not path.startswith(("./", "../")):
            rel = posixpath.normpath(path)
            if not rel.startswith(".."):
                if resource:
                    candidates[:0] = [os.path.join(r, rel) for r in self.bundled]
                candidates += [os.path.join(r, rel) for r in self.roots]
        return self._first(candidates)

    def alias(self, path: str) -> str | None:
        """The file an aliased path (`~/assets/x.png`, `@site/static/x.png`) names, if any."""
        matches = [os.path.join(folder, path[len(prefix):])
                   for prefix, folder in self.aliases if path.startswith(prefix)]
        return self._first(matches) if matches else None

    def bare_import(self, path: str) -> str | None:
        """A bare import through tsconfig `baseUrl`, or None (a package)."""
        found = [os.path.join(base, path) for base in self.base_urls]
        existing = [c for c in found if self.isfile(os.path.normpath(c))]
        return os.path.normpath(existing[0]) if existing else None

    # -- helpers ---------------------------------------------------------------------------

    def isfile(self, path: str) -> bool:
        found = self._isfile.get(path)
        if found is None:
            found = self._isfile[path] = os.path.isfile(path)
        return found

    def _first(self, candidates: Iterable[str]) -> str:
        first = ""
        for candidate in candidates:
            normal = os.path.normpath(candidate)
            if self.isfile(normal):
                return normal
            first = first or normal
        return first

    def _read_tsconfig(self, site: str) -> None:
        for name in ("tsconfig.json", "jsconfig.json"):
            options = _compiler_options(os.path.join(site, name))
            if not options:
                continue
            base = options.get("baseUrl")
            base_dir = os.path.normpath(os.path.join(site, base)) if isinstance(base, str) \
                else site
            if isinstance(base, str):
                self.base_urls.append(base_dir)
            paths = options.get("paths")
            if not isinstance(paths, dict):
                continue
            for pattern, targets in paths.items():
                if not (isinstance(pattern, str) and pattern.endswith("/*")
                        and isinstance(targets, list) and targets
                        and isinstance(targets[0], str) and targets[0].endswith("*")):
                    continue
                self.aliases.append((pattern[:-1], os.path.join(base_dir, targets[0][:-1])))


def site_folders(root: str, generator: Generator) -> list[str]:
    """The folders up to two levels below ``root`` holding the generator's config (a theme
    repository keeps its demo site in `exampleSite/` or `demo/`), then ``root``."""
    found = []
    level = [root]
    for _depth in range(2):
        following = []
        for folder in level:
            try:
                entries = [e for e in os.scandir(folder) if e.is_dir(follow_symlinks=False)]
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or entry.name in _SKIP_DIRS:
                    continue
                following.append(entry.path)
                if any(os.path.isfile(os.path.join(entry.path, c))
                       for c in generator.config_files):
                    found.append(entry.path)
        level = following
    return [*found, root]


def _existing(folders: Iterable[str]) -> list[str]:
    return [f for f in dict.fromkeys(os.path.normpath(f) for f in folders) if os.path.isdir(f)]


def _compiler_options(path: str) -> dict[str, object] | None:
    """tsconfig's `compilerOptions` (JSON with comments and trailing commas), or None."""
    try:
        if os.path.getsize(path) > _MAX_CONFIG_BYTES:
            return None
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    text = _JSON_NOISE.sub(lambda m: m.group(1) or "", text)
    try:
        document = json.loads(_TRAILING_COMMA.sub(r"\1", text))
    except ValueError:
        return None
    options = document.get("compilerOptions") if isinstance(document, dict) else None
    return options if isinstance(options, dict) else None


def resolver_for(manifest: Manifest) -> Resolver:
    """The resolver of ``manifest``'s site: its generator's roots and rules."""
    return Resolver(os.fspath(manifest.root), os.fspath(manifest.output_dir),
                    profile(manifest.generator), [os.fspath(r) for r in manifest.roots])
