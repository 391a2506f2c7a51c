"""Fiscal receipts end to end: the real `python -m bot` against the stand-ins of Telegram,
LiqPay and Checkbox (tests/doubles/checkbox.py) on 127.0.0.1. A LiqPay callback pays an
invoice and its receipt gets exactly one fiscal receipt: with Checkbox answering, down at
that moment and back later, and with the bot killed between the sale and DONE."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from services.core.crypto import SecretBox, fernet_key_from_setting
from storage.models.fiscal import FiscalSettingsChanges
from storage.sqlite.store import SqliteStore
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import SECRET_KEY, BotProcess
from tests.e2e.test_flows import Person, new_invoice, open_shop

LICENSE = "e2e-license-key-0123456789"
PIN = "2580"
SELL = "/api/v1/receipts/sell"


@asynccontextmanager
async def checkbox_with_register(hang_seconds: float) -> AsyncIterator[FakeCheckbox]:
    """The stand-in Checkbox with the register of LICENSE and PIN; a request it is told to
    hang hangs `hang_seconds`."""
    async with FakeCheckbox() as fake:
        fake.add_register(LICENSE, PIN)
        fake.hang_seconds = hang_seconds
        yield fake


@pytest.fixture
async def checkbox() -> AsyncIterator[FakeCheckbox]:
    async with checkbox_with_register(hang_seconds=5) as fake:
        yield fake


async def set_up_checkbox(bot: BotProcess, owner_id: int) -> None:
    """The owner's Checkbox register, put straight into the bot's database (the settings
    screen is the fiscal-ui branch's; this is what it saves)."""
    box = SecretBox(fernet_key_from_setting(SECRET_KEY))
    store = await SqliteStore.open(bot.database_path)
    try:
        member = await store.shops.get_member(owner_id)
        assert member is not None
        from services.core.clock import utcnow

        await store.fiscal.save_credentials(
            member.shop_id, box.encrypt(LICENSE), box.encrypt(PIN), None, utcnow()
        )
        await store.fiscal.update(member.shop_id, FiscalSettingsChanges(tax_code=8))
    finally:
        await store.close()


async def sent_invoice(owner: Person, liqpay: FakeLiqPay) -> str:
    """An invoice of 250,50 by e-mail made with /new; its order id."""
    card = await new_invoice(owner, "250,50", None, "E-mail", "buyer@example.com")
    assert "Receipt No 1" in card.text, card.text
    return str(liqpay.requests_for("invoice_send")[-1].payload["order_id"])


async def paid_invoice(owner: Person, liqpay: FakeLiqPay) -> str:
    order = await sent_invoice(owner, liqpay)
    assert await liqpay.pay(order) == 200
    return order


def accepted(checkbox: FakeCheckbox) -> int:
    return [r.status for r in checkbox.sells()].count(201)


async def start(bot: BotProcess, checkbox: FakeCheckbox, tg: FakeTelegram) -> Person:
    bot.env["CHECKBOX_API_URL"] = checkbox.url
    bot.env["STATUS_POLL_INTERVAL"] = "600"  # the callback pays, not the poller
    await bot.start(timeout=60)
    return Person(tg, tg.user(111, "Olena", "en"))


async def fiscal_owner(
    bot: BotProcess, checkbox: FakeCheckbox, tg: FakeTelegram, liqpay: FakeLiqPay
) -> Person:
    """The bot started against `checkbox`, and its owner with a shop and a register."""
    owner = await start(bot, checkbox, tg)
    await open_shop(owner, liqpay)
    await set_up_checkbox(bot, owner.user.id)
    return owner


async def test_a_paid_invoice_gets_its_fiscal_number_on_the_card(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    await paid_invoice(owner, fake_liqpay)
    told = await owner.hears("is registered with the tax service", timeout=30)
    [receipt] = checkbox.receipts.values()
    assert receipt.fiscal_code and receipt.fiscal_code in told.text
    assert told.has_button("Fiscal receipt")
    card = await fake_telegram.wait_for_message(
        owner.user.id,
        lambda m: "Receipt No 1" in m.text and f"Fiscal receipt No {receipt.fiscal_code}" in m.text,
        since=0,
        timeout=15,
    )
    assert "cabinet.tax.gov.ua" in card.html
    assert checkbox.emails == [(receipt.id, ["buyer@example.com"])]
    assert accepted(checkbox) == 1 and len(checkbox.sign_ins) == 1
    photo = await owner.tap(told, "Fiscal receipt", lambda m: m.kind == "photo")  # type: ignore[arg-type]
    assert photo.photo and photo.photo.startswith(b"\x89PNG")
    assert LICENSE not in bot_process.log_text() and PIN not in bot_process.log_text()
    await bot_process.stop()


async def test_checkbox_down_when_paid_then_back_makes_exactly_one_sale(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    checkbox.down = True
    await paid_invoice(owner, fake_liqpay)
    down = await owner.hears("Checkbox is not answering", timeout=30)
    assert down.has_button("Retry")
    await fake_telegram.wait_for_message(
        owner.user.id, lambda m: "not registered yet" in m.text and m.is_edit, since=0
    )
    await asyncio.sleep(2)  # the job retries meanwhile; the owner is told once
    notices = [m for m in fake_telegram.messages(owner.user.id) if "not answering:" in m.text]
    assert len(notices) == 1, notices
    checkbox.down = False
    await fake_telegram.press(owner.user, down, "Retry")
    await owner.hears("is registered with the tax service", timeout=30)
    assert accepted(checkbox) == 1 and len(checkbox.receipts) == 1
    await bot_process.stop()


async def test_killed_between_the_sale_and_done_the_restart_sells_nothing_again(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    checkbox.receipt_done_polls = 10**6  # the tax service does not answer yet
    await paid_invoice(owner, fake_liqpay)
    await checkbox.wait_for_request("POST", SELL, timeout=30)
    await bot_process.kill()  # SIGKILL: the sale was sent, DONE never seen
    assert len(checkbox.receipts) == 1
    checkbox.receipt_done_polls = 1
    await bot_process.start(timeout=60)
    await owner.hears("is registered with the tax service", timeout=60)
    assert len(checkbox.sells()) == 1 and len(checkbox.receipts) == 1
    await bot_process.stop()


OUTAGE = {"en": "Checkbox is not answering", "uk": "Checkbox не відповідає"}
PAID = {"en": "Receipt No 1 is paid", "uk": "Чек № 1 оплачено"}
REFUSED = {"en": "the tax service refused its fiscal", "uk": "податкова відмовила у фіскальному"}
BEING_REGISTERED = {"en": "Fiscal receipt: being registered", "uk": "Фіскальний чек: реєструється"}
FISCAL_BUTTONS = (
    "Retry fiscal receipt",
    "Register receipt",
    "Повторити фіскальний",
    "Зареєструвати",
)


def fiscal_button_count(message: object) -> int:
    labels = [str(b.get("text", "")) for b in getattr(message, "inline_buttons", [])]
    return sum(any(name in label for name in FISCAL_BUTTONS) for label in labels)


@pytest.mark.parametrize(("language", "paid_notice_late"), [("en", False), ("uk", True)])
async def test_one_checkbox_outage_is_told_once_with_one_retry(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
    language: str,
    paid_notice_late: bool,
) -> None:
    """Checkbox down when the receipt is paid: the owner reads it in one message with one
    Retry (the paid notice does not say it again, whether it goes out before the first
    attempt or after it, held by Telegram); the tax service's later refusal is told."""
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    order = await sent_invoice(owner, fake_liqpay)
    choice = await owner.say("/lang", "Choose the language")
    await owner.tap(
        choice,
        "Українська" if language == "uk" else "English",
        "Мова" if language == "uk" else "Language",
    )
    start_at = len(fake_telegram.messages(owner.user.id))
    checkbox.down = True
    if paid_notice_late:  # it goes out once the outage is known
        fake_telegram.rate_limit_next(
            "sendMessage", 4, when=lambda params: PAID[language] in str(params.get("text"))
        )
    assert await fake_liqpay.pay(order) == 200

    down = await owner.hears(f"{OUTAGE[language]}: ", timeout=30)
    paid = await fake_telegram.wait_for_message(
        owner.user.id,
        lambda m: PAID[language] in m.text and not m.is_edit,
        since=start_at,
        timeout=15,
    )
    assert BEING_REGISTERED[language] in paid.text  # the outage is told by `down` alone
    await asyncio.sleep(3)  # the job retries meanwhile; nothing more is said
    sent = [m for m in fake_telegram.messages(owner.user.id)[start_at:] if not m.is_edit]
    outage = [m for m in sent if OUTAGE[language] in m.text]
    assert outage == [down], [m.text for m in outage]
    assert [fiscal_button_count(m) for m in sent if fiscal_button_count(m)] == [1]
    assert fiscal_button_count(down) == 1
    assert paid.has_button("Refund") or paid.has_button("Повернути")

    # a distinct failure afterwards, the tax service's ERROR, is still told
    checkbox.down = False
    checkbox.receipt_error = "ПРРО не зареєстровано"
    await fake_telegram.press(owner.user, down, "Retry" if language == "en" else "Повторити")
    refused = await owner.hears(REFUSED[language], timeout=30)
    assert fiscal_button_count(refused) == 1
    await bot_process.stop()
