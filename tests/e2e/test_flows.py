"""The product walked as people would: the real `python -m bot` against stand-ins of the
Telegram Bot API, LiqPay and TurboSMS on 127.0.0.1."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

from bot.i18n import t
from services.liqpay.signing import decode_data
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import BotMessage, FakeTelegram, TgUser
from tests.doubles.turbosms import FakeTurboSMS
from tests.e2e.harness import BotProcess

PUBLIC, PRIVATE = "sandbox_i0000000001", "sandbox_PRIVATE_key_0001"


class Person:
    """One Telegram user talking to the bot."""

    def __init__(self, tg: FakeTelegram, user: TgUser) -> None:
        self.tg, self.user = tg, user

    async def say(self, text: str, expect: str | None = None) -> BotMessage:
        await self.tg.send_text(self.user, text)
        return await self.tg.wait_for_message(self.user.id, expect)

    async def tap(self, message: BotMessage, button: str, expect: str | None = None) -> BotMessage:
        await self.tg.press(self.user, message, button)
        return await self.tg.wait_for_message(self.user.id, expect)

    async def hears(self, expect: str, timeout: float = 10) -> BotMessage:
        return await self.tg.wait_for_message(self.user.id, expect, timeout=timeout)


async def open_shop(owner: Person, liqpay: FakeLiqPay) -> None:
    liqpay.add_keys(PUBLIC, PRIVATE)
    await owner.say("/start", "What is the shop called?")
    await owner.say("Coffee & Co", "is created")
    menu = await owner.say("/settings", "Settings of Coffee & Co")
    await owner.tap(menu, "LiqPay keys", "public key")
    await owner.say(PUBLIC, "private key")
    secret = await owner.tg.send_text(owner.user, PRIVATE)
    await owner.hears("LiqPay accepted the keys")
    assert owner.tg.is_user_message_deleted(owner.user.id, secret["message_id"])


async def invite(owner: Person, cashier: Person) -> None:
    link = await owner.say("/invite", "t.me/")
    token = re.search(r"start=([\w-]+)", link.text)
    assert token, link.text
    await cashier.say(f"/start {token.group(1)}", "as a cashier")


async def new_invoice(
    who: Person, amount: str, description: str | None, channel: str, contact: str | None
) -> BotMessage:
    await who.say("/new", "Amount in UAH")
    asked = await who.say(amount, "What is it for")
    if description is None:
        channels = await who.tap(asked, "Skip", "How does the customer get")
    else:
        channels = await who.say(description, "How does the customer get")
    if contact is None:
        summary = await who.tap(channels, channel, "Check the invoice")
    else:
        await who.tap(channels, channel, "?")
        summary = await who.say(contact, "Check the invoice")
    return await who.tap(summary, "Confirm", "Receipt No")


async def shop_with_cashier(tg: FakeTelegram, liqpay: FakeLiqPay) -> tuple[Person, Person]:
    """Olena's shop opened (open_shop) and Ivan joined as its cashier: (owner, cashier)."""
    owner = Person(tg, tg.user(111, "Olena", "en"))
    cashier = Person(tg, tg.user(222, "Ivan", "en"))
    await open_shop(owner, liqpay)
    await invite(owner, cashier)
    return owner, cashier


def sent_data(liqpay: FakeLiqPay, action: str) -> dict:  # type: ignore[type-arg]
    request = liqpay.requests_for(action)[-1]
    assert request.signature_ok
    return request.payload


def link_order(card: BotMessage) -> tuple[str, dict]:  # type: ignore[type-arg]
    link = next(u for u in card.links if "/3/checkout" in u)
    data = decode_data(parse_qs(urlsplit(link).query)["data"][0])
    return link, data


async def test_owner_and_cashier_walk_the_invoice_desk(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    bot_process: BotProcess,
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"  # this walk is about callbacks
    await bot_process.start()
    owner, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)

    # bad amounts keep the dialog on the same step
    await cashier.say("/new", "Amount in UAH")
    for bad in ("abc", "0", "-5", "12.345", "100000.01"):
        await cashier.say(bad, "250,50")
    await cashier.say("/cancel", "Cancelled")

    card = await new_invoice(cashier, "1 250,50", "Coffee beans", "E-mail", "buyer@example.com")
    sent = sent_data(fake_liqpay, "invoice_send")
    assert sent["amount"] == "1250.5" and sent["email"] == "buyer@example.com"
    assert sent["currency"] == "UAH" and sent["description"] == "Coffee beans"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", sent["expired_date"])
    assert sent["server_url"] == bot_process.callback_url
    assert "Receipt No 1" in card.text and card.has_button("Check status")
    email_order = sent["order_id"]

    card = await new_invoice(cashier, "100", None, "Privat24", "+38 050 123-45-67")
    sent = sent_data(fake_liqpay, "invoice_send")
    assert sent["phone"] == "380501234567" and sent["amount"] == "100"
    privat_card = card

    card = await new_invoice(cashier, "75.5", "Cake", "Link", None)
    link, data = link_order(card)
    assert data["action"] == "pay" and data["amount"] == "75.5"
    qr = await cashier.hears("scans this code")
    assert qr.photo and qr.photo.startswith(b"\x89PNG")

    pending = await cashier.say("/pending", "Awaiting payment: 3")
    assert len([b for b in pending.buttons if "No " in b]) == 3

    # the customer pays the e-mail invoice: LiqPay calls back, both people are told once
    status = await fake_liqpay.pay(email_order)
    assert status == 200
    await cashier.hears("Receipt No 1 is paid")
    await owner.hears("Receipt No 1 is paid")
    await fake_liqpay.send_callback(
        fake_liqpay.payment_fields(fake_liqpay.order(email_order)), PRIVATE, 3,
        bot_process.callback_url,
    )  # fmt: skip
    await fake_telegram.assert_no_message(owner.user.id, "is paid", within=1.5)

    # the customer opens the link and pays; the cashier checks the status by hand
    fake_liqpay.open_link(link).server_url = None  # this payment's callback gets lost
    assert await fake_liqpay.pay(data["order_id"]) is None
    checked = await cashier.tap(card, "Check status", "Paid")
    assert "424242" in checked.text

    # cancel the Privat24 invoice: LiqPay is told and the receipt leaves the registry
    await cashier.tap(privat_card, "Cancel invoice", "Cancel this invoice?")
    await cashier.tap(privat_card, "Yes, cancel", "Cancelled")
    assert fake_liqpay.requests_for("invoice_cancel")
    await cashier.say("/pending", "Nothing is awaiting payment")

    # the owner sees every receipt; the private key never reached a message or the log
    everything = " ".join(m.text for m in fake_telegram.messages(owner.user.id))
    assert PRIVATE not in everything and PRIVATE not in bot_process.log_text()
    await bot_process.stop()


