"""A second invoice for the same sale is pointed out before anything is sent, end to end:
the cashier shows the first one or issues another, never a silent duplicate."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import t
from services.core.money import format_amount
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import BotMessage, FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import (
    Person,
    invite,
    new_invoice,
    open_shop,
    sent_data,
    shop_with_cashier,
)

KYIV = ZoneInfo("Europe/Kyiv")
AMOUNT = format_amount(12345, "UAH")  # "123,45 UAH", as every amount is shown
WARNING = (
    "⚠️ Invoice No {number} for {amount} to {contact} was issued at {time} (Kyiv) and "
    "awaits payment."
)
OTHERS = (
    "⚠️ Invoice No {number} for {amount} to {contact} was issued by another cashier at {time} "
    "(Kyiv) and awaits payment."
)


def kyiv_minutes(*moments: datetime) -> set[str]:
    return {m.astimezone(KYIV).strftime("%H:%M") for m in moments}


async def summary(who: Person, amount: str, contact: str, expect: str) -> BotMessage:
    """/new up to the summary, by e-mail, in the person's language."""
    locale = who.user.language_code
    prompt = t("New invoice. Amount in {currency}? For example 250 or 250,50.", locale)
    await who.say("/new", prompt.format(currency="UAH"))
    await who.tg.send_text(who.user, amount)
    asked = await who.tg.wait_for_message(who.user.id, lambda m: m.has_button(t("Skip", locale)))
    channels = await who.tap(
        asked, t("Skip", locale), t("How does the customer get the invoice?", locale)
    )
    await who.tap(channels, t("E-mail", locale), t("Customer's e-mail?", locale))
    return await who.say(contact, expect)


def warned(
    shown: BotMessage, template: str, times: set[str], locale: str, **values: object
) -> bool:
    return any(t(template, locale, time=time, **values) in shown.text for time in times)


async def test_a_second_invoice_for_the_same_sale_is_pointed_out_first(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    await bot_process.start()
    _, cashier = await shop_with_cashier(fake_telegram, fake_liqpay)

    before = datetime.now(KYIV)
    first = await new_invoice(cashier, "123,45", None, "E-mail", "crash@example.com")
    times = kyiv_minutes(before, datetime.now(KYIV))
    assert "Receipt No 1" in first.text and len(fake_liqpay.requests_for("invoice_send")) == 1

    # the same amount to the same customer (as the bot normalises the address): told first
    shown = await summary(cashier, "123.45", "crash@EXAMPLE.com", "Check the invoice")
    assert warned(
        shown, WARNING, times, "en", number=1, amount=AMOUNT, contact="crash@example.com"
    ), shown.text
    assert shown.has_button("Show it") and shown.has_button("Issue another")
    assert not shown.has_button("Confirm")
    await fake_telegram.assert_no_message(cashier.user.id, "Receipt No 2", within=1.5)
    assert len(fake_liqpay.requests_for("invoice_send")) == 1  # nothing without a tap

    # Show it: the first receipt's card; the question stays open
    card = await cashier.tap(shown, "Show it", "Receipt No 1")
    assert AMOUNT in card.text and "crash@example.com" in card.text
    assert fake_telegram.current(shown) is not None
    assert len(fake_liqpay.requests_for("invoice_send")) == 1

    # Issue another, tapped twice: one more invoice, not two
    await fake_telegram.press(cashier.user, shown, "Issue another")
    await fake_telegram.press(cashier.user, shown, "Issue another", latest=False)
    second = await cashier.hears("Receipt No 2")
    assert AMOUNT in second.text
    await fake_telegram.assert_no_message(cashier.user.id, "Receipt No 3", within=1.5)
    assert len(fake_liqpay.requests_for("invoice_send")) == 2
    assert sent_data(fake_liqpay, "invoice_send")["email"] == "crash@example.com"

    # a different amount or a different customer is not the same sale
    for amount, contact in (("123,46", "crash@example.com"), ("123,45", "other@example.com")):
        plain = await summary(cashier, amount, contact, "Check the invoice")
        assert plain.has_button("Confirm") and not plain.has_button("Issue another")
        assert "awaits payment" not in plain.text
        await cashier.say("/cancel", "Cancelled")

    # once the earlier invoices are paid, nothing waits: no warning
    orders = [r.payload["order_id"] for r in fake_liqpay.requests_for("invoice_send")]
    for number, order in enumerate(orders, 1):
        assert await fake_liqpay.pay(order) == 200
        await cashier.hears(f"Receipt No {number} is paid")
    plain = await summary(cashier, "123,45", "crash@example.com", "Check the invoice")
    assert plain.has_button("Confirm") and "awaits payment" not in plain.text
    await cashier.say("/cancel", "Cancelled")

    # nor once it is cancelled
    card = await new_invoice(cashier, "50", None, "E-mail", "late@example.com")
    await cashier.tap(card, "Cancel invoice", "Cancel this invoice?")
    await cashier.tap(card, "Yes, cancel", "Cancelled")
    plain = await summary(cashier, "50", "late@example.com", "Check the invoice")
    assert plain.has_button("Confirm") and "awaits payment" not in plain.text
    await bot_process.stop()


async def test_another_cashiers_invoice_is_told_in_ukrainian_without_its_card(
    fake_telegram: FakeTelegram, fake_liqpay: FakeLiqPay, bot_process: BotProcess
) -> None:
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    ivan = Person(fake_telegram, fake_telegram.user(222, "Ivan", "en"))
    oksana = Person(fake_telegram, fake_telegram.user(333, "Оксана", "uk"))
    await open_shop(owner, fake_liqpay)
    await invite(owner, ivan)
    link = await owner.say("/invite", "t.me/")
    token = re.search(r"start=([\w-]+)", link.text)
    assert token, link.text
    await oksana.say(f"/start {token.group(1)}")

    before = datetime.now(KYIV)
    await new_invoice(ivan, "123,45", None, "E-mail", "crash@example.com")
    times = kyiv_minutes(before, datetime.now(KYIV))

    # another cashier of the shop: told in her language, the card stays Ivan's
    check = t("<b>Check the invoice</b>", "uk").removeprefix("<b>").removesuffix("</b>")
    assert check != "Check the invoice"
    shown = await summary(oksana, "123,45", "crash@example.com", check)
    assert warned(
        shown, OTHERS, times, "uk", number=1, amount=AMOUNT, contact="crash@example.com"
    ), shown.text
    assert t(OTHERS, "uk") != OTHERS
    assert not shown.has_button(t("👁 Show it", "uk"))
    assert shown.has_button(t("➕ Issue another", "uk")) and t("➕ Issue another", "uk") != (
        "➕ Issue another"
    )
    await fake_telegram.press(oksana.user, shown, t("➕ Issue another", "uk"))
    await oksana.hears(
        t("🧾 <b>Receipt No {number}</b>", "uk", number=2).replace("<b>", "").replace("</b>", "")
    )
    assert len(fake_liqpay.requests_for("invoice_send")) == 2

    # the owner sees every receipt of the shop: the newest one's card is hers to open
    shown = await summary(owner, "123,45", "crash@example.com", "Check the invoice")
    assert warned(
        shown, WARNING, times | kyiv_minutes(datetime.now(KYIV)), "en", number=2,
        amount=AMOUNT, contact="crash@example.com",
    )  # fmt: skip
    await owner.tap(shown, "Show it", "Receipt No 2")
    assert len(fake_liqpay.requests_for("invoice_send")) == 2
    await bot_process.stop()
