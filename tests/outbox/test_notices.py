"""The outbox's notice registry: every kind has a renderer, registered by its feature; jobs
written before the kinds were an enum still render; an unknown kind is logged and given up
(or, about a receipt, said generically)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage

from bot.i18n import DEFAULT_LOCALE, setup_i18n
from bot.outbox.notices import Notice, NoticeRegistry, NoticeRequest
from bot.outbox.registry import build_notices
from bot.outbox.sender import OutboxSender
from bot.receipts.notices import notification
from bot.reminders.texts import digest_text
from services.core.crypto import SecretBox
from services.notifications.jobs import NOTIFY, NotificationKind, OutboxSignal, chat_group
from storage.models.jobs import NewJob
from storage.models.receipts import Receipt, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.builders import Shop, make_receipt, make_shop
from tests.conftest import FakeClock
from tests.doubles.recording_bot import RecordingSession
from tests.payment_fixtures import outbox_rows


@pytest.fixture
def session() -> RecordingSession:
    setup_i18n()
    return RecordingSession()


@pytest.fixture
async def shop(store: SqliteStore, box: SecretBox, clock: FakeClock) -> Shop:
    return await make_shop(store, box, clock())


def sender(store: SqliteStore, session: RecordingSession, clock: FakeClock) -> OutboxSender:
    bot = Bot(token="42:TEST-TOKEN-FOR-TESTS-ONLY", session=session)
    return OutboxSender(
        store.jobs, store.receipts, store.users, bot, OutboxSignal(), clock,
        per_chat_interval=0, global_rate=10_000, shops=store.shops,
    )  # fmt: skip


async def stored_job(
    store: SqliteStore, clock: FakeClock, payload: dict[str, Any], receipt: Receipt | None
) -> None:
    """A notification job as the code before the enum wrote it: the kind a plain string."""
    chat = int(payload["chat_id"])
    job = NewJob(
        NOTIFY, payload, group_key=chat_group(chat), receipt_id=receipt.id if receipt else None
    )
    await store.jobs.enqueue([job], clock())


def test_every_notification_kind_has_a_renderer() -> None:
    assert build_notices().kinds() == frozenset(NotificationKind)


def test_a_kind_is_registered_once() -> None:
    async def render(request: NoticeRequest) -> Notice:
        return Notice("x")

    registry = NoticeRegistry()
    registry.about_shop(NotificationKind.DIGEST, render)
    with pytest.raises(ValueError, match="digest"):
        registry.about_shop(NotificationKind.DIGEST, render)


async def test_a_job_stored_with_a_plain_string_kind_is_rendered(
    store: SqliteStore, shop: Shop, clock: FakeClock, session: RecordingSession
) -> None:
    receipt = await make_receipt(store, shop, clock(), status=ReceiptStatus.PAID)
    await stored_job(store, clock, {"chat_id": shop.owner_id, "kind": "paid"}, receipt)
    day = {"day": "2026-12-07", "paid": [], "unpaid": []}
    await stored_job(store, clock, {"chat_id": shop.cashier_id, "kind": "digest", **day}, None)
    [first, _] = await store.jobs.find(kind=NOTIFY)
    assert type(first.payload["kind"]) is str

    await sender(store, session, clock).drain()

    assert session.chat_texts() == [
        (shop.owner_id, notification("paid", receipt, DEFAULT_LOCALE)),
        (shop.cashier_id, digest_text({"kind": "digest", **day}, DEFAULT_LOCALE)),
    ]
    [paid, _] = session.sent(SendMessage)
    assert paid.reply_markup is not None  # the owner's buttons, as for any paid notice
    assert [row["state"] for row in await outbox_rows(store)] == ["done", "done"]


async def test_an_unknown_kind_is_logged_and_given_up(
    store: SqliteStore,
    shop: Shop,
    clock: FakeClock,
    session: RecordingSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.outbox.sender")
    await stored_job(store, clock, {"chat_id": shop.owner_id, "kind": "from_the_future"}, None)

    await sender(store, session, clock).drain()

    assert session.requests == []
    [row] = await outbox_rows(store)
    assert row["state"] == "dead"
    assert "no renderer for kind 'from_the_future'" in caplog.text


async def test_an_unknown_kind_about_a_receipt_gets_the_generic_notice(
    store: SqliteStore,
    shop: Shop,
    clock: FakeClock,
    session: RecordingSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.outbox.sender")
    receipt = await make_receipt(store, shop, clock())
    await stored_job(store, clock, {"chat_id": shop.owner_id, "kind": "from_the_future"}, receipt)

    await sender(store, session, clock).drain()

    text = notification("from_the_future", receipt, DEFAULT_LOCALE)
    assert text.startswith(f"Чек № {receipt.number} змінився")  # "Receipt No {number} changed"
    assert session.chat_texts() == [(shop.owner_id, text)]
    assert "no renderer for kind 'from_the_future'" in caplog.text