async def test_strangers_are_refused_and_touch_nothing(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["OWNER_IDS"] = "111"
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    card = await new_invoice(owner, "10", None, "Link", None)

    stranger = Person(fake_telegram, fake_telegram.user(333, "Stranger", "uk"))
    refusal = t("Sorry, this is for shop members. Send /start or /help.", "uk")
    assert refusal != t("Sorry, this is for shop members. Send /start or /help.", "en")
    await stranger.say("/new", refusal)
    await stranger.say("/settings", refusal)
    welcome = (
        "Hello! This bot issues LiqPay invoices for shops. To work here, ask your "
        "shop's owner for an invite link."
    )
    await stranger.say("/start", t(welcome, "uk"))
    invalid = "This invite link is not valid. Ask the owner for a new one."
    await stranger.say("/start not-a-real-token", t(invalid, "uk"))
    before = len(fake_liqpay.requests)
    # replaying the owner's button from another account reaches nothing
    button = card.button("Cancel invoice")["callback_data"]
    query = await fake_telegram.press_data(stranger.user, card, button)
    answer = await fake_telegram.wait_for_answer(query)
    assert answer.get("text")
    assert len(fake_liqpay.requests) == before
    await bot_process.stop()


async def test_paid_silently_and_across_a_restart(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["PUBLIC_BASE_URL"] = ""  # LiqPay can't reach us: polling only
    fake_liqpay.default_callback_url = None
    bot_process.env["STATUS_POLL_INTERVAL"] = "1"
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)

    card = await new_invoice(owner, "20", None, "E-mail", "a@example.com")
    assert "server_url" not in sent_data(fake_liqpay, "invoice_send")
    order = sent_data(fake_liqpay, "invoice_send")["order_id"]
    assert await fake_liqpay.pay(order) is None  # nowhere to call back
    await owner.hears("Receipt No 1 is paid", timeout=15)  # the reconciler found it
    edited = await owner.hears("Status: ✅ Paid")  # and the card was updated in place
    assert edited.is_edit and edited.message_id == card.message_id

    card = await new_invoice(owner, "30", None, "E-mail", "b@example.com")
    order = sent_data(fake_liqpay, "invoice_send")["order_id"]
    await bot_process.stop()
    await fake_liqpay.pay(order)  # paid while the bot was down
    await bot_process.start()
    await owner.hears("Receipt No 2 is paid", timeout=15)
    await fake_telegram.assert_no_message(owner.user.id, "Receipt No 1 is paid", within=2)
    await bot_process.stop()


async def test_outages_lose_nothing(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    bot_process.env["STATUS_POLL_INTERVAL"] = "600"
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)

    # LiqPay is down at Confirm: the receipt waits as a draft with Retry, nothing is sent twice
    await owner.say("/new", "Amount in UAH")
    asked = await owner.say("42", "What is it for")
    channels = await owner.tap(asked, "Skip", "How does the customer get")
    await owner.tap(channels, "E-mail", "?")
    summary = await owner.say("c@example.com", "Check the invoice")
    fake_liqpay.down = True
    await owner.tap(summary, "Confirm", "not answering")
    draft = await owner.hears("Not confirmed by LiqPay yet")
    assert draft.has_button("Retry")
    fake_liqpay.down = False
    card = await owner.tap(draft, "Retry", "Receipt No 1")
    sends = fake_liqpay.requests_for("invoice_send")
    assert len({r.payload["order_id"] for r in sends}) == 1
    assert len([r for r in sends if r.http_status == 200]) == 1

    # Telegram is down when the payment arrives: the message comes once it is back
    order = sends[-1].payload["order_id"]
    fake_telegram.down = True
    assert await fake_liqpay.pay(order) == 200
    await asyncio.sleep(1.5)
    fake_telegram.down = False
    await owner.hears("Receipt No 1 is paid", timeout=20)
    await fake_telegram.assert_no_message(owner.user.id, "is paid", within=2)
    assert card.message_id
    await bot_process.stop()


async def test_a_restart_mid_dialog_loses_nothing(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)
    await owner.say("/new", "Amount in UAH")
    asked = await owner.say("99,90", "What is it for")
    await bot_process.restart()
    channels = await owner.tap(asked, "Skip", "How does the customer get")
    summary = await owner.tap(channels, "Link", "Check the invoice")
    assert "99,90" in summary.text
    card = await owner.tap(summary, "Confirm", "Receipt No 1")
    assert link_order(card)[1]["amount"] == "99.9"
    await bot_process.stop()
