"""The fakes against the project's own clients (aiogram's session, LiqPayClient,
TurboSmsClient), in-process: proves they speak the same wire format as the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web
from pydantic import SecretStr

from services.liqpay.client import LiqPayClient, LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.liqpay.signing import Credentials, verify
from services.turbosms import SmsError, TurboSmsClient
from tests.doubles.liqpay import FakeLiqPay, sandbox_creds
from tests.doubles.telegram import FakeTelegram, html_to_text
from tests.doubles.turbosms import FakeTurboSMS
from tests.e2e.harness import BOT_TOKEN


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake_telegram.url))
    b = Bot(BOT_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    yield b
    await b.session.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in pairs]
    )


async def test_messages_edits_and_presses(fake_telegram: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "invoice_test_bot"
    alice = fake_telegram.user(42, "Alice")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(alice.id, "hi")  # she never wrote to the bot
    await fake_telegram.send_text(alice, "/start abc")
    updates = await bot(GetUpdates(offset=0, timeout=1))
    assert updates[0].message is not None
    assert updates[0].message.text == "/start abc"
    assert updates[0].message.entities is not None
    assert updates[0].message.entities[0].type == "bot_command"

    sent = await bot.send_message(
        alice.id, "<b>Invoice</b> 1 &amp; 2", reply_markup=keyboard(("Check", "rc:check:1"))
    )
    assert sent.message_id == 2  # her /start was 1
    assert sent.reply_markup is not None
    msg = await fake_telegram.wait_for_message(alice.id, "Invoice 1 & 2")
    assert msg.html == "<b>Invoice</b> 1 &amp; 2"
    assert msg.buttons == ["Check"]
    method, params = fake_telegram.calls("sendMessage")[-1]
    assert method == "sendMessage"
    assert params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "rc:check:1"

    press = await fake_telegram.press(alice, msg, "Check")
    updates = await bot(GetUpdates(offset=updates[-1].update_id + 1, timeout=1))
    query = updates[0].callback_query
    assert query is not None
    assert query.data == "rc:check:1"
    await bot.answer_callback_query(query.id, text="Checking")
    assert (await fake_telegram.wait_for_answer(press))["text"] == "Checking"
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)

    await bot.edit_message_text("Paid", chat_id=alice.id, message_id=sent.message_id)
    edited = await fake_telegram.wait_for_message(alice.id)
    assert edited.is_edit
    assert edited.reply_markup is None  # editMessageText without markup drops the keyboard
    with pytest.raises(TelegramBadRequest, match="not modified"):
        await bot.edit_message_text("Paid", chat_id=alice.id, message_id=sent.message_id)
    with pytest.raises(AssertionError, match="no inline button"):
        await fake_telegram.press(alice, edited, "Check")

    photo = await bot.send_photo(
        alice.id, BufferedInputFile(b"\x89PNG-bytes", "qr.png"), caption="QR"
    )
    shot = await fake_telegram.wait_for_message(alice.id, "QR")
    assert shot.photo == b"\x89PNG-bytes"
    assert photo.photo is not None
    await bot.delete_message(alice.id, photo.message_id)
    assert [m.text for m in fake_telegram.screen(alice.id)] == ["Paid"]


async def test_telegram_refusals(fake_telegram: FakeTelegram, bot: Bot) -> None:
    bob = fake_telegram.user(7, "Bob")
    await fake_telegram.send_text(bob, "hi")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(bob.id, "a < b")
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(bob.id, "x", reply_markup=keyboard(("x", "d" * 65)))
    with pytest.raises(TelegramBadRequest, match="too long"):
        await bot.send_message(bob.id, "x" * 4097)
    fake_telegram.fail_next("sendMessage", 429)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(bob.id, "x")
    fake_telegram.block(bob.id)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(bob.id, "x")
    fake_telegram.unblock(bob.id)
    fake_telegram.down = True
    with pytest.raises(TelegramServerError):
        await bot.send_message(bob.id, "x")
    fake_telegram.down = False
    await bot.send_message(bob.id, 'Pay: <a href="https://pay.test/x?a=1&amp;b=2">here</a>')
    paylink = await fake_telegram.wait_for_message(bob.id, "Pay")
    assert paylink.text == "Pay: here"
    assert paylink.links == ["https://pay.test/x?a=1&b=2"]
    assert html_to_text('<a href="https://x">l</a> &lt;&#33;') == "l <!"


async def test_get_updates_long_poll(fake_telegram: FakeTelegram, bot: Bot) -> None:
    carol = fake_telegram.user(9, "Carol")
    poll = asyncio.create_task(bot(GetUpdates(timeout=5)))
    await asyncio.sleep(0.3)
    assert not poll.done()  # waits while nothing is queued
    await fake_telegram.send_text(carol, "hello")
    updates = await asyncio.wait_for(poll, 2)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    empty = await bot(GetUpdates(offset=updates[0].update_id + 1, timeout=0))
    assert empty == []


@pytest.mark.parametrize("version", [3, 7])
async def test_liqpay_invoice_status_cancel(
    fake_liqpay: FakeLiqPay, http: aiohttp.ClientSession, version: int
) -> None:
    fake_liqpay.add_keys("sandbox_pub", "sandbox_priv")
    client = LiqPayClient(http, fake_liqpay.api_url, retry_delay=0.01)
    expires = datetime.now(UTC) + timedelta(hours=1)
    answer = await client.invoice_send(
        sandbox_creds(version),
        order_id="o-1",
        amount=12345,
        currency="UAH",
        description="Coffee",
        expires_at=expires,
        email="a@example.com",
    )
    assert answer.status == "invoice_wait"
    assert answer.href is not None
    assert answer.href.startswith("https://liqpay.test/apipay/invoice/")
    assert fake_liqpay.requests[-1].signature_ok
    with pytest.raises(LiqPayRefused) as dup:
        await client.invoice_send(
            sandbox_creds(version),
            order_id="o-1",
            amount=1,
            currency="UAH",
            description="x",
            expires_at=expires,
            email="a@example.com",
        )
    assert dup.value.err_code == "order_id_duplicate"
    status = await client.status(sandbox_creds(version), "o-1")
    assert status.status == "invoice_wait"
    assert await fake_liqpay.pay("o-1") is None  # no server_url: no callback
    status = await client.status(sandbox_creds(version), "o-1")
    assert status.status == "success"
    assert str(status.amount) == "123.45"
    with pytest.raises(PaymentNotFound):
        await client.status(sandbox_creds(version), "nope")
    wrong = Credentials("sandbox_pub", SecretStr("other"), version)
    with pytest.raises(LiqPayRefused) as bad:
        await client.status(wrong, "o-1")
    assert bad.value.err_code == "invalid_signature"
    assert not fake_liqpay.requests[-1].signature_ok
    unknown = Credentials("nobody", SecretStr("x"), version)
    with pytest.raises(LiqPayRefused, match="public_key_not_found"):
        await client.status(unknown, "o-1")


async def test_liqpay_checkout_link_and_callback(
    fake_liqpay: FakeLiqPay, http: aiohttp.ClientSession
) -> None:
    fake_liqpay.add_keys("sandbox_pub", "sandbox_priv")
    client = LiqPayClient(http, fake_liqpay.api_url, retry_delay=0.01)
    received: list[dict[str, str]] = []

    async def callback(request: web.Request) -> web.Response:
        form = await request.post()
        received.append({k: str(v) for k, v in form.items()})
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/cb", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    cb_url = f"http://127.0.0.1:{runner.addresses[0][1]}/cb"
    try:
        link = client.checkout_url(
            sandbox_creds(7),
            order_id="o-2",
            amount=100,
            currency="UAH",
            description="Tea",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            server_url=cb_url,
        )
        with pytest.raises(PaymentNotFound):
            await client.status(sandbox_creds(7), "o-2")
        fake_liqpay.open_link(link)
        assert await fake_liqpay.pay("o-2") == 200
        payload = verify("sandbox_priv", received[0]["data"], received[0]["signature"])
        assert payload["status"] == "success"
        assert payload["version"] == 7
        assert str(payload["amount"]) == "1.0"
    finally:
        await runner.cleanup()

    fake_liqpay.down = True
    with pytest.raises(LiqPayUnavailable):
        await client.status(sandbox_creds(7), "o-2")


async def test_turbosms(fake_sms: FakeTurboSMS, http: aiohttp.ClientSession) -> None:
    fake_sms.add_token("tok", balance=10, senders={"Shop"})
    client = TurboSmsClient(http, fake_sms.url)
    assert await client.balance("tok") == 10
    message_id = await client.send("tok", "Shop", "380501234567", "Pay: https://x")
    assert message_id
    sms = await fake_sms.wait_for_sms("380501234567")
    assert (sms.sender, sms.text) == ("Shop", "Pay: https://x")
    with pytest.raises(SmsError, match="INVALID_TOKEN"):
        await client.balance("bad")
    with pytest.raises(SmsError, match="INVALID_SMS_SENDER"):
        await client.send("tok", "Other", "380501234567", "x")
    with pytest.raises(SmsError):
        await client.send("tok", "Shop", "12345", "x")


async def test_telegram_rate_limits_and_the_bots_retry(fake_telegram: FakeTelegram) -> None:
    """The bot's own session repeats what Telegram asks to repeat, within bounds."""
    from bot.telegram import telegram_session

    bob = fake_telegram.user(7, "Bob")
    await fake_telegram.send_text(bob, "hi")
    retrying = Bot(BOT_TOKEN, session=telegram_session(fake_telegram.url))
    plain = Bot(BOT_TOKEN, session=telegram_session(fake_telegram.url, retry_after=False))
    try:
        fake_telegram.rate_limit_next("sendMessage", 1, when=lambda p: p.get("text") == "card")
        await plain.send_message(bob.id, "other")  # not matched: goes through
        with pytest.raises(TelegramRetryAfter) as asked:
            await plain.send_message(bob.id, "card")
        assert asked.value.retry_after == 1
        fake_telegram.rate_limit_next("sendMessage", 1, times=2)
        started = asyncio.get_running_loop().time()
        await retrying.send_message(bob.id, "card")
        assert asyncio.get_running_loop().time() - started >= 2
        assert [c.status for c in fake_telegram.calls("sendMessage")][-3:] == [429, 429, 200]
        fake_telegram.rate_limit_next("sendMessage", 120)  # longer than the bot waits
        with pytest.raises(TelegramRetryAfter):
            await retrying.send_message(bob.id, "card")
    finally:
        await retrying.session.close()
        await plain.session.close()


