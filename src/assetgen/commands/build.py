"""`assetgen build`: make every asset that is not fresh, then summarise."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from assetgen.build import store
from assetgen.build.cost import format_usd
from assetgen.build.engine import BuildSettings, Engine, Outcome
from assetgen.build.planner import Next, Planner
from assetgen.build.scheduler import Clock
from assetgen.cli.console import Console
from assetgen.cli.progress import ProgressLog
from assetgen.commands.plan import (
    plan_document,
    plan_statuses,
    print_plan,
    warn_experimental_sizes,
)
from assetgen.core.fsutil import build_lock, ensure_state_dir, remove_stale_temp_files
from assetgen.errors import EXIT_BUDGET, EXIT_OK, EXIT_PROBLEMS
from assetgen.provenance.published import write_assets_json
from assetgen.routes import RouteContext, load_route

T = TypeVar("T")
HTTP_ROUTES = frozenset({"images", "responses", "gateway"})


def run(manifest_path: Path | None, cwd: Path, ids: list[str], *, force: bool = False,
        dry_run: bool = False, check: bool = False, draft: bool = False,
        concurrency: int = 8, max_cost: float | None = None, json_mode: bool = False,
        console: Console, environ: Mapping[str, str] | None = None,
        transport: Any = None, clock: Clock | None = None, batch: bool = False) -> int:
    """``batch``: estimate at the Batch API's prices (the plan of `build --batch`; the
    batch build itself runs in `commands.batch`)."""
    manifest, statuses, hashes = plan_statuses(manifest_path, cwd, ids, draft=draft,
                                               force=force,
                                               tier="batch" if batch else "standard")
    if not draft:
        warn_experimental_sizes(console, manifest)
    work = [s for s in statuses if s.needs_build]
    if dry_run or check:
        hashes.save()
        if json_mode:
            console.emit_json({**plan_document(statuses), "dry_run": True})
        else:
            print_plan(console, statuses)
        return EXIT_PROBLEMS if check and work else EXIT_OK

    if not work:  # nothing to do: no lock, no second plan, no client
        hashes.save()
        skipped = [Outcome(s.asset.id, "skipped", route=s.route, reason=s.reason,
                           state_before=str(s.state)) for s in statuses]
        return summarise(console, skipped, json_mode=json_mode, plan=plan_document(statuses))

    context = RouteContext(manifest=manifest, client=None,
                           environ=os.environ if environ is None else environ)
    requests = [s for s in work if s.next == Next.BUILD]  # re-derivations ask no route
    routes_needed = sorted({s.route for s in requests})
    for name in routes_needed:  # refuse before any work: missing keys, impossible assets
        load_route(name, context).preflight([s.asset for s in requests if s.route == name])

    settings = BuildSettings(draft=draft, force=force, concurrency=concurrency,
                             max_cost=max_cost, clock=clock)
    if manifest.signing is not None and manifest.signing.sign and any(
            s.route != "draft" for s in work):
        from assetgen.build import signing  # a certificate it cannot use fails before any request

        settings.signing = signing.load_kit(manifest.signing, context.environ)
    with build_lock(ensure_state_dir(manifest.state_dir, root=manifest.root) / "build.lock",
                    root=manifest.root):
        for note in store.recover(manifest.output_dir):
            console.log(f"recovered: {note}")
        # A killed command can also leave half-written local state: masters, the hash
        # and manifest caches (written by every command, outside the lock). Writers of
        # those caches ignore a vanished temp file, so removing them here is safe.
        remove_stale_temp_files(manifest.state_dir)
        if not manifest.masters_folder.is_relative_to(manifest.state_dir):
            remove_stale_temp_files(manifest.masters_folder)
        planner = Planner(manifest, draft_mode=draft, force=force, hashes=hashes)
        statuses = planner.plan([s.asset for s in statuses])
        reporter = ProgressLog(console, total=sum(1 for s in statuses if s.needs_build))
        http = bool(HTTP_ROUTES & {s.route for s in statuses
                                   if s.needs_build and s.next == Next.BUILD})
        with reporter:
            outcomes = run_interruptibly(_execute(manifest, planner, settings, context, statuses,
                                            reporter, http, transport))
        hashes.save()
        written = write_assets_json(manifest)
    if written is not None:
        console.log(f"wrote {manifest.rel(written)}")
    return summarise(console, outcomes, json_mode=json_mode, plan=plan_document(statuses))


def run_interruptibly(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, with SIGTERM handled as asyncio handles Ctrl-C: the main task is
    cancelled (every wait is cancellation-safe), then KeyboardInterrupt is raised outside
    the loop. Raising it from a signal handler instead lands at any point of the loop's
    own bookkeeping."""
    interrupted = False

    async def guarded() -> T:
        nonlocal interrupted
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm() -> None:
            nonlocal interrupted
            interrupted = True
            if task is not None:
                task.cancel()

        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
            installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, not main thread
            installed = False
        try:
            return await main
        finally:
            if installed:
                loop.remove_signal_handler(signal.SIGTERM)
                with contextlib.suppress(TypeError, ValueError):
                    signal.signal(signal.SIGTERM, previous)

    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        if interrupted:
            raise KeyboardInterrupt from None
        raise


