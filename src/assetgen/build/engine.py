"""The build engine: run every asset that is not fresh, in dependency order, concurrently.

It owns scheduling (asyncio tasks, an adaptive limiter), retries, the budget,
the masters cache and atomic commits. Routes only turn a job into bytes.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from assetgen.build import publishing, recording, store
from assetgen.build.answers import (
    does_not_decode,
    malformed_usage,
    master_fields,
    read_input,
    require_alpha,
    result_from_cache,
)
from assetgen.build.masters import CachedMaster, MastersCache
from assetgen.build.planner import (
    AssetStatus,
    Next,
    Planner,
    derivation_spec,
    generation_hash_of,
    generation_hashes,
    generation_spec,
    request_format,
    request_prompt,
    spec_hash_of,
)
from assetgen.build.scheduler import (
    AdaptiveLimiter,
    Attempts,
    Budget,
    Clock,
    RetryPolicy,
    call_with_retries,
)
from assetgen.core.remedies import shell_command
from assetgen.errors import (
    AssetgenError,
    ImageError,
    PermanentError,
    RouteError,
    describe_os_error,
)
from assetgen.images import codec as imaging
from assetgen.images import sizes
from assetgen.manifest import Asset, Manifest
from assetgen.provenance import embed
from assetgen.provenance.record import CorruptSidecar, Record
from assetgen.routes.base import ImageJob, Route, RouteFactory, RouteResult
from assetgen.routes.registry import route_info

T = TypeVar("T")

if TYPE_CHECKING:
    from assetgen.build.signing import Kit
    from assetgen.images.codec import Decoded, ImageInfo  # imaging imports Pillow: when building


@dataclass
class Outcome:
    """What a build did with one asset, as reported and summed up (`--json` `assets`)."""

    asset_id: str
    action: str  # generated | edited | resumed | rederived | skipped | failed | budget | blocked
    route: str = ""
    billing: str = ""
    state_before: str = ""
    reason: str = ""
    cost_usd: float | None = None
    estimate_usd: float = 0.0
    error: str | None = None
    retries: int = 0
    attempts: int = 0
    duration_s: float = 0.0
    request_id: str | None = None

    @property
    def failed(self) -> bool:
        return self.action in ("failed", "blocked", "budget")

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Event:
    """One progress event the engine sends its sink (the CLI's progress lines)."""

    kind: str  # start | retry | done | note
    asset_id: str = ""
    message: str = ""
    outcome: Outcome | None = None


EventSink = Callable[[Event], None]


@dataclass
class BuildSettings:
    """How one build runs: the flags it was given and what they were checked into."""

    draft: bool = False
    force: bool = False
    concurrency: int = 8
    max_cost: float | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy.from_env)
    clock: Clock | None = None  # tests inject a fake clock: no real waiting
    signing: Kit | None = None  # provenance.c2pa.sign: the checked certificate and key


