"""aiogram FSM storage on the SQLite store: dialogs survive a restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.sqlite import SqliteStore


def _key(key: StorageKey) -> str:
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or 0}:{key.destiny}"


class SqliteFsmStorage(BaseStorage):
    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self.store.set_dialog_state(_key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.store.dialog_state(_key(key))

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.store.set_dialog_data(_key(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.store.dialog_data(_key(key))

    async def close(self) -> None:
        """The store is closed by its owner."""
