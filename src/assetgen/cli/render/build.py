"""`assetgen build`: the summary of what was built and spent, or the build document.

A dry run or a check shows the plan instead (with `"dry_run": true` in JSON).
"""

from __future__ import annotations

from assetgen.cli.console import Console
from assetgen.cli.render.plan import plan_document, print_plan
from assetgen.commands.build import SUMMARY_ORDER, BuildResult, SurfaceCost
from assetgen.images.cost import format_usd


def show(console: Console, result: BuildResult) -> None:
    if result.outcomes is None:
        if console.json_mode:
            console.emit_json({**plan_document(result.statuses), "dry_run": True})
        else:
            print_plan(console, result.statuses)
        return
    outcomes = result.outcomes
    summary = result.summary
    if console.json_mode:
        console.emit_json({
            "assets": [o.as_json() for o in outcomes], "counts": summary.counts,
            "cost_usd": summary.cost_usd, "estimated_cost_usd": summary.estimated_cost_usd,
            "cost_by_billing": {name: surface.amount_usd
                                for name, surface in summary.by_billing.items()},
            "assets_by_route": summary.by_route, "exit_code": result.exit_code,
            "retries": summary.retries, "plan": plan_document(result.statuses)})
        return
    parts = [f"{summary.counts[k]} {k}" for k in SUMMARY_ORDER if summary.counts.get(k)]
    console.print(("build: " + ", ".join(parts)) if parts else "build: nothing declared")
    retries = summary.retries
    console.print(f"cost: {format_usd(summary.cost_usd)} actual, "
                  f"{format_usd(summary.estimated_cost_usd)} estimated"
                  + (f"; {retries} retries" if retries else ""))
    if summary.by_route:
        console.print("routes: " + ", ".join(f"{name} {count}"
                                             for name, count in sorted(summary.by_route.items())))
    for name, surface in sorted(summary.by_billing.items()):
        console.print(f"  {name}: {surface_cost(name, surface)}"
                      f" ({surface.images} image{'s' if surface.images != 1 else ''})")
    for outcome in summary.failed + summary.over_budget:
        console.print(f"{outcome.asset_id}: {outcome.action} — {outcome.error}")
    if summary.over_budget:
        console.print("the budget (--max-cost) stopped the build; raise it or build fewer "
                      "assets (`assetgen build ID...`)")


def surface_cost(name: str, surface: SurfaceCost) -> str:
    """A billing surface's cost as words when it has no USD price (never a fake $0)."""
    if surface.priced:
        return format_usd(surface.amount_usd)
    if name == "none":
        return "not billed"
    if name == "codex-credits":
        return "ChatGPT plan credits (no USD price)"
    return "billed by the provider (no cost reported)"
