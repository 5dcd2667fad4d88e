"""Virtual clocks for the scheduler (`assetgen.build.scheduler.Clock`): waits that take no time.

`FakeClock` suits code that does no I/O of its own: a sleep returns at once and moves
time to where it would end. `AutojumpClock` suits a real build over real HTTP: like
trio's autojump clock, time jumps to the next sleeper's end only when nothing else can
happen (no request in flight and the event loop idle for a moment), so gaps measured
in it are the gaps a real build would show, without waiting for them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator

import httpx


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, target)


class AutojumpClock:
    IDLE_S = 0.02  # real time the loop must stay quiet before virtual time jumps

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.busy = 0  # requests in flight (see StampingTransport)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), woken))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._drive())
        try:
            await woken
        finally:
            woken.cancel()  # a cancelled sleeper is skipped by the driver

    async def _drive(self) -> None:
        while self._sleepers:
            await asyncio.sleep(self.IDLE_S)
            if self.busy:
                continue
            target, _, woken = heapq.heappop(self._sleepers)
            if woken.done():
                continue
            self.now = max(self.now, target)
            woken.set_result(None)
            while self._sleepers and self._sleepers[0][0] <= self.now:
                _, _, other = heapq.heappop(self._sleepers)
                if not other.done():
                    other.set_result(None)


class _CountedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, clock: AutojumpClock) -> None:
        self.inner = inner
        self.clock = clock
        self.open = True

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            yield chunk

    async def aclose(self) -> None:
        if self.open:
            self.open = False
            self.clock.busy -= 1
        await self.inner.aclose()


class StampingTransport(httpx.AsyncBaseTransport):
    """The real transport, noting the virtual time each request is sent at and telling
    the clock while a request (body included) is in flight."""

    def __init__(self, clock: AutojumpClock) -> None:
        self.clock = clock
        self.sent_at: list[float] = []
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent_at.append(self.clock.now)
        self.clock.busy += 1
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            self.clock.busy -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_CountedStream(response.stream, self.clock),
                              extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()
