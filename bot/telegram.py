"""The bot's Telegram client: a request Telegram asks to repeat later (429 with retry_after)
is repeated after the wait it names, in this one place, for every method, within bounds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)

MAX_RETRIES = 3
MAX_RETRY_AFTER = 30.0  # seconds; a longer wait is not waited for: the caller is told at once
MAX_TOTAL_WAIT = 45.0  # seconds of waiting for one request, all retries together


class RetryAfterMiddleware(BaseRequestMiddleware):
    """A 429 means Telegram did not carry the request out, so repeating it never doubles a
    message. Past the bounds the TelegramRetryAfter reaches the caller."""

    def __init__(
        self,
        *,
        max_retries: int = MAX_RETRIES,
        max_retry_after: float = MAX_RETRY_AFTER,
        max_total_wait: float = MAX_TOTAL_WAIT,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.max_total_wait = max_total_wait
        self._sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        waited = 0.0
        retries = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                if (
                    retries >= self.max_retries
                    or wait > self.max_retry_after
                    or waited + wait > self.max_total_wait
                ):
                    raise
                retries += 1
                waited += wait
                log.warning(
                    "Telegram asks to wait %s s before %s; retry %d of %d",
                    exc.retry_after,
                    method.__api_method__,
                    retries,
                    self.max_retries,
                )
                await self._sleep(wait)


def telegram_session(api_url: str, *, retry_after: bool = True) -> AiohttpSession:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    if retry_after:
        session.middleware(RetryAfterMiddleware())
    return session
