"""`assetgen plan`: the state of every asset and what the next build would cost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assetgen.build.cost import format_usd
from assetgen.build.planner import AssetStatus, Next, Planner, State
from assetgen.cli.console import Console, table
from assetgen.commands.common import open_manifest, select_assets
from assetgen.core.hashcache import HashCache
from assetgen.errors import EXIT_OK
from assetgen.manifest.load import Manifest

STATE_STYLE = {State.FRESH: ("green",), State.MISSING: ("yellow",), State.STALE: ("yellow",),
               State.TAMPERED: ("red", "bold"), State.UNRECORDED: ("red",),
               State.DRAFT: ("blue",), State.SUBMITTED: ("cyan",)}


def plan_statuses(manifest_path: Path | None, cwd: Path, ids: list[str], *, draft: bool,
                  force: bool, tier: str = "standard"
                  ) -> tuple[Any, list[AssetStatus], HashCache]:
    manifest = open_manifest(manifest_path, cwd)
    selected = select_assets(manifest, ids, with_inputs=True)
    hashes = HashCache(manifest.state_dir / "hashes.json", root=manifest.root)
    planner = Planner(manifest, draft_mode=draft, force=force, hashes=hashes, tier=tier)
    return manifest, planner.plan(selected), hashes


def plan_document(statuses: list[AssetStatus]) -> dict[str, Any]:
    work = [s for s in statuses if s.needs_build]
    return {
        "assets": [s.as_json() for s in statuses],
        "summary": {
            "total": len(statuses),
            "to_build": len(work),
            "to_rederive": sum(1 for s in work if s.next == Next.REDERIVE),
            "by_state": _count(str(s.state) for s in statuses),
            "estimated_cost_usd": round(sum(s.estimate_usd for s in work), 6),
            "cost_is_estimate": True,
        },
    }


def print_plan(console: Console, statuses: list[AssetStatus]) -> None:
    rows = []
    for s in statuses:
        a = s.asset
        state = str(s.state)
        size = a.size + (f"→{a.width}x{a.height}" if a.width else "")
        action = str(s.next) if s.needs_build else "-"
        rows.append([a.id, state, action, s.route, a.model, size, a.quality,
                     format_usd(s.estimate_usd) if s.needs_build else "", s.reason])
    lines = table(rows, ["ID", "STATE", "NEXT", "ROUTE", "MODEL", "SIZE", "QUALITY", "EST.",
                         "WHY"])
    console.print(lines[0])
    for status, line in zip(statuses, lines[1:], strict=True):
        word = str(status.state)
        styled = line.replace(word, console.style(word, *STATE_STYLE[status.state]), 1)
        console.print(styled)
    doc = plan_document(statuses)["summary"]
    console.print(f"\n{doc['to_build']} of {doc['total']} to build; estimated cost "
                  f"{format_usd(doc['estimated_cost_usd'])} (an estimate from OpenAI's token "
                  "prices and calculator; the build records the actual cost from `usage`; "
                  "draft, codex and gateway are not billed in USD here)")


def warn_experimental_sizes(console: Console, manifest: Manifest) -> None:
    from assetgen.manifest.model_rules import size_warnings

    for line in size_warnings(manifest):
        console.log(console.style("warning:", "yellow") + " " + line)


def run(manifest_path: Path | None, cwd: Path, ids: list[str], *, draft: bool,
        json_mode: bool, console: Console) -> int:
    manifest, statuses, hashes = plan_statuses(manifest_path, cwd, ids, draft=draft,
                                               force=False)
    warn_experimental_sizes(console, manifest)
    hashes.save()
    if json_mode:
        console.emit_json(plan_document(statuses))
    else:
        print_plan(console, statuses)
    return EXIT_OK


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
