"""Drains the notification outbox into Telegram: in order, within Telegram's limits,
retrying what failed for a passing reason and never sending one row twice on purpose."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)

from bot.i18n import DEFAULT_LOCALE
from bot.keyboards import receipt_card_keyboard
from bot.texts import notification, outcome_message, receipt_card
from services.clock import Clock, utcnow
from services.notifications import NotificationKind, OutboxSignal
from storage.interface import Store
from storage.models import OutboxItem

log = logging.getLogger(__name__)

GLOBAL_RATE = 30.0  # messages per second, all chats together
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
MAX_BACKOFF = 60.0  # a Telegram outage delays notifications by at most a minute after it


class OutboxSender:
    def __init__(
        self,
        store: Store,
        bot: Bot,
        signal: OutboxSignal,
        clock: Clock = utcnow,
        *,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        global_rate: float = GLOBAL_RATE,
    ) -> None:
        self.store = store
        self.bot = bot
        self.signal = signal
        self.clock = clock
        self.per_chat_interval = per_chat_interval
        self.global_interval = 1.0 / global_rate
        self._last_to_chat: dict[int, float] = {}
        self._next_send_at = 0.0
        self._sent_unmarked: set[int] = set()  # delivered, but the store missed the mark

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.drain(stop)
            except Exception:
                log.exception("Outbox drain failed; retrying")
                busy = False
            if not busy:
                await self.signal.wait(1.0)

    async def drain(self, stop: asyncio.Event | None = None) -> bool:
        """Send everything that may go now. True when something waits for per-chat pacing.

        The store hands out each chat's oldest pending item, so a chat's messages keep their
        order and one chat's backlog never holds up another's."""
        waiting = False
        while True:
            delivered = 0
            for item in await self.store.due_notifications(self.clock(), 100):
                if stop is not None and stop.is_set():
                    return False  # between two sends, never in the middle of one
                if self._last_to_chat.get(item.chat_id, -math.inf) + self.per_chat_interval > (
                    time.monotonic()
                ):
                    waiting = True
                    continue
                await self._pace()
                delivered += await self.deliver(item)
            if not delivered:
                break
        if waiting:
            await asyncio.sleep(0.1)
        return waiting

    async def _pace(self) -> None:
        now = time.monotonic()
        if self._next_send_at > now:
            await asyncio.sleep(self._next_send_at - now)
        self._next_send_at = max(now, self._next_send_at) + self.global_interval

    async def deliver(self, item: OutboxItem) -> bool:
        """Send one item; True when it is done with (sent or given up on)."""
        if item.id in self._sent_unmarked:  # sent already: only the mark is missing
            await self.store.mark_sent(item.id, self.clock())
            self._sent_unmarked.discard(item.id)
            return True
        try:
            await self._send(item)
        except TelegramRetryAfter as exc:
            log.warning("Telegram asks to wait %s s (chat %s)", exc.retry_after, item.chat_id)
            self._next_send_at = time.monotonic() + exc.retry_after
            await self.store.postpone(
                item.id, "retry_after", self.clock() + timedelta(seconds=exc.retry_after)
            )
            return False
        except TelegramForbiddenError as exc:  # this user blocked the bot or left
            log.warning(
                "Notification %s to chat %s dropped: %s", item.id, item.chat_id, exc.message
            )
            await self.store.mark_dead(item.id, exc.message)
            return True
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                await self.store.mark_sent(item.id, self.clock())
                return True
            log.warning(
                "Notification %s to chat %s refused: %s", item.id, item.chat_id, exc.message
            )
            await self.store.mark_dead(item.id, exc.message)
            return True
        except Exception as exc:  # network, 5xx, or the whole bot refused (bad token): retry
            delay = min(MAX_BACKOFF, 2.0 ** min(item.attempts + 1, 10))
            log.warning(
                "Notification %s to chat %s failed (%s); retry in %.0f s",
                item.id,
                item.chat_id,
                type(exc).__name__,
                delay,
            )
            await self.store.postpone(
                item.id, type(exc).__name__, self.clock() + timedelta(seconds=delay)
            )
            return False
        self._last_to_chat[item.chat_id] = time.monotonic()
        self._sent_unmarked.add(item.id)
        await self.store.mark_sent(item.id, self.clock())
        self._sent_unmarked.discard(item.id)
        return True

    async def _send(self, item: OutboxItem) -> None:
        receipt = await self.store.get_receipt(item.receipt_id)
        if receipt is None:
            raise LookupError(f"receipt {item.receipt_id} is gone")
        locale = await self.store.get_language(item.chat_id) or DEFAULT_LOCALE
        if item.kind == NotificationKind.CARD:
            if receipt.card_chat_id is None or receipt.card_message_id is None:
                return
            await self.bot.edit_message_text(
                chat_id=receipt.card_chat_id,
                message_id=receipt.card_message_id,
                text=receipt_card(receipt, locale),
                reply_markup=receipt_card_keyboard(receipt, locale),
            )
            return
        if item.kind == NotificationKind.OUTCOME:
            sent = await self.bot.send_message(
                item.chat_id,
                outcome_message(receipt, locale),
                reply_markup=receipt_card_keyboard(receipt, locale),
            )
            if receipt.card_message_id is None or item.chat_id == receipt.cashier_id:
                try:  # it is sent: a failure here must not send it again
                    await self.store.set_card_message(receipt.id, item.chat_id, sent.message_id)
                except Exception:
                    log.exception("Receipt %s: its new card was not recorded", receipt.id)
            return
        await self.bot.send_message(item.chat_id, notification(item.kind, receipt, locale))
