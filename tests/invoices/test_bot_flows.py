"""Handler tests: the real dispatcher fed updates, a recording Bot, LiqPay via aioresponses."""

from __future__ import annotations

from storage.models.settings import SettingsChanges
from tests.bot_fixtures import (
    CASHIER,
    INVOICE_OK,
    LIQPAY_REQUEST,
    NOT_FOUND,
    OWNER,
    STRANGER,
    BotWorld,
    issue,
    join_cashier,
    make_shop_by_bot,
    world,
)
from tests.doubles.liqpay_mock import liqpay_answer

__all__ = ["world"]


async def test_owner_creates_shop_and_sets_keys(world: BotWorld) -> None:
    replies = await world.say(OWNER, "/start")
    assert any("магазин" in r.lower() or "shop" in r.lower() for r in replies), replies
    replies = await world.say(OWNER, "Кав'ярня")
    assert any("Кав'ярня" in r for r in replies), replies
    await world.say(OWNER, "/settings")
    await world.press(OWNER, "LiqPay")
    await world.say(OWNER, "sandbox_i000000001")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    replies = await world.say(OWNER, "sandbox_privatekey123")
    assert all("sandbox_privatekey123" not in r for r in world.session.texts()), replies
    settings = await world.services.store.settings.get(1)
    assert settings.public_key == "sandbox_i000000001"
    print("\n".join(world.session.texts()))


async def test_cashier_issues_email_invoice(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    replies = await world.say(CASHIER, "/new")
    assert any("Amount" in r for r in replies), replies
    for bad in ["abc", "0", "-5", "1.234", "100000.01"]:
        replies = await world.say(CASHIER, bad)
        assert replies and "250" in replies[-1], (bad, replies)
    await world.say(CASHIER, "1 250,50")
    await world.say(CASHIER, "Кава і тістечко")
    await world.press(CASHIER, "E-mail")
    replies = await world.say(CASHIER, "not-an-email")
    assert "e-mail" in replies[-1].lower()
    replies = await world.say(CASHIER, "Customer@Example.com")
    assert any("Check the invoice" in r for r in replies), replies
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    replies = await world.press(CASHIER, "Confirm")
    print("\n".join(replies))
    sent = world.liqpay_requests()[-1]
    assert sent["action"] == "invoice_send"
    assert sent["amount"] == "1250.5"
    assert sent["email"] == "Customer@example.com"
    card = replies[-1]
    assert "Receipt No 1" in card and "tok123" in card
    # a second tap on the same Confirm does not make another invoice
    replies = await world.press(CASHIER, "Confirm")
    assert len([r for r in world.liqpay_requests() if r["action"] == "invoice_send"]) == 1
    replies = await world.say(CASHIER, "/pending")
    print("\n".join(replies))
    assert any("No 1" in r for r in replies)
    replies = await world.say(STRANGER, "/pending")
    assert "members" in replies[-1]


async def test_privat24_invoice_normalises_phone(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "250.50")
    await world.press(OWNER, "Skip")
    await world.press(OWNER, "Privat24")
    replies = await world.say(OWNER, "+48 601 234 567")
    assert "+380" in replies[-1]
    replies = await world.say(OWNER, "12345")
    assert "phone" in replies[-1]
    await world.say(OWNER, "+38 050 123-45-67")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    replies = await world.press(OWNER, "Confirm")
    sent = world.liqpay_requests()[-1]
    assert sent["phone"] == "380501234567" and sent["action"] == "invoice_send"
    assert sent["description"] == "Оплата за чеком № 1"  # customers read Ukrainian
    assert "Receipt No 1" in replies[-1]


async def test_link_invoice_sends_qr_and_makes_no_server_call(world: BotWorld) -> None:
    from aiogram.methods import SendPhoto

    await make_shop_by_bot(world)
    calls_before = len(world.liqpay_requests())
    replies = await issue(world, OWNER, "Link", None)
    assert len(world.liqpay_requests()) == calls_before
    assert any("lp.test/api/3/checkout?data=" in r for r in replies), replies
    photos = world.session.sent(SendPhoto)
    assert photos and photos[-1].chat_id == OWNER.id


async def test_check_status_paid_and_cancel(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await issue(world, OWNER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    paid = {
        "result": "ok", "status": "success", "payment_id": 55, "amount": 250.5,
        "currency": "UAH", "sender_card_mask2": "424242*42", "end_date": 1795000000000,
    }  # fmt: skip
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(paid))
    replies = await world.press(OWNER, "Check status")
    assert any("Paid" in r and "424242*42" in r for r in replies), replies
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.status.value == "paid"
    replies = await world.say(OWNER, "/pending")
    assert "Nothing" in replies[-1]

    await issue(world, OWNER, "E-mail", "b@example.com", liqpay_answer(INVOICE_OK))
    await world.press(OWNER, "Cancel invoice")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer({"result": "ok"}))
    replies = await world.press(OWNER, "Yes, cancel")
    assert any("Cancelled" in r for r in replies), replies
    actions = [r["action"] for r in world.liqpay_requests()]
    assert actions[-2:] == ["status", "invoice_cancel"]


async def test_liqpay_down_keeps_draft_and_retry_makes_one_invoice(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    replies = await issue(world, OWNER, "E-mail", "a@example.com", {"status": 503, "body": "x"})
    assert any("not answering" in r for r in replies), replies
    assert any("Retry" in b.text for b in _buttons(world)), "retry button"
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.status.value == "draft"
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))  # status: not there
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    replies = await world.press(OWNER, "Retry")
    sends = [r for r in world.liqpay_requests() if r["action"] == "invoice_send"]
    assert len(sends) == 2 and sends[0]["order_id"] == sends[1]["order_id"]
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.status.value == "awaiting"


