"""The bot's Telegram client repeats what Telegram asks to repeat later, within bounds."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter

from bot.telegram import RetryAfterMiddleware
from tests.doubles.recording_bot import RecordingSession, telegram_error


def retrying_bot(**bounds: Any) -> tuple[Bot, RecordingSession, list[float]]:
    waits: list[float] = []

    def sleep(seconds: float) -> Awaitable[None]:
        waits.append(seconds)

        async def done() -> None:
            return None

        return done()

    session = RecordingSession()
    session.middleware(RetryAfterMiddleware(sleep=sleep, **bounds))
    return Bot(token="42:TEST-TOKEN-FOR-TESTS-ONLY", session=session), session, waits


async def test_a_rate_limited_request_is_sent_after_the_wait() -> None:
    bot, session, waits = retrying_bot()
    session.queue(7, telegram_error(429, "Too Many Requests", retry_after=2))
    sent = await bot.send_message(7, "card")
    assert sent.text == "card"
    assert waits == [2] and len(session.requests) == 2


async def test_retries_are_bounded() -> None:
    bot, session, waits = retrying_bot(max_retries=3)
    session.queue(7, *[telegram_error(429, "Too Many Requests", retry_after=1)] * 4)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(7, "card")
    assert waits == [1, 1, 1] and len(session.requests) == 4


async def test_a_long_wait_is_not_waited_for() -> None:
    bot, session, waits = retrying_bot(max_retry_after=30)
    session.queue(7, telegram_error(429, "Too Many Requests", retry_after=31))
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(7, "card")
    assert waits == []


async def test_the_total_wait_is_capped() -> None:
    bot, session, waits = retrying_bot(max_total_wait=45)
    session.queue(7, *[telegram_error(429, "Too Many Requests", retry_after=20)] * 3)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(7, "card")
    assert waits == [20, 20]


async def test_other_errors_are_not_retried() -> None:
    bot, session, waits = retrying_bot()
    session.queue(7, telegram_error(400, "Bad Request: chat not found"))
    with pytest.raises(Exception, match="chat not found"):
        await bot.send_message(7, "card")
    assert waits == [] and len(session.requests) == 1
