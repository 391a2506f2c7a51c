"""Handler tests of the fiscal receipt on the Telegram side: the real dispatcher and
services, a recording Bot, LiqPay via aioresponses and the stand-in Checkbox on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram.methods import SendMessage, SendPhoto
from aioresponses import aioresponses

from bot.receipts.keyboards import notice_keyboard, receipt_card_keyboard
from bot.receipts.notices import notification
from bot.receipts.views import receipt_card
from bot.ui.callbacks import FiscalReceiptAction
from bot.wiring import build_dispatcher, build_services
from services.config import Settings
from services.fiscal.policy import FISCAL_SALE
from services.notifications.jobs import NotificationKind as K
from storage.models.fiscal import FiscalMode, FiscalSettingsChanges, FiscalState
from storage.models.receipts import Receipt
from tests.bot_fixtures import (
    INVOICE_OK,
    LIQPAY_REQUEST,
    LIQPAY_URL,
    OWNER,
    BotWorld,
    issue,
    make_shop_by_bot,
)
from tests.conftest import WallClock
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay_mock import liqpay_answer
from tests.doubles.recording_bot import make_bot
from tests.fiscal_fixtures import LICENSE, PIN

F = FiscalState
PAID = {
    "result": "ok", "status": "success", "payment_id": 55, "amount": 250.5, "currency": "UAH",
    "sender_card_mask2": "424242*42", "end_date": 1795000000000, "rrn_debit": "000664267598",
    "authcode_debit": "108527", "sender_card_bank": "pb", "sender_card_type": "visa",
}  # fmt: skip


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        server.add_register(LICENSE, PIN)
        yield server


@pytest.fixture
async def world(tmp_path: Path, fake: FakeCheckbox) -> AsyncIterator[BotWorld]:
    settings = Settings(
        bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
        database_path=tmp_path / "data" / "bot.sqlite3",
        liqpay_api_url=LIQPAY_URL,
        checkbox_api_url=fake.url,
        secret_key="test-secret-key-that-is-long-enough",  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    with aioresponses(passthrough=[fake.url]) as mocked:
        http = aiohttp.ClientSession()
        clock = WallClock()
        services = await build_services(settings, http, clock)
        bot, session = make_bot()
        dp = build_dispatcher(services, settings)
        yield BotWorld(dp, bot, session, services, settings, mocked, clock)
        await http.close()
        await services.store.close()


async def paid_receipt(
    world: BotWorld, mode: FiscalMode = FiscalMode.MANUAL, *, paid_ago: float = 0
) -> Receipt:
    """A shop with Checkbox set up (seeded in the store) and one receipt paid `paid_ago`
    seconds ago."""
    await make_shop_by_bot(world)
    store, box = world.services.store, world.services.fiscal.access.box
    member = await store.shops.get_member(OWNER.id)
    assert member is not None
    await store.fiscal.save_credentials(
        member.shop_id,
        box.encrypt(LICENSE),
        box.encrypt(PIN),
        None,
        world.services.fiscal.access.clock(),
    )
    await store.fiscal.update(member.shop_id, FiscalSettingsChanges(mode=mode))
    await issue(world, OWNER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    # paid just now (a payment weeks ago would be registered dated at it, offline)
    now_ms = int((world.clock().timestamp() - paid_ago) * 1000)
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer({**PAID, "end_date": now_ms}))
    await world.press(OWNER, "Check status")
    receipt = await store.receipts.get(1)
    assert receipt is not None and receipt.status.value == "paid"
    return receipt


def buttons(markup: object) -> list[str]:
    rows = getattr(markup, "inline_keyboard", None) or []
    return [b.text for row in rows for b in row]


async def test_manual_mode_card_register_button_and_pending_section(
    world: BotWorld, fake: FakeCheckbox
) -> None:
    receipt = await paid_receipt(world)
    assert receipt.fiscal_state is F.NOT_REGISTERED
    assert (receipt.payment_rrn, receipt.payment_auth_code) == ("000664267598", "108527")
    card = [r for r in world.session.requests if "Paid" in (getattr(r, "text", "") or "")][-1]
    assert "Fiscal receipt: not registered yet" in str(getattr(card, "text", ""))
    assert "🧾 Register receipt" in buttons(getattr(card, "reply_markup", None))
    replies = await world.say(OWNER, "/pending")
    assert any("Paid but not registered: 1" in r for r in replies), replies

    for _ in range(2):  # a double tap
        await world.press(OWNER, "Register receipt")
    jobs = await world.services.store.jobs.find(kind=FISCAL_SALE)
    assert len(jobs) == 1
    await world.services.fiscal_worker.drain()
    receipt = await world.services.store.receipts.get(receipt.id) or receipt
    assert receipt.fiscal_state is F.REGISTERED and receipt.fiscal_code
    assert len(fake.receipts) == 1
    assert fake.emails and fake.emails[0][1] == ["a@example.com"]

    card_text = receipt_card(receipt, "en")
    assert f"Fiscal receipt No <b>{receipt.fiscal_code}</b>" in card_text
    assert "cabinet.tax.gov.ua" in card_text
    assert buttons(receipt_card_keyboard(receipt, "en"))[-1] == "🧾 Fiscal receipt"
    done = notification(K.FISCAL_DONE, receipt, "uk")
    assert receipt.fiscal_code in done and "зареєстровано в податковій" in done
    assert buttons(notice_keyboard(receipt, "uk")) == ["🧾 Фіскальний чек"]
    paid_notice = notification(K.PAID, receipt, "en")
    assert f"Fiscal receipt No <b>{receipt.fiscal_code}</b>" in paid_notice
    replies = await world.say(OWNER, "/pending")
    assert not any("not registered" in r for r in replies), replies

    before = len(world.session.requests)
    await world.press_data(OWNER, FiscalReceiptAction(action="picture", id=receipt.id).pack())
    photos = [r for r in world.session.requests[before:] if isinstance(r, SendPhoto)]
    assert len(photos) == 1 and receipt.fiscal_code in str(photos[0].caption)


async def test_auto_mode_registers_without_a_button(world: BotWorld, fake: FakeCheckbox) -> None:
    receipt = await paid_receipt(world, FiscalMode.AUTO)
    assert len(await world.services.store.jobs.find(kind=FISCAL_SALE)) == 1
    await world.services.fiscal_worker.drain()
    receipt = await world.services.store.receipts.get(receipt.id) or receipt
    assert receipt.fiscal_state is F.REGISTERED
    assert len(fake.receipts) == 1


async def test_a_failed_receipt_shows_checkboxs_words_and_retry(
    world: BotWorld, fake: FakeCheckbox
) -> None:
    fake.receipt_error = "Помилка ДПС"
    receipt = await paid_receipt(world, FiscalMode.AUTO)
    await world.services.fiscal_worker.drain()
    receipt = await world.services.store.receipts.get(receipt.id) or receipt
    assert receipt.fiscal_state is F.FAILED
    assert "Помилка ДПС" in receipt_card(receipt, "uk")
    assert buttons(notice_keyboard(receipt, "uk")) == ["🔁 Повторити фіскальний чек"]
    notice = notification(K.FISCAL_FAILED, receipt, "uk")
    assert "Помилка ДПС" in notice and "Повторити" in notice
    replies = await world.say(OWNER, "/pending")
    assert any("Paid but not registered: 1" in r for r in replies), replies
    fake.receipt_error = None
    await world.press_data(OWNER, FiscalReceiptAction(action="register", id=receipt.id).pack())
    await world.services.fiscal_worker.drain()
    receipt = await world.services.store.receipts.get(receipt.id) or receipt
    assert (receipt.fiscal_state, receipt.fiscal_attempt) == (F.REGISTERED, 2)


async def test_no_secret_reaches_a_message(world: BotWorld, fake: FakeCheckbox) -> None:
    receipt = await paid_receipt(world, FiscalMode.AUTO)
    await world.services.fiscal_worker.drain()
    settings = await world.services.store.fiscal.get(receipt.shop_id)
    assert settings is not None and settings.token_enc is not None
    token = world.services.fiscal.access.box.decrypt(settings.token_enc)
    texts = [
        str(getattr(r, "text", "")) for r in world.session.requests if isinstance(r, SendMessage)
    ]
    for secret in (LICENSE, PIN, token):
        assert not any(secret in text for text in texts)


@pytest.mark.parametrize("locale", ["en", "uk"])
async def test_checkbox_down_is_told_by_its_own_notice_not_by_the_paid_one(
    world: BotWorld, fake: FakeCheckbox, locale: str
) -> None:
    fake.down = True
    receipt = await paid_receipt(world, FiscalMode.AUTO)
    await world.services.fiscal_worker.drain()
    receipt = await world.services.store.receipts.get(receipt.id) or receipt
    assert (receipt.fiscal_state, receipt.fiscal_error) == (F.NOT_REGISTERED, "unavailable")
    outage = "Checkbox не відповідає" if locale == "uk" else "Checkbox is not answering"
    retry = "🔁 Повторити фіскальний чек" if locale == "uk" else "🔁 Retry fiscal receipt"
    # the owner's paid notice while the worker retries: neither the outage nor a button
    paid = notification(K.PAID, receipt, locale, worker_tells=True)
    assert outage not in paid and ("реєструється" if locale == "uk" else "being registered") in paid
    assert retry not in buttons(notice_keyboard(receipt, locale, owner=True, fiscal=False))
    # the outage notice says it, with the one Retry
    assert outage in notification(K.FISCAL_DOWN, receipt, locale)
    assert buttons(notice_keyboard(receipt, locale, owner=True)).count(retry) == 1
    # the cashier, who gets no outage notice, reads it on the paid notice as before
    assert outage in notification(K.PAID, receipt, locale)
