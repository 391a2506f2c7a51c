"""aiogram FSM storage over the dialogs repository of any engine: dialogs survive a restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.protocols.dialogs import DialogRepository


def _key(key: StorageKey) -> str:
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or 0}:{key.destiny}"


class StoreFsmStorage(BaseStorage):
    def __init__(self, dialogs: DialogRepository) -> None:
        self.dialogs = dialogs

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.dialogs.set_state(_key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.dialogs.get_state(_key(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.dialogs.set_data(_key(key), data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.dialogs.get_data(_key(key))

    async def close(self) -> None:
        """The store is closed by its owner."""
