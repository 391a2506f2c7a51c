"""The end-of-day digest: sums of a Kyiv day (DST-correct), the owner's for the shop and each
cashier's own, once per day even with two replicas, re-scheduled daily and on a time change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from aiogram.methods import SendMessage

from bot.i18n import setup_i18n
from bot.reminders.texts import digest_text
from services.core.crypto import SecretBox
from services.core.money import format_amount
from services.notifications.jobs import NotificationKind
from services.reminders.service import (
    DIGEST,
    day_bounds,
    digest_moment,
    next_digest_day,
)
from storage.models.jobs import JobState
from storage.models.receipts import EventSource, ReceiptChanges, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.conftest import FakeClock
from tests.reminder_fixtures import World, make_world

S = ReceiptStatus
OTHER_CASHIER = 3003


@pytest.fixture
async def world(store: SqliteStore, box: SecretBox, clock: FakeClock) -> AsyncIterator[World]:
    async with make_world(store, box, clock) as made:
        yield made


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def paid_at(world: World, moment: datetime, *, cashier: int, amount: int) -> None:
    receipt = await world.awaiting(cashier_id=cashier, amount=amount)
    moved = await world.store.receipts.transition(
        receipt.id,
        expected=[S.AWAITING],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=world.clock(),
        changes=ReceiptChanges(paid_at=moment, payment_id="1"),
    )
    assert moved is not None


async def digest_jobs(world: World) -> list[tuple[datetime, JobState]]:
    return [(j.run_at, j.state) for j in await world.store.jobs.find(kind=DIGEST)]


def digests_sent(world: World) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for r in world.session.requests:
        if isinstance(r, SendMessage) and "Підсумок дня" in r.text:
            out.setdefault(int(r.chat_id), []).append(r.text)
    return out


def test_digest_time_is_kyiv_wall_clock_across_dst() -> None:
    assert digest_moment(date(2026, 3, 28), 20 * 60) == utc(2026, 3, 28, 18)  # UTC+2
    assert digest_moment(date(2026, 3, 29), 20 * 60) == utc(2026, 3, 29, 17)  # UTC+3
    assert digest_moment(date(2026, 10, 25), 20 * 60) == utc(2026, 10, 25, 18)
    start, end = day_bounds(date(2026, 10, 25))
    assert (start, end - start) == (utc(2026, 10, 24, 21), timedelta(hours=25))
    start, end = day_bounds(date(2026, 3, 29))
    assert (start, end - start) == (utc(2026, 3, 28, 22), timedelta(hours=23))
    assert next_digest_day(utc(2026, 11, 27, 17, 59), 20 * 60) == date(2026, 11, 27)
    assert next_digest_day(utc(2026, 11, 27, 18, 0), 20 * 60) == date(2026, 11, 28)


async def test_digest_sums_a_kyiv_day_for_the_owner_and_each_cashier(world: World) -> None:
    store, shop, clock = world.store, world.shop, world.clock
    now = clock()  # 2026-11-27 12:00 UTC, 14:00 in Kyiv (UTC+2)
    await store.shops.create_invite(shop.shop_id, "second", shop.owner_id, now, now + timedelta(1))
    await store.shops.redeem_invite("second", OTHER_CASHIER, "Idle", now)
    cashier = shop.cashier_id
    # the Kyiv day 27.11 is [26.11 22:00 UTC, 27.11 22:00 UTC)
    await paid_at(world, utc(2026, 11, 26, 21, 59, 59), cashier=cashier, amount=100_000)  # 26th
    await paid_at(world, utc(2026, 11, 26, 22, 0), cashier=cashier, amount=1_000)
    await paid_at(world, utc(2026, 11, 27, 20, 59), cashier=cashier, amount=2_050)
    for amount in (10, 20, 30):
        await paid_at(world, utc(2026, 11, 27, 9), cashier=shop.owner_id, amount=amount)
    await paid_at(world, utc(2026, 11, 27, 22, 0), cashier=cashier, amount=500_000)  # the 28th
    refunded = await world.awaiting(cashier_id=cashier, amount=7_000)
    await world.close(refunded, S.PAID)
    await store.receipts.transition(
        refunded.id, expected=[S.PAID], new=S.REFUNDED, source=EventSource.USER, now=now
    )
    await world.close(await world.awaiting(cashier_id=cashier, amount=9_000), S.CANCELLED)
    await world.awaiting(cashier_id=cashier, amount=4_400, lifetime=timedelta(days=3))
    await world.awaiting(cashier_id=cashier, amount=50, lifetime=timedelta(hours=1))  # lapses

    await world.reminders.set_switch(world.owner, DIGEST, True)
    assert await digest_jobs(world) == [(utc(2026, 11, 27, 18), JobState.PENDING)]
    await world.reminders.set_digest_time(world.owner, 23 * 60)
    assert [run for run, _ in await digest_jobs(world)] == [
        utc(2026, 11, 27, 18),
        utc(2026, 11, 27, 21),
    ]

    clock.now = utc(2026, 11, 27, 18)  # 20:00, no longer the digest's time: nothing
    await asyncio.gather(world.worker("a").drain(), world.worker("b").drain())
    assert await world.notices(NotificationKind.DIGEST) == []

    clock.now = utc(2026, 11, 27, 21)  # 23:00 Kyiv, two replicas at once
    await asyncio.gather(world.worker("a").drain(), world.worker("b").drain())
    await asyncio.gather(world.worker("a").drain(), world.worker("b").drain())
    notices = await world.notices(NotificationKind.DIGEST)
    assert sorted(j.payload["chat_id"] for j in notices) == sorted([shop.owner_id, cashier])
    assert await digest_jobs(world) == [
        (utc(2026, 11, 27, 18), JobState.DONE),
        (utc(2026, 11, 27, 21), JobState.DONE),
        (utc(2026, 11, 28, 21), JobState.PENDING),  # tomorrow's, once
    ]
    await world.outbox().drain()
    sent = digests_sent(world)
    assert OTHER_CASHIER not in sent  # nothing paid, nothing awaiting: no message
    [owner_text] = sent[shop.owner_id]
    [cashier_text] = sent[cashier]
    assert "27.11.2026" in owner_text
    assert f"Надійшло: 5 чеків, {format_amount(3_110)}" in owner_text
    assert f"Ще очікує оплати: 1 чек, {format_amount(4_400)}" in owner_text
    assert f"Надійшло: 2 чеки, {format_amount(3_050)}" in cashier_text
    assert "Ваші чеки." in cashier_text and "Ваші чеки." not in owner_text

    clock.now = utc(2026, 11, 28, 21)
    await world.worker("a").drain()
    await world.outbox().drain()
    assert len(digests_sent(world)[shop.owner_id]) == 2
    # the receipt paid at Kyiv midnight counts on the 28th
    assert f"Надійшло: 1 чек, {format_amount(500_000)}" in digests_sent(world)[shop.owner_id][1]


async def test_digest_switched_off_sends_nothing_and_stops_the_chain(world: World) -> None:
    await world.reminders.set_switch(world.owner, DIGEST, True)
    await world.reminders.set_switch(world.owner, DIGEST, False)
    world.clock.now = utc(2026, 11, 27, 18)
    await world.worker().drain()
    assert await world.notices(NotificationKind.DIGEST) == []
    assert await digest_jobs(world) == [(utc(2026, 11, 27, 18), JobState.DONE)]


async def test_the_next_digest_follows_the_dst_change(world: World) -> None:
    world.clock.now = utc(2026, 3, 28, 12)
    await world.reminders.set_switch(world.owner, DIGEST, True)
    world.clock.now = utc(2026, 3, 28, 18)
    await world.worker().drain()
    assert await digest_jobs(world) == [
        (utc(2026, 3, 28, 18), JobState.DONE),
        (utc(2026, 3, 29, 17), JobState.PENDING),  # 20:00 in summer time
    ]
    assert len(await world.notices(NotificationKind.DIGEST)) == 1  # the owner's, an empty day


def test_digest_texts_in_both_languages() -> None:
    setup_i18n()
    empty = {"day": "2026-11-27", "paid": [], "unpaid": []}
    assert digest_text(empty, "en").splitlines()[1] == (
        "Nothing came in today, and nothing is awaiting payment."
    )
    assert "Сьогодні надходжень не було" in digest_text(empty, "uk")
    payload = {"day": "2026-11-27", "paid": [["UAH", 1, 100]], "unpaid": [["UAH", 21, 5]]}
    english = digest_text(payload, "en")
    assert f"Came in: 1 receipt, {format_amount(100)}" in english
    assert f"Still awaiting payment: 21 receipts, {format_amount(5)}" in english
    ukrainian = digest_text(payload, "uk")
    assert "Надійшло: 1 чек" in ukrainian and "Ще очікує оплати: 21 чек," in ukrainian