async def test_liqpay_hanging_and_held_answers(
    fake_liqpay: FakeLiqPay, http: aiohttp.ClientSession
) -> None:
    fake_liqpay.add_keys("sandbox_pub", "sandbox_priv")
    impatient = LiqPayClient(http, fake_liqpay.api_url, timeout=0.5, status_attempts=1)
    expires = datetime.now(UTC) + timedelta(hours=1)

    async def send(order_id: str) -> None:
        await impatient.invoice_send(
            sandbox_creds(), order_id=order_id, amount=100, currency="UAH", description="x",
            expires_at=expires, email="a@example.com",
        )  # fmt: skip

    fake_liqpay.hang_requests()
    with pytest.raises(LiqPayUnavailable):
        await send("o-hung")
    assert fake_liqpay.hanging == 1
    await asyncio.sleep(0.2)  # the fake notices the caller is gone
    fake_liqpay.release_requests()
    await asyncio.sleep(0.2)
    assert fake_liqpay.requests == []  # the caller went away: it never reached "LiqPay"
    with pytest.raises(PaymentNotFound):
        await impatient.status(sandbox_creds(), "o-hung")

    fake_liqpay.answer_delay["invoice_send"] = 2
    with pytest.raises(LiqPayUnavailable):
        await send("o-held")
    assert fake_liqpay.order("o-held").status == "invoice_wait"  # made, though not answered


async def test_telegram_takes_a_document(fake_telegram: FakeTelegram, bot: Bot) -> None:
    bob = fake_telegram.user(43, "Bob")
    await fake_telegram.send_text(bob, "/start")
    sent = await bot.send_document(
        bob.id, BufferedInputFile(b"\xef\xbb\xbfa;b\r\n", filename="r.csv"), caption="File"
    )
    assert sent.document is not None and sent.caption == "File"
    shown = await fake_telegram.wait_for_message(bob.id, lambda m: m.kind == "document")
    assert shown.photo == b"\xef\xbb\xbfa;b\r\n" and shown.text == "File"
    assert shown.params["document"].filename == "r.csv"
    with pytest.raises(TelegramBadRequest):
        await bot.send_document(bob.id, "")  # no document in the request
