"""`assetgen build`: make every asset that is not fresh, and account for what it did."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from assetgen.build import signing
from assetgen.build.engine import BuildSettings, Engine, EventSink, Outcome
from assetgen.build.planner import AssetStatus, Next, Planner
from assetgen.build.scheduler import Clock
from assetgen.build.submissions import SubmissionStore
from assetgen.commands.common import build_session, open_manifest
from assetgen.commands.plan import plan_statuses
from assetgen.commands.reporting import SILENT, Listener
from assetgen.errors import EXIT_BUDGET, EXIT_OK, EXIT_PROBLEMS, UsageError
from assetgen.images.models import BATCH_TIER, STANDARD_TIER
from assetgen.manifest import Manifest
from assetgen.manifest.model_rules import size_warnings
from assetgen.provenance.published import write_assets_json
from assetgen.routes.base import RouteContext, RouteSet
from assetgen.routes.registry import route_info

if TYPE_CHECKING:
    import httpx  # imported when a build sends requests: a no-op build stays fast

T = TypeVar("T")
SUMMARY_ORDER = ("generated", "edited", "collected", "resumed", "rederived", "submitted",
                 "deferred", "skipped", "failed", "blocked", "budget")


class SurfaceCost(NamedTuple):
    """What one billing surface was charged in a build."""

    amount_usd: float
    priced: bool  # whether any outcome carried a USD cost (else words, never a fake $0)
    images: int


class BuildSummary(NamedTuple):
    counts: dict[str, int]
    cost_usd: float
    estimated_cost_usd: float
    by_billing: dict[str, SurfaceCost]
    by_route: dict[str, int]
    retries: int
    failed: list[Outcome]  # failed or blocked
    over_budget: list[Outcome]

    @property
    def exit_code(self) -> int:
        return EXIT_BUDGET if self.over_budget else EXIT_PROBLEMS if self.failed else EXIT_OK


def summarise(outcomes: list[Outcome]) -> BuildSummary:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.action] = counts.get(outcome.action, 0) + 1
    amounts: dict[str, float] = {}
    priced: dict[str, bool] = {}
    images: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.billing and outcome.action != "rederived":  # no request, nothing billed
            amounts[outcome.billing] = round(amounts.get(outcome.billing, 0.0)
                                             + (outcome.cost_usd or 0.0), 6)
            priced[outcome.billing] = priced.get(outcome.billing, False) \
                or (outcome.cost_usd is not None and outcome.billing != "none")
            images[outcome.billing] = images.get(outcome.billing, 0) + 1
    by_route: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.action not in ("skipped", "budget") and outcome.route:
            by_route[outcome.route] = by_route.get(outcome.route, 0) + 1
    return BuildSummary(
        counts=counts,
        cost_usd=round(sum(o.cost_usd or 0.0 for o in outcomes), 6),
        estimated_cost_usd=round(sum(o.estimate_usd for o in outcomes
                                     if o.action != "skipped"), 6),
        by_billing={name: SurfaceCost(amounts[name], priced[name], images[name])
                    for name in amounts},
        by_route=by_route,
        retries=sum(o.retries for o in outcomes),
        failed=[o for o in outcomes if o.action in ("failed", "blocked")],
        over_budget=[o for o in outcomes if o.action == "budget"])


@dataclass
class BuildResult:
    """A build's plan and, unless it was a dry run or a check, what it did."""

    statuses: list[AssetStatus]
    outcomes: list[Outcome] | None  # None: nothing was run (--dry-run, --check)
    exit_code: int

    @property
    def summary(self) -> BuildSummary:
        return summarise(self.outcomes or [])


class BuildChoice(NamedTuple):
    """Which build runs (`commands.batch` or this module's), with the manifest it loaded:
    handed on, so that a build loads and checks it once."""

    manifest: Manifest
    through_batch: bool


