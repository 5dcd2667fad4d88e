"""`assetgen verify [FILE...]`: the pre-commit hook and CI check of lineage (SPEC.md 2.3, 3).

Paths in messages are relative to the directory verify runs in (the shell's, or `-C DIR`):
pre-commit runs hooks from the repository root, so `example-site/public/img/hero.webp:` is
a path a terminal or editor can open from where the user is, even when the manifest lives
in a subfolder. FILE arguments are relative to the same directory.

Which manifest: `--manifest` if given; otherwise, with FILE arguments, each file's nearest
`assetgen.yaml` upwards (so one hook serves a repository whose site is in a subfolder, or
several sites), and files that belong to no site are ignored; with no FILE arguments, the
nearest `assetgen.yaml` upwards from the working directory.

Exit codes: 0 when no finding is an error, 1 when one is, 2 for a manifest or usage error.

Two steps, so that a hook run on a commit of unrelated files stays fast: `choose` (this
module) takes each site's manifest from the manifest cache and asks
`verify.scope.may_concern` whether the given files can matter to it; a manifest the cache
does not answer is parsed by `parsed` with the loader the caller passes in (the CLI imports
it only then); only when a file can matter does `commands.lineage.run` import the checker
and scan the site's pages. A site the files cannot concern gets `untouched_report`: the same
"nothing in the given files concerns this site", with no page scanned (`pages: 0`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from assetgen.core.paths import display_relative_to
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from assetgen.manifest import Manifest
from assetgen.manifest.cache import cache_file_for, lookup
from assetgen.manifest.locate import find_manifest, nearest_manifest
from assetgen.verify.report import STATES, Finding, LineageReport, no_skips
from assetgen.verify.scope import may_concern


@dataclass
class SiteReport:
    """One site's lineage check."""

    manifest: Manifest
    report: LineageReport


@dataclass
class VerifyResult:
    """`assetgen verify`'s answer over every site it checked, and its exit code."""

    sites: list[SiteReport]  # none when no FILE argument belongs to a site
    findings: list[Finding]  # of every site: errors first, then by path and line
    strict: bool
    cwd: Path  # paths are shown relative to it
    exit_code: int

    def show(self, path: Path) -> str:
        return display_relative_to(path, self.cwd)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


class SiteToVerify(NamedTuple):  # named tuples: every hook run builds these classes
    file: Path  # the site's assetgen.yaml
    files: list[Path] | None  # the FILE arguments of this site; None: the whole site
    manifest: Manifest | None  # as the manifest cache answered; None: `parsed` loads it
    concerned: bool  # False: nothing in ``files`` can matter to this site (no check needed)
    cache_key: dict[str, Any] | None = None  # what a fresh load is cached under (`parsed`)


class VerifyChoice(NamedTuple):
    """The sites a `verify` run covers, as `choose` found them."""

    sites: list[SiteToVerify]
    cwd: Path

    @property
    def needs_check(self) -> bool:
        return any(site.concerned for site in self.sites)

    @property
    def unparsed(self) -> bool:
        """Whether some manifest must be parsed (`parsed`) before anything can be said."""
        return any(site.manifest is None for site in self.sites)


# `manifest.load.load_and_cache`'s shape: (manifest file, cache file or None, the key
# `manifest.cache.lookup` gave or None).
LoadOnMiss = Callable[[Path, Path | None, dict[str, Any] | None], Manifest]


def choose(manifest_path: Path | None, cwd: Path, files: list[str], *,
           no_cache: bool) -> VerifyChoice:
    """Find the manifests ``files`` belong to (or the one asked for) and tell the sites the
    files can concern from those they cannot (a manifest the cache does not hold counts as
    concerned: only loading it can tell)."""
    paths = _expand([Path(os.path.abspath(cwd / f)) for f in files]) if files else None
    sites = []
    for file, scoped in _sites(manifest_path, cwd, paths):
        file = file.resolve()
        manifest, key = (None, None) if no_cache else lookup(file, cache_file_for(file))
        concerned = manifest is None or scoped is None or may_concern(manifest, scoped)
        sites.append(SiteToVerify(file, scoped, manifest, concerned, key))
    return VerifyChoice(sites, cwd)


def parsed(choice: VerifyChoice, load: LoadOnMiss, *, no_cache: bool) -> VerifyChoice:
    """``choice`` with every manifest the cache did not answer loaded by ``load`` (and
    cached under the key `choose` looked up: the manifest and the cache file are read
    once): all of them before any check, so a broken manifest stops the run (exit 2)
    before anything is reported."""
    sites = []
    for site in choice.sites:
        if site.manifest is None:
            manifest = load(site.file, None if no_cache else cache_file_for(site.file),
                            site.cache_key)
            concerned = site.files is None or may_concern(manifest, site.files)
            site = site._replace(manifest=manifest, concerned=concerned)
        sites.append(site)
    return choice._replace(sites=sites)


def untouched_report() -> LineageReport:
    """A site none of the given files concerns: nothing checked, no page scanned."""
    return LineageReport(findings=[], by_state=dict.fromkeys(STATES, 0), assets=0, static=0,
                         references=0, pages=0, skipped=no_skips(), scoped=True, files=0)


def result_of(choice: VerifyChoice, sites: list[SiteReport], *,
              strict: bool) -> VerifyResult:
    """The result of a run whose sites (in ``choice``'s order) reported as ``sites``."""
    cwd = choice.cwd
    findings = sorted((f for site in sites for f in site.report.findings),
                      key=lambda f: (f.severity != "error", display_relative_to(f.path, cwd),
                                     f.line or 0))
    errors = any(f.severity == "error" for f in findings)
    return VerifyResult(sites, findings, strict, cwd, EXIT_PROBLEMS if errors else EXIT_OK)


def unchecked(choice: VerifyChoice, *, strict: bool) -> VerifyResult:
    """The result when no site needs a check (``choice.needs_check`` is False, so the
    cache answered every manifest)."""
    sites = [SiteReport(site.manifest, untouched_report()) for site in choice.sites
             if site.manifest is not None]
    return result_of(choice, sites, strict=strict)


def _expand(paths: list[Path]) -> list[Path]:
    """Folders given as FILE arguments stand for every file below them."""
    result: list[Path] = []
    for path in paths:
        if path.is_dir():
            result += [Path(folder, name) for folder, _, names in os.walk(path)
                       for name in names]
        else:
            result.append(path)
    return result


def _sites(manifest_path: Path | None, cwd: Path,
           paths: list[Path] | None) -> list[tuple[Path, list[Path] | None]]:
    """The manifests to check, each with its FILE arguments (``None``: the whole site)."""
    if manifest_path is not None and not manifest_path.exists():
        raise UsageError(f"{manifest_path}: no such manifest",
                         hint="check --manifest, or run `assetgen init` to create one")
    if manifest_path is not None or paths is None:
        return [(manifest_path or find_manifest(cwd), paths)]
    groups: dict[Path, list[Path]] = {}
    nearest: dict[Path, Path | None] = {}
    for path in paths:
        found = nearest_manifest(path.parent, nearest)
        if found is not None:
            groups.setdefault(found, []).append(path)
    return sorted(groups.items())
