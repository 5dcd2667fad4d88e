"""How requests are paced: retries with backoff, adaptive concurrency, the budget."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from assetgen.errors import RateLimited, RouteError

T = TypeVar("T")
MAX_WAIT_S = 120.0


@dataclass(frozen=True)
class RetryPolicy:
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
        if retry_after is not None:
            return min(MAX_WAIT_S, retry_after)
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

    After a 429 with Retry-After, no new request starts before that time,
    so a rate-limited burst does not keep hammering the server.
    """

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.in_flight = 0
        self._successes = 0
        self._paused_until = 0.0
        self._last_cut = 0.0
        self._changed = asyncio.Condition()

    async def acquire(self) -> None:
        async with self._changed:
            while True:
                pause = self._paused_until - time.monotonic()
                if pause <= 0 and self.in_flight < self.limit:
                    self.in_flight += 1
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(),
                                           timeout=pause if pause > 0 else None)

    async def release(self, *, rate_limited: bool = False,
                      retry_after: float | None = None) -> None:
        async with self._changed:
            self.in_flight -= 1
            now = time.monotonic()
            if rate_limited:
                # One cut per burst: the 429s of requests already in flight
                # describe the same overload.
                if now - self._last_cut > 1.0:
                    self.limit = max(1, self.limit // 2)
                    self._last_cut = now
                self._successes = 0
                if retry_after:
                    self._paused_until = max(self._paused_until, now + retry_after)
            else:
                self._successes += 1
                if self.limit < self.maximum and self._successes >= self.limit:
                    self.limit += 1
                    self._successes = 0
            self._changed.notify_all()


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
            await limiter.release(rate_limited=limited, retry_after=exc.retry_after)
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
            await asyncio.sleep(wait)
        except BaseException:
            await limiter.release()
            raise
        else:
            await limiter.release()
            return result
