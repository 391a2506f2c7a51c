"""Telegram's limits as the outbox sender keeps them: the bot-wide rate (a slot timeline in
the store, shared by every replica) and Telegram's pauses (429 `retry_after`), which pause
one chat or, when Telegram means the whole bot, every chat."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from services.core.clock import Clock
from storage.protocols.jobs import JobQueue

# Telegram allows ~30 messages/s; a strict 30-in-any-second limiter must never be reached
# by the jitter of the event loop, so the slots are spaced for 28/s (93 %), and after a
# quiet moment a message may take a slot up to SLOT_LAG in the past (the owner's notice
# need not wait a whole slot behind the cashier's): at most 28 x 1.02 + 1 < 30 in any second
GLOBAL_RATE = 28.0
SLOT_LAG = timedelta(milliseconds=20)
GLOBAL_SLOT = "telegram:send"
MAX_SLOT_WAIT = 2.0  # longer than that (Telegram said wait): give the jobs back meanwhile
# a 429 asking for longer than this is a flood wait of the whole bot; shorter ones are a
# chat's (its 1 message/s) unless a second chat is told to wait meanwhile
CHAT_WAIT_MAX = 3.0


class Pacing:
    def __init__(self, jobs: JobQueue, clock: Clock, global_rate: float) -> None:
        self.jobs = jobs
        self.clock = clock
        self.interval = timedelta(seconds=1.0 / global_rate)
        self.paused_until: datetime | None = None  # the bot-wide pause, as last seen
        self._chats_waiting: dict[int, datetime] = {}  # chats Telegram told to wait

    def paused(self) -> bool:
        return self.paused_until is not None and self.paused_until > self.clock()

    async def take_slot(self) -> bool:
        """Wait for one message's slot of the bot-wide rate; False when Telegram's pause
        makes it too far off (the slot is then left unused)."""
        now = self.clock()
        slot = await self.jobs.reserve_slot(GLOBAL_SLOT, self.interval, now - SLOT_LAG)
        wait = (slot - now).total_seconds()
        if wait > MAX_SLOT_WAIT:
            self.paused_until = slot  # no more slots are asked for until then
            return False
        if wait > 0:
            await asyncio.sleep(wait)
        return True

    async def told_to_wait(self, chat_id: int, seconds: float) -> tuple[datetime, bool]:
        """Telegram answered 429 for this chat: until when it waits, and whether the whole
        bot does (a long wait, or another chat's wait still running). A bot-wide pause is
        a hold of the slot timeline, so every replica keeps it."""
        now = self.clock()
        until = now + timedelta(seconds=seconds)
        self._chats_waiting = {c: u for c, u in self._chats_waiting.items() if u > now}
        others = set(self._chats_waiting) - {chat_id}
        self._chats_waiting[chat_id] = until
        if seconds <= CHAT_WAIT_MAX and not others:
            return until, False
        await self.jobs.hold(GLOBAL_SLOT, until)
        self.paused_until = until
        return until, True
