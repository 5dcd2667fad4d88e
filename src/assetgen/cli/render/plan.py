"""`assetgen plan`: the table of asset states and the cost line, or the plan document."""

from __future__ import annotations

from typing import Any

from assetgen.build.planner import AssetStatus, State
from assetgen.cli.console import Console, table
from assetgen.commands.plan import PlanResult, summarise_plan
from assetgen.images.cost import format_usd

STATE_STYLE = {State.FRESH: ("green",), State.MISSING: ("yellow",), State.STALE: ("yellow",),
               State.TAMPERED: ("red", "bold"), State.UNRECORDED: ("red",),
               State.DRAFT: ("blue",), State.SUBMITTED: ("cyan",)}


def show(console: Console, result: PlanResult) -> None:
    for line in result.warnings:
        console.warning(line)
    if console.json_mode:
        console.emit_json(plan_document(result.statuses))
    else:
        print_plan(console, result.statuses)


def plan_document(statuses: list[AssetStatus]) -> dict[str, Any]:
    summary = summarise_plan(statuses)
    return {
        "assets": [s.as_json() for s in statuses],
        "summary": {
            "total": summary.total,
            "to_build": summary.to_build,
            "to_rederive": summary.to_rederive,
            "by_state": summary.by_state,
            "estimated_cost_usd": summary.estimated_cost_usd,
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
    summary = summarise_plan(statuses)
    console.print(f"\n{summary.to_build} of {summary.total} to build; estimated cost "
                  f"{format_usd(summary.estimated_cost_usd)} (an estimate from OpenAI's token "
                  "prices and calculator; the build records the actual cost from `usage`; "
                  "draft, codex and gateway are not billed in USD here)")
