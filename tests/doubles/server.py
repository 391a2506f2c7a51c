"""The base of every HTTP stand-in: an aiohttp app on 127.0.0.1 at a free port, with a
record of the requests it was sent, and an optional network latency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

from aiohttp import web

RecordT = TypeVar("RecordT")

# seconds a call waits before it is answered: fixed, or drawn per call (a distribution)
Latency = float | Callable[[], float]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Timing:
    """When one call reached the stand-in and when its answer left (time.monotonic()),
    with the stand-in's record of it (None for calls it does not record)."""

    what: str
    arrived: float
    answered: float | None = None
    status: int | None = None
    delay: float = 0.0
    record: Any = None


class LocalServer(Generic[RecordT]):
    """`await start()` (or `async with`), point the code under test at `url`, `await stop()`.

    Subclasses build their routes in `make_app` and append to `requests` (setting
    `request["record"]` to the record ties it to its `Timing`); `stop` is where they release
    what they hold before the server goes (call `super().stop()` last).

    `latency` (seconds, or a callable returning seconds) is waited before every call is
    handled; `timings` holds every call's arrival and answer times, in arrival order."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[RecordT] = []
        self.latency: Latency = 0.0
        self.timings: list[Timing] = []
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        raise NotImplementedError

    def delays(self, request: web.Request) -> bool:
        """Whether `latency` applies to this call (a long poll, say, waits on its own)."""
        return True

    def describe(self, request: web.Request, record: Any) -> str:
        """A call's name in `timings` (subclasses name it after the API's method)."""
        return f"{request.method} {request.path}"

    def next_latency(self) -> float:
        latency = self.latency
        return max(0.0, float(latency() if callable(latency) else latency))

    @web.middleware
    async def _timed(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        timing = Timing(f"{request.method} {request.path}", time.monotonic())
        self.timings.append(timing)
        if self.delays(request):
            timing.delay = self.next_latency()
            if timing.delay:
                await asyncio.sleep(timing.delay)
        try:
            response = await handler(request)
            timing.status = response.status
            return response
        finally:
            timing.answered = time.monotonic()
            timing.record = request.get("record")
            timing.what = self.describe(request, timing.record)

    async def start(self) -> Self:
        app = self.make_app()
        app.middlewares.insert(0, self._timed)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        await self.stop()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