async def _execute(manifest: Any, planner: Planner, settings: BuildSettings,
                   context: RouteContext, statuses: list[Any], reporter: ProgressLog,
                   http: bool, transport: Any) -> list[Outcome]:
    if not http:
        return await Engine(manifest, planner, settings, context, reporter).run(statuses)
    import httpx

    limits = httpx.Limits(max_connections=max(settings.concurrency * 2, 4),
                          max_keepalive_connections=settings.concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(300.0, connect=30.0),
                                 transport=transport, follow_redirects=False) as client:
        context.client = client
        return await Engine(manifest, planner, settings, context, reporter).run(statuses)


def summarise(console: Console, outcomes: list[Outcome], *, json_mode: bool,
              plan: dict[str, Any]) -> int:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    actual = round(sum(o.cost_usd or 0.0 for o in outcomes), 6)
    estimated = round(sum(o.estimate_usd for o in outcomes if o.action != "skipped"), 6)
    by_surface: dict[str, float] = {}
    priced: dict[str, bool] = {}  # whether any outcome of a surface carried a USD cost
    images: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.billing and outcome.action != "rederived":  # no request, nothing billed
            by_surface[outcome.billing] = round(by_surface.get(outcome.billing, 0.0)
                                                + (outcome.cost_usd or 0.0), 6)
            priced[outcome.billing] = priced.get(outcome.billing, False) \
                or (outcome.cost_usd is not None and outcome.billing != "none")
            images[outcome.billing] = images.get(outcome.billing, 0) + 1
    by_route: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.action not in ("skipped", "budget") and outcome.route:
            by_route[outcome.route] = by_route.get(outcome.route, 0) + 1
    failed = [o for o in outcomes if o.action in ("failed", "blocked")]
    over_budget = [o for o in outcomes if o.action == "budget"]
    code = EXIT_BUDGET if over_budget else EXIT_PROBLEMS if failed else EXIT_OK
    if json_mode:
        console.emit_json({"assets": [o.as_json() for o in outcomes], "counts": counts,
                           "cost_usd": actual, "estimated_cost_usd": estimated,
                           "cost_by_billing": by_surface, "assets_by_route": by_route,
                           "exit_code": code,
                           "retries": sum(o.retries for o in outcomes), "plan": plan})
        return code
    order = ["generated", "edited", "collected", "resumed", "rederived", "submitted",
             "deferred", "skipped", "failed", "blocked", "budget"]
    parts = [f"{counts[k]} {k}" for k in order if counts.get(k)]
    console.print(("build: " + ", ".join(parts)) if parts else "build: nothing declared")
    retries = sum(o.retries for o in outcomes)
    console.print(f"cost: {format_usd(actual)} actual, {format_usd(estimated)} estimated"
                  + (f"; {retries} retries" if retries else ""))
    if by_route:
        console.print("routes: " + ", ".join(f"{name} {count}"
                                             for name, count in sorted(by_route.items())))
    for surface, amount in sorted(by_surface.items()):
        console.print(f"  {surface}: {_surface_cost(surface, amount, priced[surface])}"
                      f" ({images[surface]} image{'s' if images[surface] != 1 else ''})")
    for outcome in failed + over_budget:
        console.print(f"{outcome.asset_id}: {outcome.action} — {outcome.error}")
    if over_budget:
        console.print("the budget (--max-cost) stopped the build; raise it or build fewer "
                      "assets (`assetgen build ID...`)")
    return code


def _surface_cost(surface: str, amount: float, priced: bool) -> str:
    """A billing surface's cost as words when it has no USD price (never a fake $0)."""
    if priced:
        return format_usd(amount)
    if surface == "none":
        return "not billed"
    if surface == "codex-credits":
        return "ChatGPT plan credits (no USD price)"
    return "billed by the provider (no cost reported)"

