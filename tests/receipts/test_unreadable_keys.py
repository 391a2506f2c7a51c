"""SECRET_KEY changed since the shop's LiqPay keys were saved (two boxes, one real SQLite
store): callbacks are answered without a traceback and nothing is lost, the owner is told
once (not per callback, not again after a restart), and the poller applies the payment as
soon as the owner has entered the keys again."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aioresponses import aioresponses
from cryptography.fernet import Fernet

from bot.i18n import setup_i18n
from bot.receipts.notices import notification
from bot.receipts.views import keys_unreadable_text
from bot.web import build_web_app
from services.config import CALLBACK_PATH
from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayClient
from services.payments.callbacks import CallbackService
from services.payments.reconciler import Reconciler
from services.shops.service import KeyCheck, ShopService
from services.turbosms import TurboSmsClient
from storage.models.receipts import Receipt, ReceiptStatus
from storage.protocols.store import Store
from storage.sqlite.store import SqliteStore
from tests.bot_fixtures import (
    CASHIER,
    INVOICE_OK,
    OWNER,
    BotWorld,
    issue,
    join_cashier,
    make_shop_by_bot,
    world,
)
from tests.builders import (
    OWNER_ID,
    PRIVATE_KEY,
    PUBLIC_KEY,
    make_receipt,
    make_shop,
    payment_payload,
    signed_form,
)
from tests.conftest import FakeClock
from tests.doubles.liqpay_mock import API_URL, MockedLiqPay, liqpay_answer
from tests.payment_fixtures import make_service, outbox_rows

__all__ = ["world"]

S = ReceiptStatus


async def alerts(store: Store) -> list[tuple[int, str]]:
    return [(r["chat_id"], r["kind"]) for r in await outbox_rows(store) if r["kind"] != "card"]


def troubles(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.fixture
def old_box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@pytest.fixture
def new_box() -> SecretBox:
    return SecretBox(Fernet.generate_key())


@dataclass
class Bot:
    """The bot's services over the store, opened with `box` (as after a restart)."""

    callbacks: CallbackService
    reconciler: Reconciler
    client: TestClient[web.Request, web.Application]

    async def callback(self, receipt: Receipt) -> tuple[int, object]:
        resp = await self.client.post(CALLBACK_PATH, data=signed_form(payment_payload(receipt)))
        return resp.status, await resp.json()


async def start_bot(
    store: SqliteStore, session: aiohttp.ClientSession, box: SecretBox, clock: FakeClock
) -> AsyncIterator[Bot]:
    receipts = make_service(store, session, box, clock)
    callbacks = CallbackService(receipts)
    app = build_web_app(store, callbacks)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Bot(callbacks, Reconciler(receipts, store.jobs, 60.0), client)


