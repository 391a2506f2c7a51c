"""Two updates from one person take turns: in one process on SQLite (SimpleEventIsolation),
and across two dispatchers — two replicas — on one Redis (RedisEventIsolation). Without
isolation the same two updates overlap and one dialog step is lost, so the test can fail."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

import pytest
from aiogram import Dispatcher, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import DisabledEventIsolation, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisEventIsolation
from aiogram.types import Message

from tests.contract.dialog_engines import (  # noqa: F401  (the fixture)
    DialogEngine,
    dialog_engine_fixture,
)
from tests.doubles.recording_bot import make_bot, person, text_update

STEP = 0.2  # how long a handler holds the dialog: long enough for the other to arrive
on_redis = pytest.mark.parametrize("dialog_engine", ["redis"], indirect=True)
on_sqlite = pytest.mark.parametrize("dialog_engine", ["sqlite"], indirect=True)


@dataclass
class Trace:
    """When each handler ran, on which replica."""

    spans: list[tuple[str, float, float]] = field(default_factory=list)

    def overlapping(self) -> bool:
        ordered = sorted(self.spans, key=lambda span: span[1])
        return any(later[1] < earlier[2] for earlier, later in itertools.pairwise(ordered))


def replica(
    name: str, storage: BaseStorage, isolation: BaseEventIsolation, trace: Trace
) -> Dispatcher:
    """A dispatcher whose one handler reads the dialog, works a while, and writes it back."""
    router = Router()

    @router.message()
    async def count(message: Message, state: FSMContext) -> None:
        started = asyncio.get_running_loop().time()
        seen = int((await state.get_data()).get("steps", 0))
        await asyncio.sleep(STEP)
        await state.set_data({"steps": seen + 1})
        trace.spans.append((name, started, asyncio.get_running_loop().time()))

    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.include_router(router)
    return dp


async def steps_of(storage: BaseStorage, user_id: int) -> int:
    bot, _ = make_bot()
    key = StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id)
    return int((await storage.get_data(key)).get("steps", 0))


@on_redis
async def test_two_replicas_on_redis_take_turns_for_one_person(
    dialog_engine: DialogEngine,
) -> None:
    (storage_a, isolation_a), (storage_b, isolation_b) = [
        await dialog_engine.open_pair() for _ in range(2)
    ]
    assert isinstance(isolation_a, RedisEventIsolation)
    assert storage_a is not storage_b  # separate connections, as separate processes have
    trace = Trace()
    a = replica("a", storage_a, isolation_a, trace)
    b = replica("b", storage_b, isolation_b, trace)
    bot, _ = make_bot()
    olena = person(501)
    await asyncio.gather(
        a.feed_update(bot, text_update(olena, "1")), b.feed_update(bot, text_update(olena, "2"))
    )
    assert {span[0] for span in trace.spans} == {"a", "b"}
    assert not trace.overlapping(), trace.spans
    assert await steps_of(storage_a, olena.id) == 2  # neither step was lost


@on_sqlite
async def test_one_process_on_sqlite_takes_turns_for_one_person(
    dialog_engine: DialogEngine,
) -> None:
    storage, isolation = await dialog_engine.open_pair()
    assert isinstance(isolation, SimpleEventIsolation)
    trace = Trace()
    dp = replica("one", storage, isolation, trace)
    bot, _ = make_bot()
    olena = person(501)
    await asyncio.gather(
        dp.feed_update(bot, text_update(olena, "1")), dp.feed_update(bot, text_update(olena, "2"))
    )
    assert len(trace.spans) == 2
    assert not trace.overlapping(), trace.spans
    assert await steps_of(storage, olena.id) == 2


async def test_different_people_are_not_kept_waiting(dialog_engine: DialogEngine) -> None:
    """The lock is per person: two people's updates run side by side."""
    storage_a, isolation_a = await dialog_engine.open_pair()
    trace = Trace()
    a = replica("a", storage_a, isolation_a, trace)
    b = a  # one process on SQLite; on Redis a second replica
    if dialog_engine.name == "redis":
        b = replica("b", *(await dialog_engine.open_pair()), trace)
    bot, _ = make_bot()
    await asyncio.gather(
        a.feed_update(bot, text_update(person(601), "1")),
        b.feed_update(bot, text_update(person(602), "1")),
    )
    assert trace.overlapping(), trace.spans


async def test_without_isolation_one_persons_updates_overlap_and_a_step_is_lost(
    dialog_engine: DialogEngine,
) -> None:
    """What the tests above guard against, and proof that they can fail."""
    (storage_a, _), (storage_b, _) = [await dialog_engine.open_pair() for _ in range(2)]
    trace = Trace()
    a = replica("a", storage_a, DisabledEventIsolation(), trace)
    b = replica("b", storage_b, DisabledEventIsolation(), trace)
    bot, _ = make_bot()
    olena = person(701)
    await asyncio.gather(
        a.feed_update(bot, text_update(olena, "1")), b.feed_update(bot, text_update(olena, "2"))
    )
    assert trace.overlapping(), trace.spans
    assert await steps_of(storage_a, olena.id) == 1