def _buttons(world: BotWorld):  # type: ignore[no-untyped-def]
    from aiogram.types import InlineKeyboardMarkup

    for r in reversed(world.session.requests):
        markup = getattr(r, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            return [b for row in markup.inline_keyboard for b in row]
    return []


async def test_roles_and_isolation(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    replies = await world.say(CASHIER, "/settings")
    assert "owner" in replies[-1]
    assert world.session.requests[-1].reply_markup is None  # no key buttons for a cashier
    replies = await world.say(STRANGER, "/new")
    assert "members" in replies[-1]
    # the owner's receipt is not the cashier's, and another shop's owner sees neither
    await issue(world, OWNER, "Link", None)
    from bot.ui.callbacks import ReceiptAction

    replies = await world.press_data(CASHIER, ReceiptAction(action="check", id=1).pack())
    assert replies == ["Receipt not found."]
    other = STRANGER
    await world.say(other, "/start")
    await world.say(other, "Other shop")
    replies = await world.press_data(other, ReceiptAction(action="cancel_yes", id=1).pack())
    assert replies == ["Receipt not found."]
    assert not [r for r in world.liqpay_requests() if r["action"] == "invoice_cancel"]
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.status.value == "awaiting"


async def test_rejected_keys_are_not_saved(world: BotWorld) -> None:
    await world.say(OWNER, "/start")
    await world.say(OWNER, "Shop")
    await world.say(OWNER, "/settings")
    await world.press(OWNER, "LiqPay")
    await world.say(OWNER, "i000000001")
    world.liqpay.post(
        LIQPAY_REQUEST,
        **liqpay_answer({"result": "error", "status": "error", "err_code": "invalid_signature"}),
    )
    replies = await world.say(OWNER, "wrongprivate")
    assert any("invalid_signature" in r for r in replies), replies
    settings = await world.services.store.settings.get(1)
    assert settings.public_key is None


async def test_check_status_past_expiry_expires_and_cancels_the_invoice(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await issue(world, OWNER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    world.clock.advance(days=2)
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer({"result": "ok"}))
    replies = await world.press(OWNER, "Check status")
    assert any("Expired" in r for r in replies), replies
    assert [r["action"] for r in world.liqpay_requests()][-2:] == ["status", "invoice_cancel"]


async def test_ukrainian_is_the_default_and_lang_switches(world: BotWorld) -> None:
    from bot.i18n import t
    from tests.doubles.recording_bot import person

    user = person(500, "uk", "Оксана")
    hello = "Hello! Let's set up your shop. What is the shop called?"
    replies = await world.say(user, "/start")
    assert replies == [t(hello, "uk")] and t(hello, "uk") != hello
    await world.say(user, "/lang")
    await world.press(user, "English")
    assert await world.say(user, "/start") == [hello]


def _all_button_data(world: BotWorld, text: str) -> list[str]:
    from aiogram.types import InlineKeyboardMarkup

    found = []
    for r in world.session.requests:
        markup = getattr(r, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                found += [b.callback_data for b in row if text in b.text and b.callback_data]
    return found


async def test_an_old_confirm_does_not_issue_the_newer_dialog(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    for amount in ("100", "5000"):
        await world.say(OWNER, "/new")
        await world.say(OWNER, amount)
        await world.press(OWNER, "Skip")
        await world.press(OWNER, "Link")
    old_confirm, new_confirm = _all_button_data(world, "Confirm")
    replies = await world.press_data(OWNER, old_confirm)
    assert "out of date" in world.session.requests[-1].text
    assert await world.services.store.receipts.get(1) is None
    replies = await world.press_data(OWNER, new_confirm)
    receipt = await world.services.store.receipts.get(1)
    assert receipt is not None and receipt.amount == 500000, replies


async def test_currency_changed_meanwhile_makes_nothing(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await world.say(OWNER, "/new")
    await world.say(OWNER, "100")
    await world.press(OWNER, "Skip")
    await world.press(OWNER, "Link")
    await world.services.store.settings.update(1, SettingsChanges(currency="USD"))
    replies = await world.press(OWNER, "Confirm")
    assert any("USD" in r and "Nothing was made" in r for r in replies), replies
    assert await world.services.store.receipts.get(1) is None