async def test_changed_secret_key_loses_no_payment_and_tells_the_owner_once(
    db_path: Path,
    clock: FakeClock,
    old_box: SecretBox,
    new_box: SecretBox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    store = await SqliteStore.open(db_path)
    shop = await make_shop(store, old_box, clock())  # keys sealed under the old SECRET_KEY
    receipt = await make_receipt(store, shop, clock())
    with aioresponses(passthrough=["http://127.0.0.1"]) as mock:
        liqpay = MockedLiqPay(mock)
        liqpay.paid(receipt)  # the customer has paid
        async with aiohttp.ClientSession() as session:
            async for bot in start_bot(store, session, new_box, clock):
                for _ in range(3):  # LiqPay tries again: each answered without a traceback
                    assert await bot.callback(receipt) == (503, {"error": "try again later"})
                # the poller meanwhile: it can't sign a request, and it does not crash
                clock.advance(minutes=2)
                await bot.reconciler.sweep()
                assert liqpay.requests == []
            assert (await store.receipts.get(receipt.id)).status is S.AWAITING  # type: ignore[union-attr]
            assert await alerts(store) == [(OWNER_ID, "keys_unreadable")]

            # a restart (same new SECRET_KEY) does not tell the owner again
            await store.close()
            store = await SqliteStore.open(db_path)
            async for bot in start_bot(store, session, new_box, clock):
                assert (await bot.callback(receipt))[0] == 503
                clock.advance(minutes=2)
                await bot.reconciler.sweep()
            assert await alerts(store) == [(OWNER_ID, "keys_unreadable")]

            # the owner enters the same keys again: the poller applies the payment
            async for bot in start_bot(store, session, new_box, clock):
                shops = ShopService(
                    store.shops,
                    store.settings,
                    LiqPayClient(session, API_URL, retry_delay=0),
                    TurboSmsClient(session, "https://sms.test"),
                    new_box,
                    frozenset(),
                    clock,
                )
                owner = await store.shops.get_member(OWNER_ID)
                assert owner is not None
                result = await shops.check_and_save_keys(owner, PUBLIC_KEY, PRIVATE_KEY)
                assert result.outcome is KeyCheck.OK
                clock.advance(minutes=2)
                stats = await bot.reconciler.sweep()
                assert stats.changed == 1
                paid = await store.receipts.get(receipt.id)
                assert paid is not None and paid.status is S.PAID
                # a later repeat of the callback is genuine again, and changes nothing more
                assert await bot.callback(receipt) == (200, {"result": "unchanged"})
    sealed = await store.settings.key_pair(shop.shop_id, PUBLIC_KEY)  # the pair's history too
    assert sealed is not None and new_box.decrypt(sealed) == PRIVATE_KEY
    assert await alerts(store) == [
        (OWNER_ID, "keys_unreadable"),
        (shop.cashier_id, "paid"),
        (OWNER_ID, "paid"),
    ]
    await store.close()
    assert troubles(caplog) == []
    assert PRIVATE_KEY not in caplog.text


def test_the_owner_is_told_what_to_do_in_ukrainian(clock: FakeClock) -> None:
    setup_i18n()
    from tests.builders import receipt_stub

    text = notification("keys_unreadable", receipt_stub(created=clock(), expires=clock()), "uk")
    assert "/settings" in text and "№ 1" in text
    assert set(re.findall(r"[A-Za-z]{2,}", text)) <= {"LiqPay", "settings"}


async def test_check_status_with_unreadable_keys_says_so_without_a_traceback(
    world: BotWorld, caplog: pytest.LogCaptureFixture
) -> None:
    await make_shop_by_bot(world)
    await issue(world, OWNER, "Link", None)
    keys = world.services.receipts.keys
    keys.box = SecretBox(Fernet.generate_key())  # as if SECRET_KEY had changed since
    keys._private_keys.clear()
    caplog.set_level(logging.INFO)

    replies = await world.press(OWNER, "Check status")

    assert replies == ["Checking with LiqPay…", keys_unreadable_text("en")]
    assert troubles(caplog) == []
    assert await alerts(world.services.store) == [(OWNER.id, "keys_unreadable")]


def forget_secret_key(world: BotWorld) -> None:
    """As if SECRET_KEY had changed since the keys were saved (the process restarted)."""
    keys = world.services.receipts.keys
    keys.box = SecretBox(Fernet.generate_key())
    keys._private_keys.clear()


async def test_a_cashiers_confirm_with_unreadable_keys_says_enter_them_again(
    world: BotWorld,
) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    await world.say(CASHIER, "/new")
    await world.say(CASHIER, "250.50")
    await world.press(CASHIER, "Skip")
    await world.press(CASHIER, "Link")
    forget_secret_key(world)

    replies = await world.press(CASHIER, "Confirm")

    assert keys_unreadable_text("en") in replies, replies
    assert await world.services.store.receipts.get(1) is None  # nothing was made


async def test_a_cashiers_retry_with_unreadable_keys_says_enter_them_again(
    world: BotWorld,
) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    await issue(world, CASHIER, "E-mail", "a@example.com", {"status": 503, "body": "x"})
    forget_secret_key(world)

    replies = await world.press(CASHIER, "Retry")

    assert keys_unreadable_text("en") in replies, replies
    draft = await world.services.store.receipts.get(1)
    assert draft is not None and draft.status is S.DRAFT


async def test_a_cashiers_cancel_with_unreadable_keys_says_enter_them_again(
    world: BotWorld,
) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    await issue(world, CASHIER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    forget_secret_key(world)

    await world.press(CASHIER, "Cancel invoice")
    replies = await world.press(CASHIER, "Yes, cancel")

    assert keys_unreadable_text("en") in replies, replies
    awaiting = await world.services.store.receipts.get(1)
    assert awaiting is not None and awaiting.status is S.AWAITING
