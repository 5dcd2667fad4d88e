"""`assetgen verify`'s check of the sites `commands.verify.choose` found the given files can
concern (the whole site without FILE arguments); the others get no check at all.

Manifests the cache did not answer are loaded here, all of them before any check, so a
broken manifest stops the run (exit 2) before anything is reported.
"""

from __future__ import annotations

from pathlib import Path

from assetgen.commands.verify import (
    SiteReport,
    VerifyChoice,
    VerifyResult,
    result_of,
    untouched_report,
)
from assetgen.core.hashcache import HashCache
from assetgen.core.paths import display_relative_to
from assetgen.manifest.cache import cache_file_for
from assetgen.manifest.load import load_manifest_cached
from assetgen.verify.check import check
from assetgen.verify.scope import may_concern


def run(choice: VerifyChoice, *, strict: bool, no_cache: bool) -> VerifyResult:
    def show(path: Path) -> str:
        return display_relative_to(path, choice.cwd)

    manifests = [site.manifest or load_manifest_cached(
                     site.file, None if no_cache else cache_file_for(site.file))
                 for site in choice.sites]
    sites: list[SiteReport] = []
    for site, manifest in zip(choice.sites, manifests, strict=True):
        if site.files is not None and not may_concern(manifest, site.files):
            sites.append(SiteReport(manifest, untouched_report()))
            continue
        hashes = HashCache(None if no_cache else manifest.state_dir / "hashes.json",
                           root=manifest.root)
        sites.append(SiteReport(manifest, check(manifest, hashes=hashes, files=site.files,
                                                strict=strict, show=show)))
        hashes.save()
    return result_of(choice, sites, strict=strict)
