"""The one small interface every generator module fills in (data, no behaviour)."""

from __future__ import annotations

from typing import NamedTuple


class Generator(NamedTuple):
    name: str
    # Files whose presence marks a site folder (globs, relative to the folder).
    config_files: tuple[str, ...] = ()
    # package.json dependencies that identify the generator (for `init`).
    packages: tuple[str, ...] = ()
    # Folders served at the site's URL root: `/img/a.png` is `<folder>/img/a.png`.
    served: tuple[str, ...] = ()
    # Folders whose images the generator bundles or processes (Hugo `assets/`, Astro
    # `src/assets/`): named by a resource lookup, an import or a config field, not by URL.
    bundled: tuple[str, ...] = ()
    # What `init` writes as output_dir and sources.
    output_dir: str = "public"
    default_sources: tuple[str, ...] = ()
    # `foo.md` is served at `foo/`: a relative path in it resolves against that URL.
    directory_urls: bool = False
    # A page's `permalink:` front matter is its URL: relative paths resolve against it.
    permalinks: bool = False
    # Import prefixes resolved to a folder (beside tsconfig/jsconfig `paths`).
    aliases: tuple[tuple[str, str], ...] = ()
    # Template filters whose argument is a site-relative URL.
    url_filters: tuple[str, ...] = ()
