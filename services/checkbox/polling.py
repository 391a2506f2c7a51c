"""Asking Checkbox again and again until an answer is final (a shift opened, a receipt
registered), with a growing pause, within a time budget."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Polling:
    delay: float = 0.5
    max_delay: float = 3.0

    async def until(
        self, fetch: Callable[[], Awaitable[_T]], done: Callable[[_T], bool], budget: float
    ) -> _T:
        """fetch() until done(), with a growing pause; the last answer when time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        delay = self.delay
        while True:
            answer = await fetch()
            if done(answer) or loop.time() + delay > deadline:
                return answer
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self.max_delay)
