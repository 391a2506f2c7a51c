"""SMS delivery, Telegram webhook mode and the language switch, end to end."""

from __future__ import annotations

import aiohttp

from bot.i18n import t
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.doubles.turbosms import FakeTurboSMS
from tests.e2e.harness import BotProcess
from tests.e2e.test_flows import Person, link_order, new_invoice, open_shop


async def test_sms_invoice_through_turbosms(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    bot_process: BotProcess,
) -> None:
    await bot_process.start()
    owner = Person(fake_telegram, fake_telegram.user(111, "Olena", "en"))
    await open_shop(owner, fake_liqpay)

    # until the gateway is set, the SMS button explains how to set it
    await owner.say("/new", "Amount in UAH")
    asked = await owner.say("15", "What is it for")
    channels = await owner.tap(asked, "Skip", "How does the customer get")
    query = await fake_telegram.press(owner.user, channels, "SMS")
    answer = await fake_telegram.wait_for_answer(query)
    assert "TurboSMS" in answer["text"] and answer["show_alert"]
    await owner.say("/cancel", "Cancelled")

    fake_sms.add_token("turbo-token-1")
    menu = await owner.say("/settings", "Settings of")
    await owner.tap(menu, "SMS gateway", "API token")
    bad = await fake_telegram.send_text(owner.user, "wrong-token")
    await owner.hears("sender name")
    assert fake_telegram.is_user_message_deleted(owner.user.id, bad["message_id"])
    await owner.say("MyShop", "does not accept this token")
    menu = await owner.say("/settings", "Settings of")
    await owner.tap(menu, "SMS gateway", "API token")
    token = await fake_telegram.send_text(owner.user, "turbo-token-1")
    await owner.hears("sender name")
    assert fake_telegram.is_user_message_deleted(owner.user.id, token["message_id"])
    await owner.say("MyShop", "SMS gateway saved")

    card = await new_invoice(owner, "15", None, "SMS", "067 123 45 67")
    link, data = link_order(card)
    sms = await fake_sms.wait_for_sms("380671234567")
    assert sms.sender == "MyShop" and link in sms.text and sms.token == "turbo-token-1"
    assert data["amount"] == "15"
    assert "turbo-token-1" not in bot_process.log_text()
    await bot_process.stop()


async def test_webhook_mode(fake_telegram: FakeTelegram, bot_process: BotProcess) -> None:
    bot_process.env["WEBHOOK_URL"] = f"{bot_process.url}/telegram/hook"
    await bot_process.start()
    call = await fake_telegram.wait_for_call("setWebhook")
    params = call.params
    fake_telegram.user(555, "W", "en")
    fake_telegram._chat(555).started = True  # the update below goes around the fake
    assert params["url"] == f"{bot_process.url}/telegram/hook" and params["secret_token"]
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": {"id": 555, "type": "private"},
            "from": {"id": 555, "is_bot": False, "first_name": "W", "language_code": "en"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    async with aiohttp.ClientSession() as http:
        forged = await http.post(f"{bot_process.url}/telegram/hook", json=update)
        assert forged.status == 401  # no secret token: not from Telegram
        headers = {"X-Telegram-Bot-Api-Secret-Token": params["secret_token"]}
        genuine = await http.post(f"{bot_process.url}/telegram/hook", json=update, headers=headers)
        assert genuine.status == 200
    await fake_telegram.wait_for_message(555, "LiqPay invoices")
    assert not fake_telegram.calls("getUpdates")
    await bot_process.stop()


async def test_language_follows_telegram_and_lang_switches_it(
    fake_telegram: FakeTelegram, bot_process: BotProcess
) -> None:
    await bot_process.start()
    user = Person(fake_telegram, fake_telegram.user(444, "Oksana", "uk"))
    hello = "Hello! Let's set up your shop. What is the shop called?"
    assert t(hello, "uk") != hello
    await user.say("/start", t(hello, "uk"))
    choice = await user.say("/lang")
    await user.tap(choice, "English", "Language: English")
    await user.say("/start", hello)
    english_menu = fake_telegram.commands_for({"type": "chat", "chat_id": 444})
    assert english_menu and english_menu[0]["description"] == "Start"
    await bot_process.stop()