class Engine:
    """Makes the assets a plan says need a build.

    Its routes come by injection, as pypa/build's `ProjectBuilder(runner=...)`: `routes`
    returns the route of a name (a `RouteSet` in the CLI, fakes in tests), called only
    for assets that ask a route. The engine never loads a route itself.
    """

    def __init__(self, manifest: Manifest, planner: Planner, settings: BuildSettings,
                 routes: RouteFactory, emit: EventSink) -> None:
        self.manifest = manifest
        self.planner = planner
        self.settings = settings
        self.route = routes
        self.emit = emit
        self.limiter = AdaptiveLimiter(settings.concurrency, clock=settings.clock)
        self.budget = Budget(settings.max_cost)
        self.masters = MastersCache(manifest.masters_folder, root=manifest.root)
        self.trust_anchors = manifest.signing.anchors_pem() if manifest.signing else None
        self.route_slots: dict[str, asyncio.Semaphore] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.finished: dict[str, asyncio.Event] = {}
        # Two pools, so that a paid answer's quick check-and-cache (which holds a request
        # slot) never queues behind the decoding and encoding of earlier answers, and so
        # that at most one image per core is decoded at a time (memory stays flat).
        self.check_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="check")
        self.image_pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2,
                                             thread_name_prefix="image")

    async def run_capped(self, route: Route, job: ImageJob) -> RouteResult:
        """Run a job, within the route's own cap when it has one (e.g. codex sessions)."""
        cap = getattr(route, "max_concurrency", None)
        if not cap:
            return await route.run(job)
        if route.name not in self.route_slots:
            self.route_slots[route.name] = asyncio.Semaphore(cap)
        async with self.route_slots[route.name]:
            return await route.run(job)

    async def run(self, statuses: list[AssetStatus]) -> list[Outcome]:
        self.finished = {s.asset.id: asyncio.Event() for s in statuses}
        tasks = [asyncio.create_task(self.run_one(s), name=s.asset.id) for s in statuses]
        try:
            # Every asset runs to its end even if another one meets a bug: answers
            # already paid for are committed before the bug is raised (exit 4).
            results = await asyncio.gather(*tasks, return_exceptions=True)
            bug = next((r for r in results if isinstance(r, BaseException)), None)
            if bug is not None:
                raise bug
        finally:
            for task in tasks:
                task.cancel()
            self.check_pool.shutdown(wait=False, cancel_futures=True)
            self.image_pool.shutdown(wait=False, cancel_futures=True)
        return [self.outcomes[s.asset.id] for s in statuses]

    async def run_one(self, status: AssetStatus) -> None:
        asset = status.asset
        try:
            outcome = await self.make(status)
        except RouteError as exc:
            outcome = Outcome(asset.id, "failed", route=exc.route or status.route,
                              error=exc.describe(), request_id=exc.request_id)
        except AssetgenError as exc:  # ImageError, UnsafePathError, ...: this asset only
            outcome = Outcome(asset.id, "failed", route=status.route, error=str(exc))
        except OSError as exc:  # full disk, read-only folder, name too long, a folder there
            outcome = Outcome(asset.id, "failed", route=status.route,
                              error=describe_os_error(exc))
        outcome.state_before = outcome.state_before or str(status.state)
        self.outcomes[asset.id] = outcome
        self.finished[asset.id].set()
        self.emit(Event("done", asset.id, outcome=outcome))

    async def make(self, status: AssetStatus) -> Outcome:
        asset = status.asset
        for dep in asset.dependencies:
            if dep in self.finished:
                await self.finished[dep].wait()
                if self.outcomes[dep].failed:
                    return Outcome(asset.id, "blocked", route=status.route,
                                   error=f"input `{dep}` was not made, so this edit cannot run")
        if asset.dependencies:
            # Inputs may have just been rebuilt: judge this asset on disk as it is now.
            status = self.planner.status(asset)
        if not status.needs_build:
            return Outcome(asset.id, "skipped", route=status.route, reason=status.reason,
                           state_before=str(status.state))
        if status.next == Next.FORCE:
            return Outcome(asset.id, "failed", route=status.route, reason=status.reason,
                           error=status.reason)
        if status.next == Next.REDERIVE and not status.from_cache:
            return await self.rederive(status)
        started = time.monotonic()
        job, generation, cached = await asyncio.to_thread(self.prepare, asset, status.route)
        derivation = derivation_spec(asset)
        generation_hash = generation_hash_of(generation)
        spec_hash = spec_hash_of(generation, derivation)

        attempts = Attempts()
        looked: tuple[ImageInfo, str] | None = None
        if cached is None and status.from_cache:
            # Planned without a request (and so without a key, a client or a budget).
            return Outcome(asset.id, "failed", route=status.route,
                           error="its cached master vanished during the build — run "
                                 "`assetgen build` again (it will be asked of the route)")
        if cached is not None:
            result = result_from_cache(cached.data, cached.meta)
            # A collected batch answer was paid in its batch: report it with its cost.
            collected = result.extra.get("tier") == "batch" and status.state != "fresh"
            action = "collected" if collected else "resumed"
            spent: float | None = result.cost_usd if collected else 0.0
        else:
            estimate = status.estimate_usd
            if not self.budget.reserve(asset.id, estimate):
                return Outcome(asset.id, "budget", route=status.route, estimate_usd=estimate,
                               error=f"not started: estimated ${estimate:.4f} would pass "
                                     f"--max-cost ${self.settings.max_cost:.2f}")
            route = self.route(status.route)

            async def attempt() -> tuple[RouteResult, tuple[ImageInfo, str]]:
                # Announced once a request slot is held, so progress shows what is
                # really in flight rather than what is queued behind the limiter.
                self.emit(Event("start", asset.id, message=status.route))
                answer = await self.run_capped(route, job)
                # The slot is held until the paid image is safe in the masters cache:
                # a kill can then lose at most --concurrency answers, never more. Only
                # the header is read here; the pixels are decoded (and proven whole)
                # after the slot is free for the next request.
                info = await _in_pool(self.check_pool, self.check_and_cache, route, job,
                                      answer, generation_hash)
                return answer, info

            try:
                result, looked = await call_with_retries(
                    attempt, limiter=self.limiter,
                    policy=self.settings.retry,
                    record=attempts,
                    on_retry=lambda exc, wait: self.emit(Event(
                        "retry", asset.id, message=f"{exc.describe()}; retrying in {wait:.1f}s")),
                )
            except BaseException:
                self.budget.settle(estimate, None)
                raise
            self.budget.settle(estimate, result.cost_usd)
            dropped_usage = malformed_usage(result)
            if dropped_usage:
                # SPEC 10: a bad usage block fails its asset; the image was paid for, so it
                # is already in the masters cache and the next build publishes it for $0.
                return Outcome(asset.id, "failed", route=status.route,
                               estimate_usd=status.estimate_usd,
                               request_id=result.request_id,
                               error=f"the answer's {dropped_usage}; its image is kept in "
                                     "the masters cache: run `assetgen build` again to "
                                     "publish it without paying again")
            # What this build spent, in USD: unknown (None) when the surface bills
            # otherwise (codex credits, providers that report no cost).
            spent = result.cost_usd
            action = "edited" if job.is_edit else "generated"
        master = master_fields(result.image, looked, cached)
        made = _Made(asset, job, result, None, master, spec_hash, generation_hash,
                     derivation, attempts, started, check_alpha=(
                         asset.transparent == "api" and route_info(status.route).generates))
        await _in_pool(self.image_pool, self.finish, made, status.sidecar)
        return Outcome(asset.id, action, route=result.route, billing=result.billing,
                       reason=status.reason, cost_usd=spent, estimate_usd=status.estimate_usd,
                       retries=len(attempts.retries), attempts=attempts.count,
                       duration_s=round(time.monotonic() - started, 3),
                       request_id=result.request_id)

    def finish(self, made: _Made, old_sidecar: Record | None) -> None:
        """Decode, derive, record and commit an answer: one thread hop, one decode."""
        asset, result = made.asset, made.result
        try:
            made.checked = imaging.decode_checked(result.image)
        except ImageError as exc:
            # Never published, and never resumed from: the next build asks again.
            self.masters.forget(made.generation_hash)
            raise does_not_decode(result, exc) from exc
        if made.check_alpha:
            require_alpha(result, made.checked)
        stamp = embed.make_record(asset=asset.id, route=result.route, model=result.model,
                                  prompt=made.job.prompt, spec_hash=made.spec_hash)
        derived, found = publishing.derive_published(
            result.image, asset, stamp, result.route, made.checked, self.settings.signing,
            self.trust_anchors)
        made.checked = None  # the pixels are not needed any more: let them go
        record = recording.with_files(
            self.record(made, derived, time.monotonic() - made.started), derived,
            spec_hash=made.spec_hash, derivation=made.derivation, master=result.image,
            credentials=found)
        self.commit(asset, derived, record, old_sidecar)

    async def rederive(self, status: AssetStatus) -> Outcome:
        """Only the derivation changed: derive again from the cached master, no request."""
        asset, old = status.asset, status.sidecar
        started = time.monotonic()
        assert old is not None, "the planner rederives only recorded assets"
        generation = status.master_generation or status.generation
        cached = await asyncio.to_thread(self.find_master, old, generation)
        if cached is None:
            message = (f"master missing: rebuilding will pay again — run "
                       f"`{shell_command('build', '--force', asset.id)}`")
            return Outcome(asset.id, "failed", route=status.route, error=message)
        derivation = derivation_spec(asset)
        spec_hash = spec_hash_of(generation, derivation)
        stamp = embed.make_record(asset=asset.id, route=old.route, model=old.model,
                                  prompt=old.prompt, spec_hash=spec_hash)

        def derive_and_commit() -> None:
            derived, found = publishing.derive_published(
                cached.data, asset, stamp, old.route, None,
                self.settings.signing, self.trust_anchors)
            record = recording.rederived(old, derived, spec_hash=spec_hash,
                                         derivation=derivation, master=cached.data,
                                         credentials=found, asset_id=asset.id,
                                         file=asset.path, now=_now())
            if record.generation_hash is None:
                record = record.replace(generation_hash=generation_hash_of(generation))
            self.commit(asset, derived, record, old)

        await _in_pool(self.image_pool, derive_and_commit)
        return Outcome(asset.id, "rederived", route=old.route,
                       billing=old.billing or "", reason=status.reason,
                       cost_usd=0.0, estimate_usd=0.0,
                       duration_s=round(time.monotonic() - started, 3))

    def find_master(self, sidecar: Record,
                    generation: dict[str, Any]) -> CachedMaster | None:
        master = sidecar.master_file()
        if master is not None:
            found = self.masters.get_sha(*master)
            if found is not None:
                return found
        return self.cached_master(generation)

    def prepare(self, asset: Asset, route: str
                ) -> tuple[ImageJob, dict[str, Any], CachedMaster | None]:
        """An asset's request (its inputs read), its generation spec and the master already
        paid for with it, if any. File reads, so in a worker thread, and in one hop: the
        pool runs hops in the order asked, so a second hop per asset queued each asset's
        request behind every other asset's first hop (200 assets: the first request left
        ~25 ms later)."""
        job = self.job_for(asset, route)
        generation = generation_spec(asset, self.manifest, route,
                                     {i.ref: i.sha256 for i in job.inputs},
                                     job.mask.sha256 if job.mask else None)
        return job, generation, None if self.settings.force else self.cached_master(generation)

    def cached_master(self, generation: dict[str, Any]) -> CachedMaster | None:
        """The master paid for with this generation spec, whatever format it came in."""
        for generation_hash in generation_hashes(generation):
            found = self.masters.get(generation_hash)
            if found is not None:
                return found
        return None

    def commit(self, asset: Asset, derived: store.Derived, record: Record,
               old: Record | None) -> None:
        base = asset.base  # output_dir, or the asset's own root (SPEC 7)
        declared = {a.file for a in self.manifest.assets} | {s.file for s in
                                                              self.manifest.static}
        obsolete = [(path, sha) for path, sha in recording.obsolete_variants(
            old, derived, base, asset.path) if path not in declared]
        extra = [(base / v.rel, v.data) for v in derived.variants]
        store.commit(asset.file, derived.data, record, extra=extra, obsolete=obsolete,
                     root=self.manifest.root, inside=base)

    def job_for(self, asset: Asset, route: str) -> ImageJob:
        inputs = tuple(read_input(i.ref, i.path, i.asset_id) for i in asset.inputs)
        mask = read_input("mask", asset.mask, None) if asset.mask else None
        if mask is not None and inputs and (mask.width, mask.height) != (
                inputs[0].width, inputs[0].height):
            raise ImageError(f"mask {self.manifest.rel(mask.path)} is {mask.width}x{mask.height}"
                             f" but the first input is {inputs[0].width}x{inputs[0].height}",
                             hint="a mask must have the same size as the image it edits")
        return ImageJob(asset=asset, prompt=request_prompt(asset), model=asset.model,
                        size=asset.size, quality=asset.quality,
                        output_format=request_format(asset),
                        background=asset.background, inputs=inputs, mask=mask,
                        fidelity=asset.fidelity)

    def check_and_cache(self, route: Route, job: ImageJob, result: RouteResult,
                        generation_hash: str) -> tuple[ImageInfo, str]:
        """Refuse an answer that is not an image or has the wrong size (by its header);
        keep the rest in the masters cache. Returns the header and the master's sha256."""
        try:
            info = imaging.header(result.image)
        except ImageError as exc:
            raise does_not_decode(result, exc) from exc
        max_pixels = getattr(route, "max_pixels", None)
        if max_pixels and info.width * info.height > max_pixels:
            raise PermanentError(
                f"the returned image is {info.width}x{info.height}, more than the "
                f"{max_pixels:,} pixels this route can return; it was not decoded",
                route=result.route, code="too_many_pixels", request_id=result.request_id)
        asked = sizes.parse_size(job.size) if job.size != "auto" else None
        if route.exact_size and asked and (info.width, info.height) != asked:
            raise PermanentError(
                f"the returned image is {info.width}x{info.height}, but {job.size} was asked",
                route=result.route, code="wrong_size", request_id=result.request_id)
        meta = {
            "route": result.route, "model": result.model, "billing": result.billing,
            "request_id": result.request_id, "response_id": result.response_id,
            "revised_prompt": result.revised_prompt, "usage": result.usage,
            "cost_usd": result.cost_usd, "cost_basis": result.cost_basis,
            "extra": result.extra, "width": info.width, "height": info.height,
            "format": info.format, "created_at": _now(),
        }
        return info, self.masters.put(generation_hash, result.image, info.format, meta)

    def record(self, made: _Made, derived: store.Derived, duration: float) -> Record:
        asset, job, result, attempts = made.asset, made.job, made.result, made.attempts
        record = Record(
            asset=asset.id, file=asset.path, sha256=derived.sha256,
            bytes=len(derived.data), width=derived.width, height=derived.height,
            format=derived.format, route=result.route, model=result.model,
            prompt=job.prompt, quality=asset.quality, size=asset.size,
            spec_hash=made.spec_hash, generation_hash=made.generation_hash,
            created_at=_now(), billing=result.billing, request_id=result.request_id,
            response_id=result.response_id, revised_prompt=result.revised_prompt,
            usage=result.usage, cost_usd=result.cost_usd, cost_basis=result.cost_basis,
            background=asset.background, transparent=asset.transparent,
            master=made.master, postprocess=derived.postprocess or None,
            attempts=attempts.count or None, retries=attempts.retries or None,
            duration_s=round(duration, 3),
            inputs=[{"ref": i.ref, "asset": i.asset_id, "path": self.manifest.rel(i.path),
                     "sha256": i.sha256} for i in job.inputs] or None,
            fidelity=job.fidelity if job.inputs else None,
            mask={"path": self.manifest.rel(job.mask.path), "sha256": job.mask.sha256}
            if job.mask is not None else None)
        try:  # checked as a sidecar is: what the server said must be recordable
            return record.with_details(result.extra)
        except CorruptSidecar as exc:
            raise PermanentError(f"the answer cannot be recorded: {exc}", route=result.route,
                                 code="bad_answer", request_id=result.request_id) from exc


@dataclass
class _Made:
    """One answer on its way from the route to the commit."""

    asset: Asset
    job: ImageJob
    result: RouteResult
    checked: Decoded | None  # the decoded master, once `finish` has decoded it
    master: dict[str, Any]
    spec_hash: str
    generation_hash: str
    derivation: dict[str, Any]
    attempts: Attempts
    started: float
    check_alpha: bool


async def _in_pool(pool: Executor, function: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(pool, function, *args)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
