"""The real dispatcher, services and SQLite store, with a recording Bot, for handler tests."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import InlineKeyboardMarkup, Update, User
from aioresponses import aioresponses

from bot.wiring import Services, build_dispatcher, build_services
from services.config import Settings
from tests.conftest import WallClock
from tests.doubles.liqpay_mock import API_URL, REQUEST_URL, liqpay_answer
from tests.doubles.recording_bot import (
    RecordingSession,
    callback_update,
    make_bot,
    person,
    text_update,
)

LIQPAY_URL = API_URL
LIQPAY_REQUEST = REQUEST_URL
# the sandbox keys make_shop_by_bot types
BOT_PUBLIC_KEY = "sandbox_i000000001"
BOT_PRIVATE_KEY = "sandbox_privatekey123"


@dataclass
class BotWorld:
    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    services: Services
    settings: Settings
    liqpay: aioresponses
    clock: WallClock  # the receipts' and refunds' time

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    async def say(self, user: User, text: str) -> list[str]:
        before = len(self.session.requests)
        await self.feed(text_update(user, text))
        return self.replies_since(before, user.id)

    async def press(self, user: User, button_text: str) -> list[str]:
        """Press the newest inline button whose text contains `button_text`."""
        data = self.find_button(user.id, button_text)
        before = len(self.session.requests)
        await self.feed(callback_update(user, data))
        return self.replies_since(before, user.id)

    async def press_data(self, user: User, data: str) -> list[str]:
        before = len(self.session.requests)
        await self.feed(callback_update(user, data))
        return self.replies_since(before, user.id)

    def replies_since(self, index: int, chat_id: int) -> list[str]:
        out = []
        for r in self.session.requests[index:]:
            text = getattr(r, "text", None) or getattr(r, "caption", None)
            if text is not None and getattr(r, "chat_id", chat_id) in (chat_id, None):
                out.append(str(text))
        return out

    def find_button(self, chat_id: int, button_text: str) -> str:
        seen = []
        for r in reversed(self.session.requests):
            markup = getattr(r, "reply_markup", None)
            if not isinstance(markup, InlineKeyboardMarkup):
                continue
            if getattr(r, "chat_id", chat_id) not in (chat_id, None):
                continue
            for row in markup.inline_keyboard:
                for button in row:
                    seen.append(button.text)
                    if button_text in button.text and button.callback_data:
                        return button.callback_data
        raise AssertionError(f"no button {button_text!r}; saw {seen}")

    def liqpay_requests(self) -> list[dict[str, Any]]:
        """Decoded `data` of every request sent to LiqPay, in order."""
        from services.liqpay.signing import decode_data

        out = []
        for (_method, url), calls in self.liqpay.requests.items():
            if str(url) == LIQPAY_REQUEST:
                for call in calls:
                    out.append(decode_data(call.kwargs["data"]["data"]))
        return out


NOT_FOUND = {"result": "error", "status": "error", "err_code": "payment_not_found"}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[BotWorld]:
    settings = Settings(
        bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
        database_path=tmp_path / "data" / "bot.sqlite3",
        liqpay_api_url=LIQPAY_URL,
        secret_key="test-secret-key-that-is-long-enough",  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    with aioresponses(passthrough_unmatched=False) as mocked:
        http = aiohttp.ClientSession()
        clock = WallClock()
        services = await build_services(settings, http, clock)
        bot, session = make_bot()
        dp = build_dispatcher(services, settings)
        yield BotWorld(dp, bot, session, services, settings, mocked, clock)
        await http.close()
        await services.store.close()


OWNER = person(100, "en", "Olena")
CASHIER = person(200, "en", "Ivan")
STRANGER = person(300, "en", "Stranger")


def extract_start_token(text: str) -> str:
    match = re.search(r"start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def make_shop_by_bot(world: BotWorld, owner: User = OWNER, *, keys: bool = True) -> None:
    """The owner makes a shop through the bot ("Кав'ярня") and, with `keys`, gives it sandbox
    LiqPay keys (owner in English: the buttons are pressed by their English text)."""
    await world.say(owner, "/start")
    await world.say(owner, "Кав'ярня")
    if not keys:
        return
    await world.say(owner, "/settings")
    await world.press(owner, "LiqPay")
    await world.say(owner, BOT_PUBLIC_KEY)
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    await world.say(owner, BOT_PRIVATE_KEY)


async def join_cashier(world: BotWorld) -> None:
    replies = await world.say(OWNER, "/invite")
    token = extract_start_token(replies[-1])
    replies = await world.say(CASHIER, f"/start {token}")
    assert any("cashier" in r for r in replies), replies


INVOICE_OK = {
    "result": "ok",
    "status": "invoice_wait",
    "href": "https://www.liqpay.ua/apipay/invoice/tok123",
    "token": "tok123",
    "id": 777,
}


async def issue(world: BotWorld, user, channel: str, contact: str | None, answer=None) -> list[str]:  # type: ignore[no-untyped-def]
    await world.say(user, "/new")
    await world.say(user, "250.50")
    await world.press(user, "Skip")
    await world.press(user, channel)
    if contact is not None:
        await world.say(user, contact)
    if answer is not None:
        world.liqpay.post(LIQPAY_REQUEST, **answer)
    return await world.press(user, "Confirm")
