"""How requests are paced: retries with backoff, adaptive concurrency, the budget.

Every wait here is capped at ``MAX_WAIT_S`` whatever a server says (SPEC section 10),
and every wait is cancellation-safe: an interrupt during a long pause ends at once.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from assetgen.core.waits import MAX_WAIT_S, capped_wait
from assetgen.errors import RateLimited, RouteError

T = TypeVar("T")


class Clock(Protocol):
    """Where waits take their time from; tests inject a fake one to wait for nothing."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class RetryPolicy(NamedTuple):
    """Exponential backoff from ``base_s`` (1/2/4 s…) with jitter; Retry-After wins."""

    max_retries: int = 4
    base_s: float = 1.0
    jitter: float = 0.25  # ± fraction of the wait

    @classmethod
    def from_env(cls) -> RetryPolicy:
        # ASSETGEN_RETRY_BASE_S shortens waits for tests and benchmarks only.
        base = os.environ.get("ASSETGEN_RETRY_BASE_S")
        return cls(base_s=float(base)) if base else cls()

    def wait_for(self, retry_number: int, retry_after: float | None) -> float:
        suggested = capped_wait(retry_after)
        if suggested is not None:
            return suggested
        wait = self.base_s * (2 ** (retry_number - 1))
        wait *= 1 + random.uniform(-self.jitter, self.jitter)
        return min(MAX_WAIT_S, max(0.0, wait))


@dataclass
class Attempts:
    """What retrying cost one asset, for its sidecar and the summary."""

    count: int = 0
    retries: list[dict[str, Any]] = field(default_factory=list)


class AdaptiveLimiter:
    """At most ``limit`` requests in flight; halves on 429, climbs back on success.

    After a 429 with Retry-After, no new request starts before that time (at most
    MAX_WAIT_S ahead), so a rate-limited burst does not keep hammering the server.
    No lock or Condition: a cancelled waiter must never have to re-take a lock
    (on Python 3.11 that hung Ctrl-C and SIGTERM during a pause); waiters sleep or
    wait on an Event that is set and replaced whenever a slot frees.
    """

    def __init__(self, maximum: int, *, clock: Clock | None = None) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.in_flight = 0
        self.clock: Clock = clock or SystemClock()
        self._successes = 0
        self._paused_until = 0.0
        self._last_cut = -math.inf
        self._changed = asyncio.Event()

    def pause_left(self) -> float:
        return min(MAX_WAIT_S, max(0.0, self._paused_until - self.clock.monotonic()))

    async def acquire(self) -> None:
        while True:
            pause = self.pause_left()
            if pause > 0:
                await self.clock.sleep(pause)
                continue
            if self.in_flight < self.limit:
                self.in_flight += 1
                return
            await self._changed.wait()

    def release(self, *, rate_limited: bool = False, retry_after: float | None = None) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        now = self.clock.monotonic()
        if rate_limited:
            # One cut per burst: the 429s of requests already in flight
            # describe the same overload.
            if now - self._last_cut > 1.0:
                self.limit = max(1, self.limit // 2)
                self._last_cut = now
            self._successes = 0
            pause = capped_wait(retry_after)
            if pause:
                self._paused_until = max(self._paused_until, now + pause)
        else:
            self._successes += 1
            if self.limit < self.maximum and self._successes >= self.limit:
                self.limit += 1
                self._successes = 0
        self._changed.set()
        self._changed = asyncio.Event()


class Budget:
    """`--max-cost`: refuse to start what could take spending past the cap."""

    def __init__(self, max_usd: float | None) -> None:
        self.max_usd = max_usd
        self.spent = 0.0
        self.reserved = 0.0
        self.refused: list[str] = []

    def reserve(self, asset_id: str, estimate: float) -> bool:
        if self.max_usd is not None and estimate > 0 \
                and self.spent + self.reserved + estimate > self.max_usd + 1e-9:
            self.refused.append(asset_id)
            return False
        self.reserved += estimate
        return True

    def settle(self, estimate: float, actual: float | None) -> None:
        self.reserved = max(0.0, self.reserved - estimate)
        self.spent += actual if actual is not None else estimate


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]], *, limiter: AdaptiveLimiter, policy: RetryPolicy,
    record: Attempts, on_retry: Callable[[RouteError, float], None] | None = None,
) -> T:
    """Run ``attempt`` under the limiter, retrying transient RouteErrors."""
    while True:
        await limiter.acquire()
        record.count += 1
        try:
            result = await attempt()
        except RouteError as exc:
            limited = isinstance(exc, RateLimited)
            limiter.release(rate_limited=limited, retry_after=exc.retry_after)
            retry_number = len(record.retries) + 1
            if not exc.retryable or retry_number > policy.max_retries:
                raise
            wait = policy.wait_for(retry_number, exc.retry_after)
            # An error status names itself; a 200 with a cut-off body names the problem.
            reason = f"HTTP {exc.status}" if exc.status and exc.status >= 400 \
                else (exc.code or "error")
            record.retries.append({"reason": reason, "wait_s": round(wait, 3),
                                   "request_id": exc.request_id})
            if on_retry is not None:
                on_retry(exc, wait)
            await limiter.clock.sleep(wait)
        except BaseException:
            limiter.release()
            raise
        else:
            limiter.release()
            return result
