"""`assetgen verify`'s check of the sites `commands.verify.choose` found the given files can
concern (the whole site without FILE arguments); the others get no check at all."""

from __future__ import annotations

from pathlib import Path

from assetgen.commands.verify import (
    SiteReport,
    VerifyChoice,
    VerifyResult,
    result_of,
    untouched_report,
)
from assetgen.core.hashcache import HASHES_FILE, PAGES_FILE, HashCache
from assetgen.core.paths import display_relative_to
from assetgen.verify.check import check


def run(choice: VerifyChoice, *, strict: bool, no_cache: bool) -> VerifyResult:
    """Check each concerned site of ``choice``, whose manifests are all loaded
    (`commands.verify.parsed`)."""
    def show(path: Path) -> str:
        return display_relative_to(path, choice.cwd)

    sites: list[SiteReport] = []
    for site in choice.sites:
        manifest = site.manifest
        if manifest is None:
            raise ValueError(f"{site.file}: not loaded (commands.verify.parsed loads it)")
        if not site.concerned:
            sites.append(SiteReport(manifest, untouched_report()))
            continue
        hashes = HashCache(None if no_cache else manifest.state_dir / HASHES_FILE,
                           root=manifest.root)
        pages = None if no_cache else HashCache(manifest.state_dir / PAGES_FILE,
                                                root=manifest.root)
        sites.append(SiteReport(manifest, check(manifest, hashes=hashes, files=site.files,
                                                strict=strict, show=show, pages=pages)))
        hashes.save()
        if pages is not None:
            pages.save()
    return result_of(choice, sites, strict=strict)
