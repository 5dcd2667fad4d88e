"""`assetgen verify`'s check of the sites `commands.verify.choose` found the given files can
concern (the whole site without FILE arguments); the others get no check at all."""

from __future__ import annotations

from pathlib import Path

from assetgen.commands.verify import (
    VerifyChoice,
    VerifyResult,
    result_of,
    untouched_report,
)
from assetgen.core.hashcache import HashCache
from assetgen.core.paths import display_relative_to
from assetgen.verify.check import check
from assetgen.verify.report import LineageReport


def run(choice: VerifyChoice, *, strict: bool, no_cache: bool) -> VerifyResult:
    def show(path: Path) -> str:
        return display_relative_to(path, choice.cwd)

    reports: list[LineageReport] = []
    for site in choice.sites:
        if not site.concerned:
            reports.append(untouched_report())
            continue
        manifest = site.manifest
        hashes = HashCache(None if no_cache else manifest.state_dir / "hashes.json",
                           root=manifest.root)
        reports.append(check(manifest, hashes=hashes, files=site.files, strict=strict,
                             show=show))
        hashes.save()
    return result_of(choice, reports, strict=strict)

