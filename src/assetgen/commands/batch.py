"""`assetgen build --batch [--no-wait]`, collection by any build, and `assetgen batch`.

A build takes this path when it was asked for `--batch` or when the state folder holds
batch records: it first finishes interrupted submissions and collects finished batches,
then publishes what they answered through the engine (masters cache → derive → commit,
exactly as a resumed build), submits the pending images-route requests (`--batch`), and
waits for them unless `--no-wait`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assetgen.build import signing
from assetgen.build.batch import Pending, reconcile, submit
from assetgen.build.batch_collect import collect
from assetgen.build.engine import BuildSettings, Engine, Outcome
from assetgen.build.masters import MastersCache
from assetgen.build.planner import (
    AssetStatus,
    Next,
    Planner,
    State,
    generation_hash_of,
    generation_spec,
)
from assetgen.build.submissions import (
    COLLECTED,
    FINAL_STATUSES,
    SUBMITTED,
    LineResult,
    Submission,
    SubmissionStore,
)
from assetgen.commands.build import BuildResult, run_interruptibly, summarise
from assetgen.commands.common import build_session, open_manifest
from assetgen.commands.plan import plan_statuses
from assetgen.commands.reporting import SILENT, Listener
from assetgen.core.hashcache import HashCache
from assetgen.core.remedies import shell_command
from assetgen.core.waits import MAX_WAIT_S
from assetgen.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from assetgen.images.models import BATCH_TIER, STANDARD_TIER
from assetgen.manifest import Manifest
from assetgen.manifest.model_rules import size_warnings
from assetgen.provenance.published import write_assets_json
from assetgen.routes.base import RouteContext, RouteSet
from assetgen.routes.batches import BatchClient
from assetgen.routes.openai_config import OpenAIConfig
from assetgen.routes.tls import client_verify

POLL_START_S = 10.0


def run_build(manifest_path: Path | None, cwd: Path, selected_ids: list[str], *,
              batch: bool, no_wait: bool, force: bool, concurrency: int,
              max_cost: float | None, listener: Listener = SILENT,
              environ: Mapping[str, str] | None = None,
              transport: httpx.AsyncBaseTransport | None = None,
              manifest: Manifest | None = None) -> BuildResult:
    """``manifest``: already loaded (`commands.build.choose`)."""
    env = os.environ if environ is None else environ
    tier = BATCH_TIER if batch else STANDARD_TIER
    planned = plan_statuses(manifest_path, cwd, selected_ids, draft=False, force=force,
                            tier=tier, manifest=manifest)
    manifest, statuses, hashes = planned.manifest, planned.statuses, planned.hashes
    for line in size_warnings(manifest):
        listener.warning(line)
    config = OpenAIConfig.from_env(env, "images")  # collection and submission need a key
    routes = RouteSet(RouteContext(manifest=manifest, client=None, environ=env))
    routes.start_tls(transport)  # a batch build always talks to the API
    requests = [s for s in statuses if s.needs_build and s.next == Next.BUILD]
    for name in sorted({s.route for s in requests}):
        routes(name).preflight([s.asset for s in requests if s.route == name])
    settings = BuildSettings(force=force, concurrency=concurrency, max_cost=max_cost)
    if manifest.signing is not None and manifest.signing.sign:
        # Collected answers are published (and so signed) as a synchronous build's are; a
        # certificate it cannot use fails before any request.
        settings.signing = signing.load_kit(manifest.signing, env)
    job = _BatchBuild(manifest, [s.asset.id for s in statuses], batch=batch, no_wait=no_wait,
                      force=force, tier=tier, hashes=hashes, routes=routes, config=config,
                      settings=settings, listener=listener)
    with build_session(manifest, listener):
        outcomes = run_interruptibly(job.main(transport))
        hashes.save()
        written = write_assets_json(manifest)
    if written is not None:
        listener.note(f"wrote {manifest.rel(written)}")
    return BuildResult(job.statuses, outcomes, summarise(outcomes).exit_code)


class _BatchBuild:
    def __init__(self, manifest: Manifest, ids: list[str], *, batch: bool, no_wait: bool,
                 force: bool, tier: str, hashes: HashCache, routes: RouteSet,
                 config: OpenAIConfig, settings: BuildSettings, listener: Listener) -> None:
        self.manifest, self.ids, self.batch, self.no_wait = manifest, ids, batch, no_wait
        self.force, self.tier, self.hashes = force, tier, hashes
        self.routes, self.config, self.settings = routes, config, settings
        self.listener = listener
        self.records = SubmissionStore(manifest.state_dir, manifest.root)
        self.masters = MastersCache(manifest.masters_folder, root=manifest.root)
        self.statuses: list[AssetStatus] = []
        self.outcomes: dict[str, Outcome] = {}

    async def main(self, transport: Any) -> list[Outcome]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(300.0, connect=30.0),
                                     transport=transport, follow_redirects=False,
                                     verify=await self.routes.client_verify(transport)) as client:
            self.routes.context.client = client
            self.client = BatchClient(client, self.config)
            submissions = self.records.load_all()
            for problem in self.records.problems:
                self.listener.warning(f"batch record {problem}")
            submissions = await reconcile(self.client, self.records, submissions,
                                          self.listener.note)
            await self.collect_all(submissions)
            await self.round(submissions, submit_now=self.batch, force=self.force)
            if self.batch and not self.no_wait:
                submissions = self.records.load_all()
                if await self.wait(submissions):
                    await self.collect_all(submissions)
                    await self.round(submissions, submit_now=False, force=False)
            for submission in self.records.load_all():
                if submission.status == COLLECTED:  # reported and published: done with it
                    self.records.delete(submission)
        return [self.outcomes[i] for i in self.ids if i in self.outcomes]

    async def collect_all(self, submissions: list[Submission]) -> None:
        for submission in submissions:
            if await collect(self.client, self.records, self.masters, submission,
                             self.config.base_url) and submission.results:
                good = sum(1 for r in submission.results.values() if r.ok)
                self.listener.note(f"collected batch {submission.batch_id} "
                                 f"({submission.batch_status}): {good} of "
                                 f"{len(submission.lines)} answered")

    async def round(self, submissions: list[Submission], *, submit_now: bool,
                    force: bool) -> None:
        planner = Planner(self.manifest, force=force, hashes=self.hashes, tier=self.tier)
        statuses = planner.plan([self.manifest.by_id[i] for i in self.ids])
        self.statuses = statuses
        failed = _failed_lines(submissions)
        held: dict[str, str] = {}  # asset id → why it is not run by the engine now
        candidates: list[AssetStatus] = []
        engine_work: list[AssetStatus] = []
        for status in statuses:
            asset = status.asset
            if not status.needs_build:
                self.outcomes.setdefault(asset.id, Outcome(
                    asset.id, "skipped", route=status.route, reason=status.reason,
                    state_before=str(status.state)))
                continue
            waits_on = [d for d in asset.dependencies if d in held]
            if status.state == State.SUBMITTED:
                held[asset.id] = "submitted"
                self.outcomes[asset.id] = Outcome(asset.id, "submitted", route="images",
                                                  reason=status.reason,
                                                  state_before="submitted")
            elif waits_on:
                word = "blocked" if any(held[d] == "failed" for d in waits_on) else "deferred"
                held[asset.id] = "failed" if word == "blocked" else "deferred"
                self.outcomes[asset.id] = Outcome(
                    asset.id, word, route=status.route, state_before=str(status.state),
                    error=f"input `{waits_on[0]}` is not made yet" if word == "blocked"
                    else None, reason=f"waits for `{waits_on[0]}` (in a batch)")
            elif status.generation_hash in failed and (status.next == Next.BUILD
                                                       or status.from_cache):
                # A failed line; one whose master is cached had a malformed usage block:
                # it fails here and a later build publishes it from the masters cache.
                held[asset.id] = "failed"
                self.outcomes[asset.id] = _failed_outcome(status, *failed[
                    status.generation_hash])
            elif submit_now and status.route == "images" and status.next == Next.BUILD:
                held[asset.id] = "submitted"
                candidates.append(status)
            else:
                engine_work.append(status)
        if candidates:
            await self.submit(candidates, planner)
        if engine_work:
            with self.listener.progress(len(engine_work)) as progress:
                engine = Engine(self.manifest, planner, self.settings, self.routes, progress)
                for outcome in await engine.run(engine_work):
                    self.outcomes[outcome.asset_id] = outcome

    async def submit(self, candidates: list[AssetStatus], planner: Planner) -> None:
        budget = self.settings.max_cost
        engine = Engine(self.manifest, planner, self.settings, self.routes, lambda e: None)
        pending: list[Pending] = []
        spent = 0.0
        for status in candidates:
            asset = status.asset
            if budget is not None and spent + status.estimate_usd > budget + 1e-9:
                self.outcomes[asset.id] = Outcome(
                    asset.id, "budget", route="images", estimate_usd=status.estimate_usd,
                    error=f"not submitted: estimated ${status.estimate_usd:.4f} (batch "
                          f"prices) would pass --max-cost ${budget:.2f}")
                continue
            job = await asyncio.to_thread(engine.job_for, asset, "images")
            generation = generation_spec(asset, self.manifest, "images",
                                         {i.ref: i.sha256 for i in job.inputs},
                                         job.mask.sha256 if job.mask else None)
            spent += status.estimate_usd
            pending.append(Pending(job, generation_hash_of(generation), status.estimate_usd))
        made = await submit(self.client, self.records, pending, self.listener.note)
        batch_of = {line.asset: s.batch_id for s in made for line in s.lines}
        for item in pending:
            asset_id = item.job.asset.id
            self.outcomes[asset_id] = Outcome(
                asset_id, "submitted", route="images", billing="openai-api",
                estimate_usd=item.estimate_usd, state_before=str(self._state(asset_id)),
                reason=f"in batch {batch_of.get(asset_id)}")

    def _state(self, asset_id: str) -> str:
        return next((str(s.state) for s in self.statuses if s.asset.id == asset_id), "")

    async def wait(self, submissions: list[Submission]) -> bool:
        """Poll every open batch with a growing interval (capped like every wait) until all
        are final; progress on stderr. True when something finished."""
        interval = float(os.environ.get("ASSETGEN_BATCH_POLL_S", POLL_START_S))
        started = time.monotonic()
        waiting = [s for s in submissions if s.status == SUBMITTED and s.batch_id]
        if not waiting:
            return False
        while True:
            done, total, statuses = 0, 0, []
            for submission in waiting:
                batch = await self.client.retrieve(str(submission.batch_id))
                status = str(batch.get("status"))
                submission.batch_status = status
                counts = batch.get("request_counts")
                if isinstance(counts, dict):
                    done += _int(counts.get("completed")) + _int(counts.get("failed"))
                    total += _int(counts.get("total"))
                statuses.append(status)
            elapsed = int(time.monotonic() - started)
            self.listener.note(f"batch: {done}/{total or '?'} requests done, "
                             f"{', '.join(sorted(set(statuses)))}, {elapsed // 60}m"
                             f"{elapsed % 60:02d}s elapsed")
            if all(s in FINAL_STATUSES for s in statuses):
                return True
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, MAX_WAIT_S)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _failed_lines(submissions: list[Submission]
                  ) -> dict[str, tuple[Submission, LineResult]]:
    failed = {}
    for submission in submissions:
        if submission.status != COLLECTED:
            continue
        for line in submission.lines:
            result = submission.results.get(line.custom_id)
            if result is not None and not result.ok:
                failed[line.generation_hash] = (submission, result)
    return failed


def _failed_outcome(status: AssetStatus, submission: Submission,
                    result: LineResult) -> Outcome:
    rid = f" (request {result.request_id})" if result.request_id else ""
    return Outcome(status.asset.id, "failed", route="images", billing="openai-api",
                   state_before=str(status.state), request_id=result.request_id,
                   error=f"batch {submission.batch_id}: {result.code}: "
                         f"{result.message or 'failed'}{rid}")


# ------------------------------------------------------------------ `assetgen batch`


@dataclass
class BatchRow:
    """One recorded batch, with its live status and counts when it is still open."""

    submission_id: str
    batch_id: str | None
    endpoint: str
    model: str
    created_at: str
    requests: int
    status: str
    total: int
    completed: int = 0
    failed: int = 0
    collected: bool = False


@dataclass
class BatchListResult:
    batches: list[BatchRow]
    problems: list[str] = field(default_factory=list)  # records that could not be read
    exit_code: int = EXIT_OK


@dataclass(frozen=True)
class Cancelled:
    batch_id: str
    status: str  # the batch's status after the cancel request (`cancelling`, ...)


@dataclass
class BatchCancelResult:
    cancelled: list[Cancelled]
    remedy: str  # what collects the lines that finished before the cancellation

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if any(c.status == "error" for c in self.cancelled) else EXIT_OK


def run_list(manifest_path: Path | None, cwd: Path, *,
             environ: Mapping[str, str] | None = None,
             transport: httpx.AsyncBaseTransport | None = None) -> BatchListResult:
    manifest = open_manifest(manifest_path, cwd)
    records = SubmissionStore(manifest.state_dir, manifest.root)
    submissions = records.load_all()
    rows = asyncio.run(_live(submissions, environ, transport)) if submissions else []
    return BatchListResult(rows, problems=list(records.problems))


def run_cancel(manifest_path: Path | None, cwd: Path, batch_id: str | None, *,
               environ: Mapping[str, str] | None = None,
               transport: httpx.AsyncBaseTransport | None = None) -> BatchCancelResult:
    manifest = open_manifest(manifest_path, cwd)
    submissions = [s for s in SubmissionStore(manifest.state_dir, manifest.root).load_all()
                   if s.batch_id and s.status == SUBMITTED]
    if batch_id is not None:
        submissions = [s for s in submissions if s.batch_id == batch_id]
        if not submissions:
            raise UsageError(f"batch {batch_id} is not one this manifest is waiting on",
                             hint=f"`{shell_command('batch')}` lists them")
    cancelled = asyncio.run(_cancel(submissions, environ, transport))
    return BatchCancelResult(cancelled, remedy=shell_command("build"))


@contextlib.asynccontextmanager
async def _batch_client(environ: Mapping[str, str] | None,
                        transport: httpx.AsyncBaseTransport | None
                        ) -> AsyncIterator[BatchClient]:
    """The Batch API client of `assetgen batch` and `batch cancel`, closed after."""
    config = OpenAIConfig.from_env(os.environ if environ is None else environ, "images")
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=30.0),
                                 transport=transport, follow_redirects=False,
                                 verify=client_verify(transport)) as http:
        yield BatchClient(http, config)


async def _live(submissions: list[Submission], environ: Mapping[str, str] | None,
                transport: httpx.AsyncBaseTransport | None) -> list[BatchRow]:
    rows = []
    async with _batch_client(environ, transport) as client:
        for submission in submissions:
            row = BatchRow(
                submission_id=submission.submission_id, batch_id=submission.batch_id,
                endpoint=submission.endpoint, model=submission.model,
                created_at=submission.created_at, requests=len(submission.lines),
                status=submission.batch_status or "preparing",
                total=len(submission.lines), collected=submission.status == COLLECTED)
            if submission.batch_id and submission.status == SUBMITTED:
                batch = await client.retrieve(submission.batch_id)
                row.status = str(batch.get("status"))
                counts = batch.get("request_counts")
                if isinstance(counts, dict):
                    row.total = _int(counts.get("total"))
                    row.completed = _int(counts.get("completed"))
                    row.failed = _int(counts.get("failed"))
            rows.append(row)
    return rows


async def _cancel(submissions: list[Submission], environ: Mapping[str, str] | None,
                  transport: httpx.AsyncBaseTransport | None) -> list[Cancelled]:
    results = []
    async with _batch_client(environ, transport) as client:
        for submission in submissions:
            batch = await client.cancel(str(submission.batch_id))
            results.append(Cancelled(str(submission.batch_id), str(batch.get("status"))))
    return results