def choose(manifest_path: Path | None, cwd: Path, *, batch: bool, draft: bool,
           plan_only: bool) -> BuildChoice:
    """A build goes through `commands.batch` when asked for `--batch`, or when batch
    records wait in the state folder (any later build collects them). Plans (`--dry-run`,
    `--check`) and drafts never call the API."""
    if batch and draft:
        raise UsageError("--batch and --draft do not go together: drafts are drawn locally")
    manifest = open_manifest(manifest_path, cwd)
    if plan_only or draft:
        return BuildChoice(manifest, through_batch=False)
    waiting = batch or bool(SubmissionStore(manifest.state_dir, manifest.root).load_all())
    return BuildChoice(manifest, through_batch=waiting)


def run(manifest_path: Path | None, cwd: Path, ids: list[str], *, force: bool = False,
        dry_run: bool = False, check: bool = False, draft: bool = False,
        concurrency: int = 8, max_cost: float | None = None, listener: Listener = SILENT,
        environ: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None, batch: bool = False,
        manifest: Manifest | None = None) -> BuildResult:
    """``batch``: estimate at the Batch API's prices (the plan of `build --batch`; the
    batch build itself runs in `commands.batch`). ``manifest``: already loaded (`choose`)."""
    planned = plan_statuses(manifest_path, cwd, ids, draft=draft, force=force,
                            tier=BATCH_TIER if batch else STANDARD_TIER, manifest=manifest)
    manifest, statuses, hashes = planned.manifest, planned.statuses, planned.hashes
    if not draft:
        for line in size_warnings(manifest):
            listener.warning(line)
    work = [s for s in statuses if s.needs_build]
    if dry_run or check:
        hashes.save()
        return BuildResult(statuses, None, EXIT_PROBLEMS if check and work else EXIT_OK)

    if not work:  # nothing to do: no lock, no second plan, no client
        hashes.save()
        skipped = [Outcome(s.asset.id, "skipped", route=s.route, reason=s.reason,
                           state_before=str(s.state)) for s in statuses]
        return BuildResult(statuses, skipped, summarise(skipped).exit_code)

    context = RouteContext(manifest=manifest, client=None,
                           environ=os.environ if environ is None else environ)
    routes = RouteSet(context)  # loaded once each: checked here, run by the engine
    requests = [s for s in work if s.next == Next.BUILD]  # re-derivations ask no route
    routes_needed = sorted({s.route for s in requests})
    if any(route_info(name).http for name in routes_needed):
        routes.start_tls(transport)  # in a thread, beside the preflight, lock and plan below
    for name in routes_needed:  # refuse before any work: missing keys, impossible assets
        routes(name).preflight([s.asset for s in requests if s.route == name])

    settings = BuildSettings(draft=draft, force=force, concurrency=concurrency,
                             max_cost=max_cost, clock=clock)
    if manifest.signing is not None and manifest.signing.sign and any(
            route_info(s.route).generates for s in work):
        # A certificate it cannot use fails before any request.
        settings.signing = signing.load_kit(manifest.signing, context.environ)
    with build_session(manifest, listener):
        planner = Planner(manifest, draft_mode=draft, force=force, hashes=hashes)
        statuses = planner.plan([s.asset for s in statuses])
        http = any(route_info(s.route).http for s in statuses
                   if s.needs_build and s.next == Next.BUILD)
        with listener.progress(sum(1 for s in statuses if s.needs_build)) as progress:
            outcomes = run_interruptibly(_execute(manifest, planner, settings, routes, statuses,
                                                  progress, http, transport))
        hashes.save()
        written = write_assets_json(manifest)
    if written is not None:
        listener.note(f"wrote {manifest.rel(written)}")
    return BuildResult(statuses, outcomes, summarise(outcomes).exit_code)


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


async def _execute(manifest: Manifest, planner: Planner, settings: BuildSettings,
                   routes: RouteSet, statuses: list[AssetStatus], progress: EventSink,
                   http: bool, transport: httpx.AsyncBaseTransport | None) -> list[Outcome]:
    if not http:
        return await Engine(manifest, planner, settings, routes, progress).run(statuses)
    import httpx

    limits = httpx.Limits(max_connections=max(settings.concurrency * 2, 4),
                          max_keepalive_connections=settings.concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(300.0, connect=30.0),
                                 transport=transport, follow_redirects=False,
                                 verify=await routes.client_verify(transport)) as client:
        routes.context.client = client
        return await Engine(manifest, planner, settings, routes, progress).run(statuses)
