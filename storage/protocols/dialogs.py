from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class DialogRepository(Protocol):
    """aiogram FSM state and data by storage key, so a restart loses no half-filled dialog."""

    async def get_state(self, key: str) -> str | None: ...

    async def set_state(self, key: str, state: str | None) -> None: ...

    async def get_data(self, key: str) -> dict[str, Any]:
        """{} when nothing was stored."""
        ...

    async def set_data(self, key: str, data: Mapping[str, Any]) -> None:
        """`data` is JSON-able; it replaces what was stored."""
        ...
