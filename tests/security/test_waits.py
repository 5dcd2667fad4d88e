"""Waits and interrupts: no server can stall a build (SPEC section 10).

Every wait is capped at 120 s whatever `Retry-After` says, an unusable value is
treated as absent (never a crash), and SIGTERM or Ctrl-C during a long pause ends
the build with exit 130 at once, leaving nothing half-written.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from assetgen.build.scheduler import (
    AdaptiveLimiter,
    Attempts,
    RetryPolicy,
    call_with_retries,
)
from assetgen.commands import build as build_command
from assetgen.core.waits import MAX_WAIT_S, parse_retry_after
from assetgen.errors import RateLimited
from assetgen.routes.http import raise_for_status, retry_after_of
from tests.fakes.clock import AutojumpClock, FakeClock, StampingTransport
from tests.fakes.emulator import Emulator
from tests.fakes.reliability import leftovers, many_asset_manifest, spawn, subprocess_env
from tests.fakes.sites import write_site

GENERATIONS = "/v1/images/generations"
NOW = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
FAR_FUTURE_DATE = format_datetime(datetime(2099, 1, 1, tzinfo=UTC), usegmt=True)


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(("header", "expected"), [
    ("3", 3.0),
    ("0", 0.0),
    ("999999", MAX_WAIT_S),
    ("1e999", MAX_WAIT_S),  # overflows to inf
    ("inf", MAX_WAIT_S),
    ("Infinity", MAX_WAIT_S),
    (FAR_FUTURE_DATE, MAX_WAIT_S),
    (format_datetime(datetime(2029, 12, 31, 23, 59, 50, tzinfo=UTC), usegmt=True), 0.0),
    (format_datetime(datetime(2030, 1, 1, 0, 0, 30, tzinfo=UTC), usegmt=True), 30.0),
    ("nan", None),
    ("-5", None),
    ("-inf", None),
    ("garbage", None),
    ("Mon, 99 Foo 2099 99:99:99 GMT", None),
    ("", None),
    ("   ", None),
])
def test_retry_after_is_capped_and_garbage_is_absent(header: str, expected: float | None) -> None:
    assert parse_retry_after(None, header, now=NOW) == expected


@pytest.mark.parametrize(("header_ms", "expected"), [
    ("1500", 1.5),
    ("999999999", MAX_WAIT_S),
    ("inf", MAX_WAIT_S),
    ("nan", 7.0),  # unusable: the Retry-After header beside it decides
    ("-5", 7.0),
    ("garbage", 7.0),
])
def test_retry_after_ms_is_capped_too(header_ms: str, expected: float) -> None:
    assert parse_retry_after(header_ms, "7", now=NOW) == expected


@pytest.mark.parametrize("header", ["garbage", "nan", "-5", "inf", "999999", FAR_FUTURE_DATE])
def test_a_429_with_a_hostile_retry_after_is_a_rate_limit_not_a_crash(header: str) -> None:
    response = httpx.Response(429, headers={"retry-after": header},
                              json={"error": {"message": "slow down"}},
                              request=httpx.Request("POST", "https://api.example/v1/x"))
    wait = retry_after_of(response)
    assert wait is None or 0 <= wait <= MAX_WAIT_S
    with pytest.raises(RateLimited) as caught:
        raise_for_status(response, "images.generate")
    assert caught.value.retry_after == wait


def test_the_retry_wait_is_capped_even_if_handed_a_huge_value() -> None:
    policy = RetryPolicy(base_s=1.0)
    assert policy.wait_for(1, 999999.0) == MAX_WAIT_S
    assert policy.wait_for(1, float("inf")) == MAX_WAIT_S
    assert 0.75 <= policy.wait_for(1, float("nan")) <= 1.25  # unusable: plain backoff
    assert policy.wait_for(30, None) == MAX_WAIT_S  # 2**29 s of backoff


# --------------------------------------------------------------------------- the limiter


def test_the_limiter_pause_is_capped_at_120_seconds() -> None:
    clock = FakeClock()

    async def scenario() -> float:
        limiter = AdaptiveLimiter(4, clock=clock)
        await limiter.acquire()
        limiter.release(rate_limited=True, retry_after=999999.0)
        assert limiter.pause_left() == MAX_WAIT_S
        started = clock.now
        await limiter.acquire()
        return clock.now - started

    assert asyncio.run(scenario()) == MAX_WAIT_S
    assert max(clock.sleeps) <= MAX_WAIT_S


@pytest.mark.parametrize("retry_after", [float("inf"), float("nan"), -5.0])
def test_the_limiter_survives_non_numbers(retry_after: float) -> None:
    clock = FakeClock()

    async def scenario() -> None:
        limiter = AdaptiveLimiter(2, clock=clock)
        await limiter.acquire()
        limiter.release(rate_limited=True, retry_after=retry_after)
        await limiter.acquire()

    asyncio.run(scenario())
    assert clock.now <= MAX_WAIT_S


def test_waiters_cancelled_twice_during_a_pause_leave_at_once() -> None:
    async def scenario() -> tuple[float, int]:
        limiter = AdaptiveLimiter(1)  # the real clock: a 100 s pause is really 100 s
        await limiter.acquire()  # the one slot is taken: these wait for it...
        full = [asyncio.create_task(limiter.acquire()) for _ in range(3)]
        await asyncio.sleep(0.01)
        limiter.release(rate_limited=True, retry_after=100.0)  # ...then for a 100 s pause
        paused = [asyncio.create_task(limiter.acquire()) for _ in range(3)]
        await asyncio.sleep(0.05)
        started = time.monotonic()
        for waiter in paused + full:
            waiter.cancel()
            waiter.cancel()  # twice: what hung Condition.wait() on Python 3.11
        results = await asyncio.gather(*paused, *full, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        return time.monotonic() - started, limiter.in_flight

    elapsed, in_flight = asyncio.run(asyncio.wait_for(scenario(), 5.0))
    assert elapsed < 0.5 and in_flight == 0


def test_retries_and_pauses_with_a_fake_clock_never_wait_more_than_120_s() -> None:
    clock = FakeClock()
    calls: list[float] = []

    async def always_limited() -> None:
        calls.append(clock.now)
        raise RateLimited("slow down", status=429, retry_after=999999.0)

    async def scenario() -> None:
        limiter = AdaptiveLimiter(2, clock=clock)
        await asyncio.gather(*(call_with_retries(always_limited, limiter=limiter,
                                                 policy=RetryPolicy(), record=Attempts())
                               for _ in range(3)), return_exceptions=True)

    asyncio.run(scenario())
    assert len(calls) == 3 * 5  # 1 attempt + 4 retries each
    assert max(clock.sleeps) <= MAX_WAIT_S
    assert all(b - a <= MAX_WAIT_S for a, b in itertools.pairwise(calls))


# --------------------------------------------------------------------------- a real build


@pytest.mark.parametrize(("header", "count"), [
    ("999999", 10), ("inf", 3), (FAR_FUTURE_DATE, 3), ("garbage", 3), ("nan", 3), ("-5", 3),
])
def test_a_rate_limited_build_keeps_sending_within_120_s_of_virtual_time(
        tmp_path: Path, openai_env: Emulator, capsys: pytest.CaptureFixture[str],
        header: str, count: int) -> None:
    site = write_site(tmp_path, many_asset_manifest(count))
    openai_env.inject("429", times=10_000, retry_after=header)
    clock = AutojumpClock()
    transport = StampingTransport(clock)
    result = build_command.run(None, site, [], transport=transport, clock=clock)
    assert result.exit_code == 1  # every asset failed after its retries, none hung or crashed
    outcomes = result.outcomes or []
    assert [o.action for o in outcomes] == ["failed"] * count
    assert all("HTTP 429" in (o.error or "") for o in outcomes)
    assert openai_env.count(GENERATIONS) == count * 5  # 1 attempt + 4 retries each
    sent = transport.sent_at
    assert len(sent) == count * 5
    assert max(b - a for a, b in itertools.pairwise(sent)) <= MAX_WAIT_S
    assert max(clock.sleeps) <= MAX_WAIT_S
    if header in ("garbage", "nan", "-5"):  # absent: the (test-shortened) backoff applies
        assert max(clock.sleeps) < 1.0


# --------------------------------------------------------------------------- interrupts


def _stderr_lines(process: subprocess.Popen[bytes]) -> list[bytes]:
    lines: list[bytes] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupt_during_a_long_pause_exits_130_within_2_s(
        tmp_path: Path, emulator: Emulator, signum: signal.Signals) -> None:
    # More assets than slots: most tasks wait in the limiter's pause, which is where
    # Python 3.11 hung (a Condition.wait() cancelled twice re-takes its lock).
    site = write_site(tmp_path, many_asset_manifest(10))
    emulator.inject("429", times=10_000, retry_after=100)
    process = spawn(site, subprocess_env(emulator), "build", "--concurrency", "2")
    lines = _stderr_lines(process)
    deadline = time.monotonic() + 30
    while sum(b"retrying in 100.0s" in line for line in lines) < 2:
        assert process.poll() is None and time.monotonic() < deadline, lines
        time.sleep(0.02)
    time.sleep(0.2)  # every other task is now parked in the limiter's pause
    assert emulator.count(GENERATIONS) == 2
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        code = process.wait(timeout=2)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"{signum.name} during a Retry-After pause did not end the build in 2 s")
    assert code == 130 and time.monotonic() - sent < 2
    time.sleep(0.1)  # let the reader thread drain the pipe
    text = b"".join(lines)
    assert b"interrupted" in text and b"Traceback" not in text
    assert leftovers(site) == []
    assert emulator.count(GENERATIONS) == 2  # nothing was sent after the signal
