"""The base of every HTTP stand-in: an aiohttp app on 127.0.0.1 at a free port, with a
record of the requests it was sent."""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from aiohttp import web

RecordT = TypeVar("RecordT")


class LocalServer(Generic[RecordT]):
    """`await start()` (or `async with`), point the code under test at `url`, `await stop()`.

    Subclasses build their routes in `make_app` and append to `requests`; `stop` is where
    they release what they hold before the server goes (call `super().stop()` last)."""

    def __init__(self) -> None:
        self.url = ""
        self.requests: list[RecordT] = []
        self._runner: web.AppRunner | None = None

    def make_app(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> Self:
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
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
