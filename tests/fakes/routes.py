"""A route that needs no network: the build engine's seam, tested directly.

`FakeRoute` implements `assetgen.routes.base.Route` (like llm's `MockModel` or httpx's
`MockTransport`): for each asset id it plays a script of answers, each either an
exception to raise or `None` for a PNG of the asked size; it records every job and
how many jobs were in flight at once. Inject it with `routes=FakeRoute(...).factory`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from assetgen.manifest import Asset
from assetgen.routes.base import ImageJob, Route, RouteFactory, RouteResult
from tests.fakes.sites import png_bytes

Answer = BaseException | None  # None: a PNG of the asked size


@dataclass
class FakeRoute:
    name: str = "images"
    billing: str = "openai-api"
    exact_size: bool = True
    cost_usd: float | None = 0.01
    hold_s: float = 0.0  # how long each job stays in flight (real time, keep it tiny)
    max_concurrency: int | None = None  # a route's own cap, as codex sets
    scripts: Mapping[str, Iterable[Answer]] = field(default_factory=dict)
    jobs: list[ImageJob] = field(default_factory=list)
    preflighted: list[list[str]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._plays = {asset_id: iter(list(answers)) for asset_id, answers in
                       self.scripts.items()}

    def preflight(self, assets: list[Asset]) -> None:
        self.preflighted.append([a.id for a in assets])

    async def run(self, job: ImageJob) -> RouteResult:
        self.jobs.append(job)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.hold_s)
            answer = next(self._plays.get(job.asset.id, iter(())), None)
            if answer is not None:
                raise answer
            width, _, height = job.size.partition("x")
            image = png_bytes(int(width), int(height)) if job.size != "auto" \
                else png_bytes(64, 64)
            return RouteResult(image=image, route=f"{self.name}.generate", model=job.model,
                               billing=self.billing, request_id=f"req_{job.asset.id}",
                               cost_usd=self.cost_usd, cost_basis="usage")
        finally:
            self.in_flight -= 1

    def calls(self, asset_id: str) -> int:
        return sum(1 for job in self.jobs if job.asset.id == asset_id)

    @property
    def factory(self) -> RouteFactory:
        """The engine's `routes` argument: this route for its own name, nothing else."""

        def route(name: str) -> Route:
            assert name == self.name, f"the engine asked for route {name!r}"
            return self

        return route
