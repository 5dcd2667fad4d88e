from __future__ import annotations

import asyncio

import pytest

from assetgen.build.scheduler import (
    AdaptiveLimiter,
    Attempts,
    Budget,
    RetryPolicy,
    call_with_retries,
)
from assetgen.errors import PermanentError, RateLimited, TransientError


def test_backoff_doubles_from_one_second_with_bounded_jitter() -> None:
    policy = RetryPolicy(base_s=1.0, jitter=0.25)
    for number, nominal in ((1, 1), (2, 2), (3, 4)):
        waits = [policy.wait_for(number, None) for _ in range(50)]
        assert all(nominal * 0.75 <= w <= nominal * 1.25 for w in waits)
        assert len(set(waits)) > 1  # jittered
    assert policy.wait_for(1, 7.0) == 7.0  # Retry-After wins


def test_limiter_halves_on_429_and_climbs_back() -> None:
    async def scenario() -> list[int]:
        limiter = AdaptiveLimiter(8)
        seen = [limiter.limit]
        await limiter.acquire()
        limiter.release(rate_limited=True)
        seen.append(limiter.limit)
        for _ in range(30):
            await limiter.acquire()
            limiter.release()
        seen.append(limiter.limit)
        return seen

    assert asyncio.run(scenario()) == [8, 4, 8]


def test_limiter_caps_requests_in_flight() -> None:
    async def scenario() -> int:
        limiter = AdaptiveLimiter(3)
        peak = 0
        active = 0

        async def job() -> None:
            nonlocal peak, active
            await limiter.acquire()
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1
            limiter.release()

        await asyncio.gather(*(job() for _ in range(12)))
        return peak

    assert asyncio.run(scenario()) == 3


def test_call_with_retries_records_each_retry() -> None:
    calls = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("boom", status=503, request_id=f"req_{len(calls)}")
        return "ok"

    record = Attempts()
    result = asyncio.run(call_with_retries(flaky, limiter=AdaptiveLimiter(2),
                                           policy=RetryPolicy(base_s=0.001), record=record))
    assert result == "ok" and record.count == 3
    assert [r["reason"] for r in record.retries] == ["HTTP 503", "HTTP 503"]
    assert record.retries[0]["request_id"] == "req_1"


def test_permanent_errors_are_not_retried() -> None:
    calls = []

    async def refused() -> None:
        calls.append(1)
        raise PermanentError("no", status=400)

    with pytest.raises(PermanentError):
        asyncio.run(call_with_retries(refused, limiter=AdaptiveLimiter(1),
                                      policy=RetryPolicy(base_s=0.001), record=Attempts()))
    assert len(calls) == 1


def test_rate_limit_pauses_new_starts_for_retry_after() -> None:
    async def scenario() -> float:
        limiter = AdaptiveLimiter(4)
        await limiter.acquire()
        limiter.release(rate_limited=True, retry_after=0.2)
        loop = asyncio.get_running_loop()
        start = loop.time()
        await limiter.acquire()
        return loop.time() - start

    assert asyncio.run(scenario()) >= 0.18


def test_rate_limited_is_transient() -> None:
    assert RateLimited("slow down", status=429).retryable


def test_budget_refuses_what_would_pass_the_cap() -> None:
    budget = Budget(0.10)
    assert budget.reserve("a", 0.06)
    assert not budget.reserve("b", 0.06)
    budget.settle(0.06, 0.02)
    assert budget.spent == pytest.approx(0.02) and budget.reserved == 0
    assert budget.reserve("b", 0.06)
    assert budget.refused == ["b"]
    assert Budget(None).reserve("x", 1e9)
