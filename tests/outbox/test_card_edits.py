"""A card edit adds no message to the chat: it does not wait for the chat's second after a
notice (the fiscal number shows as soon as it comes), and holds back no notice."""

from __future__ import annotations

import dataclasses

from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage

from services.notifications.jobs import NotificationKind, notify_job
from storage.models.receipts import EventSource, ReceiptChanges, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.builders import Shop, make_receipt
from tests.conftest import FakeClock
from tests.doubles.recording_bot import RecordingSession
from tests.outbox.test_outbox import _recipients, bot, sender, session, shop, states

__all__ = ["bot", "session", "shop"]  # the fixtures


async def test_a_card_edit_goes_within_the_chats_second_and_a_notice_still_waits(
    store: SqliteStore, shop: Shop, clock: FakeClock, bot: Bot, session: RecordingSession
) -> None:
    receipt = await make_receipt(store, shop, clock())
    await store.receipts.set_card_message(receipt.id, shop.cashier_id, 555)
    shown = await store.receipts.get(receipt.id)
    assert shown is not None
    moved = await store.receipts.transition(
        receipt.id, expected=[ReceiptStatus.AWAITING], new=ReceiptStatus.PAID,
        source=EventSource.CALLBACK, now=clock(),
        changes=ReceiptChanges(paid_at=clock(), payment_id="1", card_mask="4242*42"),
        jobs=await _recipients(store, shown, "paid"),
    )  # fmt: skip
    assert moved is not None
    outbox = sender(store, bot, clock, per_chat_interval=1)

    await outbox.drain()  # the cashier's notice, the owner's, and the card: none waits
    assert await states(store) == [
        (shop.cashier_id, "paid", "done"),
        (shop.owner_id, "paid", "done"),
        (shop.cashier_id, "card", "done"),
    ]

    # the fiscal number comes: the card is redrawn at once, a new notice waits its second
    [card] = await _recipients(store, moved, NotificationKind.CARD)
    digest = notify_job(
        shop.cashier_id, NotificationKind.DIGEST, day="2026-11-27", own=False, paid=[], unpaid=[]
    )
    await store.jobs.enqueue([dataclasses.replace(card, receipt_id=receipt.id), digest], clock())
    await outbox.drain()
    assert len(session.sent(EditMessageText)) == 2
    assert len(session.sent(SendMessage)) == 2

    clock.advance(seconds=1)
    await outbox.drain()
    assert len(session.sent(SendMessage)) == 3
    assert {state for _, _, state in await states(store)} == {"done"}
