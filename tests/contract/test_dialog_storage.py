"""One contract for the dialog storage, run unchanged on SQLite and on Redis."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import redis.asyncio
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey

from bot.dialog_storage import DIALOG_TTL
from tests.contract.dialog_engines import (  # noqa: F401  (the fixture)
    DialogEngine,
    dialog_engine_fixture,
    engine_settings,
)

BOT_ID = 42


class Invoice(StatesGroup):
    amount = State()
    confirm = State()


def key(user_id: int = 7, **changes: object) -> StorageKey:
    fields: dict[str, object] = {"bot_id": BOT_ID, "chat_id": user_id, "user_id": user_id}
    fields.update(changes)
    return StorageKey(**fields)  # type: ignore[arg-type]


async def test_a_new_key_has_no_state_and_no_data(dialog_engine: DialogEngine) -> None:
    storage = await dialog_engine.open()
    assert await storage.get_state(key()) is None
    assert await storage.get_data(key()) == {}


async def test_state_is_kept_as_set(dialog_engine: DialogEngine) -> None:
    storage = await dialog_engine.open()
    await storage.set_state(key(), Invoice.amount)
    assert await storage.get_state(key()) == "Invoice:amount"
    await storage.set_state(key(), "Invoice:confirm")
    assert await storage.get_state(key()) == Invoice.confirm.state
    await storage.set_state(key(), None)
    assert await storage.get_state(key()) is None


async def test_data_is_kept_as_set_and_merged_by_update(dialog_engine: DialogEngine) -> None:
    storage = await dialog_engine.open()
    data = {"amount": 25050, "description": "Кава «Лате»", "contact": None, "tags": ["a", 1]}
    await storage.set_data(key(), data)
    assert await storage.get_data(key()) == data
    merged = await storage.update_data(key(), {"channel": "email", "amount": 100})
    assert merged == {**data, "channel": "email", "amount": 100}
    assert await storage.get_data(key()) == merged
    read = await storage.get_data(key())
    read["amount"] = 1  # what a handler holds is a copy
    assert (await storage.get_data(key()))["amount"] == 100


async def test_state_and_data_are_independent(dialog_engine: DialogEngine) -> None:
    storage = await dialog_engine.open()
    await storage.set_data(key(), {"amount": 1})
    assert await storage.get_state(key()) is None
    await storage.set_state(key(), Invoice.amount)
    await storage.set_state(key(), None)
    assert await storage.get_data(key()) == {"amount": 1}


async def test_every_part_of_the_key_separates_dialogs(dialog_engine: DialogEngine) -> None:
    storage = await dialog_engine.open()
    base = key()
    others = [
        key(user_id=8),  # another person in their own chat
        key(chat_id=99),  # the same person elsewhere
        key(bot_id=43),  # another bot on the same storage
        key(destiny="settings"),  # another dialog of the same person
        key(thread_id=5),  # a topic
    ]
    await storage.set_state(base, Invoice.confirm)
    await storage.set_data(base, {"amount": 25050})
    for other in others:
        assert await storage.get_state(other) is None, other
        assert await storage.get_data(other) == {}, other
    for number, other in enumerate(others):
        await storage.set_state(other, Invoice.amount)
        await storage.set_data(other, {"amount": number})
    assert await storage.get_state(base) == Invoice.confirm.state
    assert await storage.get_data(base) == {"amount": 25050}
    for number, other in enumerate(others):
        assert await storage.get_data(other) == {"amount": number}, other


async def test_clear_forgets_state_and_data(dialog_engine: DialogEngine) -> None:
    storage = await dialog_engine.open()
    await storage.set_state(key(), Invoice.confirm)
    await storage.set_data(key(), {"idempotency_key": "abc", "amount": 5})
    await storage.set_state(key(8), Invoice.amount)
    # what FSMContext.clear() does
    await storage.set_state(key(), None)
    await storage.set_data(key(), {})
    assert await storage.get_state(key()) is None
    assert await storage.get_data(key()) == {}
    assert await storage.get_state(key(8)) == Invoice.amount.state


async def test_a_dialog_survives_reopening(dialog_engine: DialogEngine) -> None:
    """A restart, or another replica: a new storage object on the same file or server."""
    first = await dialog_engine.open()
    await first.set_state(key(), Invoice.confirm)
    await first.set_data(key(), {"amount": 9990, "currency": "UAH"})
    await dialog_engine.close(first)
    second = await dialog_engine.open()
    assert await second.get_state(key()) == Invoice.confirm.state
    assert await second.get_data(key()) == {"amount": 9990, "currency": "UAH"}
    await second.set_data(key(), {"amount": 1})
    third = await dialog_engine.open()  # two open at once, as two replicas
    assert await third.get_data(key()) == {"amount": 1}


async def test_closing_twice_is_harmless(dialog_engine: DialogEngine) -> None:
    """Polling's own shutdown closes the storage, then bot/app.py closes it again."""
    storage, isolation = await dialog_engine.open_pair()
    await storage.close()
    await isolation.close()
    await dialog_engine.close(storage)


# Redis only: what the contract cannot say about SQLite


async def test_redis_keys_name_the_bot_and_expire_after_a_week(
    fresh_redis_url: str, tmp_path: Path
) -> None:
    engine = DialogEngine(
        "redis", engine_settings("redis", tmp_path / "bot.sqlite3", fresh_redis_url)
    )
    try:
        storage = await engine.open()
        await storage.set_state(key(), Invoice.amount)
        await storage.set_data(key(), {"amount": 1})
        client = redis.asyncio.Redis.from_url(fresh_redis_url)
        try:
            names = sorted(k.decode() for k in await client.keys("*"))
            assert names == [f"fsm:{BOT_ID}:7:7:default:data", f"fsm:{BOT_ID}:7:7:default:state"]
            for name in names:
                ttl = await client.ttl(name)
                assert DIALOG_TTL - timedelta(minutes=1) < timedelta(seconds=ttl) <= DIALOG_TTL
        finally:
            await client.aclose()
    finally:
        await engine.close_all()
