"""Site generator profiles (SPEC.md 7): where a generator's images live and how it names them.

One module per generator, each exposing ``PROFILE``; ``plain`` is the behaviour of a site
without a generator (one root, ``output_dir``, served at ``/``). A profile is data only: the
verify layer turns it into path resolution (``verify/resolve.py``), ``init`` into detection.
Folders are relative to a *site folder*: the manifest's folder, or a folder below it that
holds one of the generator's config files (a theme repository's ``exampleSite/``).
"""

from __future__ import annotations

from typing import NamedTuple

from assetgen.manifest.generators import (
    astro,
    docusaurus,
    eleventy,
    hugo,
    jekyll,
    mkdocs,
    nextjs,
)
from assetgen.manifest.generators.profile import Generator

PLAIN = Generator(name="plain")
GENERATORS: dict[str, Generator] = {
    g.name: g for g in (PLAIN, hugo.PROFILE, astro.PROFILE, jekyll.PROFILE, mkdocs.PROFILE,
                        docusaurus.PROFILE, nextjs.PROFILE, eleventy.PROFILE)
}
NAMES: tuple[str, ...] = tuple(GENERATORS)


class Detection(NamedTuple):
    generator: Generator
    why: str  # the file or dependency that gave it away


def profile(name: str) -> Generator:
    """The profile called ``name`` (the loader has checked it); unknown names are plain."""
    return GENERATORS.get(name, PLAIN)


__all__ = ["GENERATORS", "NAMES", "PLAIN", "Detection", "Generator", "profile"]
