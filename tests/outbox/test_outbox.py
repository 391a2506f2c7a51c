"""OutboxSender: exactly-once delivery from the outbox, Telegram's errors, per-chat order."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage

from bot.i18n import DEFAULT_LOCALE, setup_i18n
from bot.outbox.sender import LEASE, OutboxSender
from bot.receipts.notices import notification
from bot.receipts.views import receipt_card
from services.core.clock import utcnow
from services.core.crypto import SecretBox
from services.notifications.jobs import NOTIFY, OutboxSignal, notify_job, recipients
from services.receipts.state import PaymentReport
from storage.models.jobs import NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptChanges, ReceiptStatus
from storage.models.shops import Role
from storage.sqlite.store import SqliteStore
from tests.builders import AMOUNT, Shop, make_receipt, make_shop
from tests.conftest import FakeClock
from tests.doubles.recording_bot import (
    RecordingSession,
    accepted,
    network_error,
    telegram_error,
)
from tests.payment_fixtures import make_service, outbox_rows

S = ReceiptStatus


@pytest.fixture
def session() -> RecordingSession:
    setup_i18n()
    return RecordingSession()


@pytest.fixture
def bot(session: RecordingSession) -> Bot:
    return Bot(token="42:TEST-TOKEN-FOR-TESTS-ONLY", session=session)


@pytest.fixture
async def shop(store: SqliteStore, box: SecretBox, clock: FakeClock) -> Shop:
    return await make_shop(store, box, clock())


def sender(
    store: SqliteStore, bot: Bot, clock: FakeClock, signal: OutboxSignal | None = None, **kw: Any
) -> OutboxSender:
    """A sender over the store; unpaced unless told otherwise."""
    kw.setdefault("per_chat_interval", 0)
    kw.setdefault("global_rate", 10_000)
    return OutboxSender(
        store.jobs, store.receipts, store.users, bot, signal or OutboxSignal(), clock, **kw
    )


async def paid(store: SqliteStore, shop: Shop, clock: FakeClock, **kwargs: Any) -> Receipt:
    """A receipt that just got paid: outbox rows for its cashier and every owner."""
    receipt = await make_receipt(store, shop, clock(), **kwargs)
    moved = await store.receipts.transition(
        receipt.id,
        expected=[S.AWAITING],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=clock(),
        changes=ReceiptChanges(paid_at=clock(), payment_id="1", card_mask="424242*42"),
        jobs=await _recipients(store, receipt, "paid"),
    )
    assert moved is not None
    return moved


async def _recipients(store: SqliteStore, receipt: Receipt, kind: str) -> list[NewJob]:
    owners = await store.shops.member_ids(receipt.shop_id, Role.OWNER)
    return recipients(receipt, kind, owners, await store.shops.member_ids(receipt.shop_id))


async def states(store: SqliteStore) -> list[tuple[int, str, str]]:
    return [(r["chat_id"], r["kind"], r["state"]) for r in await outbox_rows(store)]


async def test_sends_each_notification_once_in_order(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    receipt = await paid(store, shop, clock)
    outbox = sender(store, bot, clock)

    await outbox.drain()

    text = notification("paid", receipt, DEFAULT_LOCALE)
    assert session.chat_texts() == [(shop.cashier_id, text), (shop.owner_id, text)]
    assert await states(store) == [
        (shop.cashier_id, "paid", "done"),
        (shop.owner_id, "paid", "done"),
    ]
    assert all(r["finished_at"] == clock() for r in await outbox_rows(store))
    assert "250,50" in text

    assert await outbox.drain() is False
    clock.advance(hours=1)
    await outbox.drain()
    assert len(session.requests) == 2


async def test_outbox_survives_a_crash_before_sending(
    db_path: Path, box: SecretBox, clock: FakeClock, bot: Bot, session: RecordingSession
) -> None:
    first = await SqliteStore.open(db_path)
    shop = await make_shop(first, box, clock())
    receipt = await make_receipt(first, shop, clock())
    async with aiohttp.ClientSession() as http:
        receipts = make_service(first, http, box, clock)
        report = PaymentReport("success", AMOUNT, "UAH", "77", "424242*42", clock())
        after = await receipts.apply_report(receipt, report, EventSource.CALLBACK)
    assert after.status is S.PAID
    await first.close()  # the process dies here: nothing was sent
    assert session.requests == []

    second = await SqliteStore.open(db_path)
    try:
        await sender(second, bot, clock).drain()
        await sender(second, bot, clock).drain()  # yet another restart
        assert [state for _, _, state in await states(second)] == ["done", "done"]
    finally:
        await second.close()

    text = notification("paid", after, DEFAULT_LOCALE)
    assert session.chat_texts() == [(shop.cashier_id, text), (shop.owner_id, text)]


async def test_retry_after_postpones_until_telegram_allows(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    owner_only = Shop(shop.shop_id, shop.owner_id, shop.owner_id)  # the owner sells: one row
    await paid(store, owner_only, clock)
    session.queue(
        shop.owner_id, telegram_error(429, "Too Many Requests: retry after 1", retry_after=1)
    )
    outbox = sender(store, bot, clock)

    await outbox.drain()

    assert len(session.requests) == 1
    [row] = await outbox_rows(store)
    assert row["state"] == "pending"
    assert row["attempts"] == 1
    assert row["last_error"] == "retry_after"
    assert row["run_at"] == clock() + timedelta(seconds=1)

    clock.advance(seconds=0.5)
    await outbox.drain()
    assert len(session.requests) == 1  # not before Telegram said

    clock.advance(seconds=0.6)
    await outbox.drain()
    await outbox.drain()
    assert len(session.chat_texts()) == 2
    assert [state for _, _, state in await states(store)] == ["done"]


async def test_blocked_user_is_dropped_and_others_still_get_theirs(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.outbox.sender")
    await paid(store, shop, clock)
    session.queue(shop.cashier_id, telegram_error(403, "Forbidden: bot was blocked by the user"))

    await sender(store, bot, clock).drain()

    assert [chat for chat, _ in session.chat_texts()] == [shop.cashier_id, shop.owner_id]
    assert await states(store) == [
        (shop.cashier_id, "paid", "dead"),
        (shop.owner_id, "paid", "done"),
    ]
    dead = (await outbox_rows(store))[0]
    assert "blocked" in dead["last_error"]
    assert any(
        str(shop.cashier_id) in r.getMessage() and "blocked" in r.getMessage()
        for r in caplog.records
    )

    clock.advance(days=1)
    await sender(store, bot, clock).drain()
    assert len(session.requests) == 2  # a dead row is never retried


async def test_network_error_is_retried_later_and_never_duplicated(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    owner_only = Shop(shop.shop_id, shop.owner_id, shop.owner_id)
    await paid(store, owner_only, clock)
    session.queue(shop.owner_id, network_error)
    outbox = sender(store, bot, clock)

    await outbox.drain()

    [row] = await outbox_rows(store)
    assert (row["state"], row["attempts"], row["last_error"]) == (
        "pending",
        1,
        "TelegramNetworkError",
    )
    assert row["run_at"] > clock()
    await outbox.drain()
    assert len(session.requests) == 1

    clock.advance(minutes=10)
    await outbox.drain()
    clock.advance(minutes=10)
    await outbox.drain()

    assert len(session.requests) == 2  # the failed try and one successful send
    assert [state for _, _, state in await states(store)] == ["done"]


async def test_postponed_item_holds_back_later_ones_for_its_chat_only(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    first = await paid(store, shop, clock)  # rows: cashier, owner
    second = await paid(store, shop, clock)  # rows: cashier, owner
    session.queue(shop.cashier_id, network_error)
    outbox = sender(store, bot, clock)

    await outbox.drain()

    # the cashier's first failed, so their second waits; the owner gets both
    assert session.chat_texts()[1:] == [
        (shop.owner_id, notification("paid", first, DEFAULT_LOCALE)),
        (shop.owner_id, notification("paid", second, DEFAULT_LOCALE)),
    ]
    assert [state for _, _, state in await states(store)] == ["pending", "done", "pending", "done"]

    await outbox.drain()  # the cashier's first is not due yet: the second still waits
    assert len(session.requests) == 3

    clock.advance(minutes=10)
    await outbox.drain()
    assert session.chat_texts()[3:] == [
        (shop.cashier_id, notification("paid", first, DEFAULT_LOCALE)),
        (shop.cashier_id, notification("paid", second, DEFAULT_LOCALE)),
    ]
    assert [state for _, _, state in await states(store)] == ["done"] * 4


async def test_card_notification_edits_the_stored_card(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    receipt = await make_receipt(store, shop, clock())
    await store.receipts.set_card_message(receipt.id, shop.cashier_id, 555)
    card_receipt = await store.receipts.get(receipt.id)
    assert card_receipt is not None
    moved = await store.receipts.transition(
        receipt.id,
        expected=[S.AWAITING],
        new=S.PAID,
        source=EventSource.POLL,
        now=clock(),
        changes=ReceiptChanges(paid_at=clock(), payment_id="9", card_mask="5168*12"),
        jobs=await _recipients(store, card_receipt, "paid"),
    )
    assert moved is not None

    await sender(store, bot, clock).drain()

    edits = [m for m in session.requests if isinstance(m, EditMessageText)]
    assert len(edits) == 1
    edit = edits[0]
    assert (edit.chat_id, edit.message_id) == (shop.cashier_id, 555)
    assert edit.text == receipt_card(moved, DEFAULT_LOCALE)
    assert "5168*12" in edit.text  # the card shows the payment
    assert await states(store) == [
        (shop.cashier_id, "paid", "done"),
        (shop.owner_id, "paid", "done"),
        (shop.cashier_id, "card", "done"),
    ]


async def test_card_not_modified_counts_as_sent(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    owner_only = Shop(shop.shop_id, shop.owner_id, shop.owner_id)
    receipt = await make_receipt(store, owner_only, clock())
    await store.receipts.set_card_message(receipt.id, shop.owner_id, 556)
    await paid_existing(store, receipt.id, clock)
    session.queue(
        shop.owner_id,
        accepted,
        telegram_error(
            400,
            "Bad Request: message is not modified: specified new message content and reply "
            "markup are exactly the same as a current content and reply markup of the message",
        ),
    )

    await sender(store, bot, clock).drain()

    assert [type(m) for m in session.requests] == [SendMessage, EditMessageText]
    assert await states(store) == [(shop.owner_id, "paid", "done"), (shop.owner_id, "card", "done")]


async def test_card_that_can_not_be_edited_is_dropped(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    owner_only = Shop(shop.shop_id, shop.owner_id, shop.owner_id)
    receipt = await make_receipt(store, owner_only, clock())
    await store.receipts.set_card_message(receipt.id, shop.owner_id, 557)
    await paid_existing(store, receipt.id, clock)
    session.queue(
        shop.owner_id,
        accepted,
        telegram_error(400, "Bad Request: message to edit not found"),
    )

    outbox = sender(store, bot, clock)
    await outbox.drain()
    clock.advance(hours=1)
    await outbox.drain()

    assert len(session.requests) == 2
    assert await states(store) == [(shop.owner_id, "paid", "done"), (shop.owner_id, "card", "dead")]


async def paid_existing(store: SqliteStore, receipt_id: int, clock: FakeClock) -> Receipt:
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None
    moved = await store.receipts.transition(
        receipt_id,
        expected=[S.AWAITING],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=clock(),
        jobs=await _recipients(store, receipt, "paid"),
    )
    assert moved is not None
    return moved


async def test_pacing_holds_a_second_message_to_the_same_chat(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    """With the per-chat interval on, a drain sends one message per chat and reports that
    it held the rest back (the run loop comes back for them)."""
    await paid(store, shop, clock)
    await paid(store, shop, clock)
    outbox = sender(store, bot, clock, per_chat_interval=3600, global_rate=30)

    busy = await outbox.drain()

    assert busy is True
    assert [chat for chat, _ in session.chat_texts()] == [shop.cashier_id, shop.owner_id]
    assert [state for _, _, state in await states(store)] == ["done", "done", "pending", "pending"]


async def test_run_drains_when_signalled(
    store: SqliteStore,
    db_path: Path,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    signal = OutboxSignal()
    outbox = sender(store, bot, clock, signal)
    stop = asyncio.Event()
    task = asyncio.create_task(outbox.run(stop))
    await paid(store, shop, clock)
    signal.notify()
    async with asyncio.timeout(30):
        while len(session.requests) < 2:
            session.arrived.clear()
            await session.arrived.wait()
    stop.set()
    signal.notify()
    async with asyncio.timeout(30):
        await task
    assert [state for _, _, state in await states(store)] == ["done", "done"]


async def test_a_bot_wide_refusal_postpones_instead_of_dropping(
    store: SqliteStore, db_path: Path, shop: Shop, clock: FakeClock, bot: Bot,
    session: RecordingSession,
) -> None:  # fmt: skip
    await paid(store, shop, clock)
    session.queue(shop.cashier_id, telegram_error(401, "Unauthorized"))
    session.queue(shop.owner_id, telegram_error(401, "Unauthorized"))
    await sender(store, bot, clock).drain()
    assert [state for _, _, state in await states(store)] == ["pending", "pending"]
    clock.advance(minutes=5)  # the token is fixed
    await sender(store, bot, clock).drain()
    assert [state for _, _, state in await states(store)] == ["done", "done"]


async def test_a_failed_mark_does_not_send_the_message_again(
    store: SqliteStore, db_path: Path, shop: Shop, clock: FakeClock, bot: Bot,
    session: RecordingSession, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    await paid(store, shop, clock)
    outbox = sender(store, bot, clock)
    real_finish = store.jobs.finish

    async def disk_full(*args: Any, **kwargs: Any) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store.jobs, "finish", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        await outbox.drain()
    monkeypatch.setattr(store.jobs, "finish", real_finish)
    await outbox.drain()
    assert [chat for chat, _ in session.chat_texts()] == [shop.cashier_id, shop.owner_id]
    assert [state for _, _, state in await states(store)] == ["done", "done"]


# several senders (replicas) on one store


async def test_a_killed_senders_jobs_are_sent_after_its_lease(
    store: SqliteStore, shop: Shop, clock: FakeClock, bot: Bot, session: RecordingSession
) -> None:
    await paid(store, shop, clock)
    # A sender claimed both jobs and was killed before sending anything.
    killed = await store.jobs.claim(NOTIFY, "killed", limit=10, lease=LEASE, now=clock())
    assert len(killed) == 2
    survivor = sender(store, bot, clock, worker_id="survivor")

    await survivor.drain()
    assert session.requests == []  # the lease still runs

    clock.advance(seconds=LEASE.total_seconds())
    await survivor.drain()
    assert [chat for chat, _ in session.chat_texts()] == [shop.cashier_id, shop.owner_id]
    assert [state for _, _, state in await states(store)] == ["done", "done"]


async def test_two_senders_send_every_notification_once(
    store: SqliteStore, box: SecretBox, clock: FakeClock, bot: Bot, session: RecordingSession
) -> None:
    shops = [
        await make_shop(store, box, clock(), owner_id=100 + n, cashier_id=200 + n) for n in range(4)
    ]
    made = {one.shop_id: [await paid(store, one, clock) for _ in range(3)] for one in shops}
    a = sender(store, bot, clock, worker_id="a", batch=2)
    b = sender(store, bot, clock, worker_id="b", batch=2)

    await asyncio.gather(a.drain(), b.drain())

    sent = session.chat_texts()
    assert len(sent) == len(set(sent)) == 4 * 3 * 2  # every notice once, none twice
    for one in shops:  # and each chat's in order
        expected = [notification("paid", r, DEFAULT_LOCALE) for r in made[one.shop_id]]
        assert len(set(expected)) == 3
        for chat in (one.cashier_id, one.owner_id):
            assert [text for to, text in sent if to == chat] == expected
    assert {state for _, _, state in await states(store)} == {"done"}


async def test_the_per_chat_pause_holds_for_another_sender_too(
    store: SqliteStore, shop: Shop, clock: FakeClock, bot: Bot, session: RecordingSession
) -> None:
    owner_only = Shop(shop.shop_id, shop.owner_id, shop.owner_id)
    await paid(store, owner_only, clock)
    await paid(store, owner_only, clock)
    a = sender(store, bot, clock, worker_id="a", per_chat_interval=1)
    b = sender(store, bot, clock, worker_id="b", per_chat_interval=1)

    assert await a.drain() is True  # sent one; the chat's next waits a second
    await b.drain()
    assert len(session.chat_texts()) == 1  # the other sender waits too

    clock.advance(seconds=1)
    await b.drain()
    assert len(session.chat_texts()) == 2


async def test_the_global_rate_spaces_messages_for_all_senders(
    store: SqliteStore, box: SecretBox, bot: Bot, session: RecordingSession
) -> None:
    now = utcnow()
    for n in range(6):
        one = await make_shop(store, box, now, owner_id=300 + n, cashier_id=300 + n)
        await paid(store, one, FakeClock(now))
    senders = [
        OutboxSender(
            store.jobs,
            store.receipts,
            store.users,
            bot,
            OutboxSignal(),
            utcnow,
            per_chat_interval=0,
            global_rate=20,
            worker_id=name,
            batch=1,
        )
        for name in ("a", "b")
    ]
    started = time.monotonic()
    await asyncio.gather(*(s.drain() for s in senders))
    elapsed = time.monotonic() - started
    assert len(session.chat_texts()) == 6
    assert elapsed >= 5 * (1 / 20) * 0.9  # six messages at 20/s take five intervals at least


async def test_telegrams_pause_holds_for_another_sender(
    store: SqliteStore, box: SecretBox, clock: FakeClock, bot: Bot, session: RecordingSession
) -> None:
    first = await make_shop(store, box, clock(), owner_id=400, cashier_id=400)
    second = await make_shop(store, box, clock(), owner_id=401, cashier_id=401)
    await paid(store, first, clock)
    session.queue(400, telegram_error(429, "Too Many Requests: retry after 30", retry_after=30))
    a = sender(store, bot, clock, worker_id="a")
    await a.drain()
    await paid(store, second, clock)
    b = sender(store, bot, clock, worker_id="b")

    assert await b.drain() is True  # Telegram's pause is the whole bot's: b waits as well
    assert [chat for chat, _ in session.chat_texts()] == [400]

    clock.advance(seconds=30)
    await b.drain()
    assert sorted(chat for chat, _ in session.chat_texts()) == [400, 400, 401]


async def test_an_outcome_shows_the_card_as_a_new_message_and_keeps_it_current(
    store: SqliteStore,
    shop: Shop,
    clock: FakeClock,
    bot: Bot,
    session: RecordingSession,
) -> None:
    """Told later what became of an invoice (its card could not be shown, or the maker
    died): the card comes with its buttons, and later changes edit that copy."""
    from bot.receipts.views import outcome_message

    receipt = await make_receipt(store, shop, clock(), status=S.DRAFT)
    until = clock() + timedelta(seconds=5)
    assert await store.receipts.take_issue_lease(receipt.id, clock(), until)
    told = [notify_job(shop.cashier_id, "outcome")]
    assert await store.receipts.release_issue_lease(receipt.id, until, clock(), told)
    await sender(store, bot, clock).drain()
    [sent] = [m for m in session.requests if isinstance(m, SendMessage)]
    assert sent.text == outcome_message(receipt, DEFAULT_LOCALE)
    retry = sent.reply_markup.inline_keyboard[0][0]  # type: ignore[union-attr]
    assert retry.callback_data == f"rc:retry:{receipt.id}"
    assert receipt_card(receipt, DEFAULT_LOCALE) in sent.text
    kept = await store.receipts.get(receipt.id)
    assert kept is not None and kept.card_chat_id == shop.cashier_id
    assert kept.card_message_id is not None
    assert await states(store) == [(shop.cashier_id, "outcome", "done")]
