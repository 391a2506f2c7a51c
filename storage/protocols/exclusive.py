from __future__ import annotations

from typing import Protocol


class ExclusiveHold(Protocol):
    """A database-wide hold taken by one holder at a time (see Store.hold_exclusive)."""

    @property
    def held(self) -> bool:
        """Still held: not released, and the engine has not lost it."""
        ...

    async def release(self) -> None:
        """Let the next holder take it; safe to call twice."""
        ...
