"""`assetgen plan`: the state of every asset and what the next build would cost."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from assetgen.build.planner import AssetStatus, Next, Planner
from assetgen.commands.common import open_manifest, select_assets
from assetgen.core.hashcache import HASHES_FILE, HashCache
from assetgen.core.paths import display_inside_cwd
from assetgen.errors import EXIT_OK
from assetgen.images.models import STANDARD_TIER
from assetgen.manifest import Manifest
from assetgen.manifest.model_rules import size_warnings
from assetgen.manifest.site import missing_folders


class PlanSummary(NamedTuple):
    total: int
    to_build: int
    to_rederive: int
    by_state: dict[str, int]
    estimated_cost_usd: float


def summarise_plan(statuses: list[AssetStatus]) -> PlanSummary:
    work = [s for s in statuses if s.needs_build]
    return PlanSummary(
        total=len(statuses), to_build=len(work),
        to_rederive=sum(1 for s in work if s.next == Next.REDERIVE),
        by_state=dict(Counter(str(s.state) for s in statuses)),
        estimated_cost_usd=round(sum(s.estimate_usd for s in work), 6))


@dataclass
class PlanResult:
    """`assetgen plan`'s answer: every asset's status and the warnings to show."""

    statuses: list[AssetStatus]
    warnings: list[str] = field(default_factory=list)  # settings a model may not honour
    exit_code: int = EXIT_OK

    @property
    def summary(self) -> PlanSummary:
        return summarise_plan(self.statuses)


@dataclass
class Planned:
    """A plan with what produced it, for build to go on from."""

    manifest: Manifest
    statuses: list[AssetStatus]
    hashes: HashCache


def plan_statuses(manifest_path: Path | None, cwd: Path, ids: list[str], *, draft: bool,
                  force: bool, tier: str = STANDARD_TIER,
                  manifest: Manifest | None = None) -> Planned:
    """``tier``: the prices images-route requests are estimated at (`batch` for
    `build --batch`); ``manifest``: the manifest, when the caller has loaded it already."""
    if manifest is None:
        manifest = open_manifest(manifest_path, cwd)
    selected = select_assets(manifest, ids, with_inputs=True)
    hashes = HashCache(manifest.state_dir / HASHES_FILE, root=manifest.root)
    planner = Planner(manifest, draft_mode=draft, force=force, hashes=hashes, tier=tier)
    return Planned(manifest, planner.plan(selected), hashes)


def run(manifest_path: Path | None, cwd: Path, ids: list[str], *, draft: bool) -> PlanResult:
    planned = plan_statuses(manifest_path, cwd, ids, draft=draft, force=False)
    planned.hashes.save()
    manifest = planned.manifest
    folders = [f"{display_inside_cwd(manifest.file)}:{m.line}: {m.message}; {m.remedy}"
               for m in missing_folders(manifest)]
    return PlanResult(planned.statuses, warnings=folders + size_warnings(manifest))
