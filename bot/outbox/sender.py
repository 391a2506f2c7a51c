"""Sends notification jobs to Telegram: in order per chat, within Telegram's limits,
retrying what failed for a passing reason and never sending one job twice on purpose.

Different chats' notices are sent concurrently (at most MAX_IN_FLIGHT at a time), one
chat's one at a time. The limits live in the store, so they hold for every replica that
sends: a chat's jobs are one group (claimed one at a time, oldest first) that is held for
PER_CHAT_INTERVAL after each message, and every message takes a slot of one shared
timeline (bot/outbox/pacing.py) spaced just under Telegram's 30/s, which a bot-wide
`retry_after` from Telegram pushes back for everyone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)

from bot.i18n import DEFAULT_LOCALE
from bot.outbox.lookups import StoreLookups
from bot.outbox.notices import (
    NoticeRegistry,
    NoticeRequest,
    ReceiptNoticeRequest,
    known_kind,
    send_notice,
)
from bot.outbox.pacing import GLOBAL_RATE, Pacing
from bot.outbox.registry import build_notices
from services.core.clock import Clock, utcnow
from services.jobs.kinds import Finish, JobKind, Keep, Kill, Outcome, Postpone, doubling_backoff
from services.jobs.replica import Replica, worker_name
from services.jobs.runner import JobRunner, keep_draining
from services.notifications.jobs import NOTIFY, OutboxSignal
from storage.models.jobs import Job
from storage.protocols.jobs import JobQueue
from storage.protocols.lines import ReceiptLinesRepository
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.shops import ShopRepository
from storage.protocols.users import UserRepository

log = logging.getLogger(__name__)

PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat
# a Telegram outage delays notifications by at most a minute after it
BACKOFF = doubling_backoff(timedelta(seconds=60))
MAX_IN_FLIGHT = 10  # sends at a time: at 30/s, room for Telegram answering in 1/3 s
POLL = 0.1  # seconds: how soon a held chat or a running send is looked at again
LEASE = timedelta(seconds=60)  # a killed sender's jobs are sent by another after this


class Delivery(Enum):
    SENT = "sent"  # delivered: the chat is held for the per-chat interval
    DONE = "done"  # finished or given up on without a new message
    RETRY = "retry"  # postponed
    PAUSED = "paused"  # Telegram asked the whole bot to wait
    LOST = "lost"  # its lease went to another sender


class OutboxSender:
    def __init__(
        self,
        jobs: JobQueue,
        receipts: ReceiptRepository,
        users: UserRepository,
        bot: Bot,
        signal: OutboxSignal,
        clock: Clock = utcnow,
        *,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        global_rate: float = GLOBAL_RATE,
        replica: Replica | None = None,
        worker_id: str | None = None,
        lease: timedelta = LEASE,
        batch: int = MAX_IN_FLIGHT,
        shops: ShopRepository | None = None,
        notices: NoticeRegistry | None = None,
        lines: ReceiptLinesRepository | None = None,
    ) -> None:
        self.jobs = jobs
        self.receipts = receipts
        self.users = users
        self.bot = bot
        self.signal = signal
        self.clock = clock
        self.per_chat_interval = timedelta(seconds=per_chat_interval)
        self.pacing = Pacing(jobs, clock, global_rate)
        self.max_in_flight = batch
        # the claim gives at most one job of a chat (its group), so the jobs of one claim
        # are sent together, each after its slot of the bot's rate
        self.kind = JobKind(NOTIFY, self._attempt, lease, batch, on_error=self._failed)
        self.runner = JobRunner(jobs, [self.kind], worker_name("outbox", replica, worker_id), clock)
        self.worker_id = self.runner.worker_id
        # an owner's chat, a live fiscal sale, a receipt's goods
        self.lookups = StoreLookups(jobs, shops, lines)
        self.notices = notices or build_notices()  # what each kind of notification says
        self._held_until: datetime | None = None  # the last per-chat hold this sender set
        self._sent_unmarked: set[int] = set()  # delivered, but the store missed the mark
        # sends go out in the order their jobs were claimed: each job's turn comes after
        # the one claimed before it has made its call (renders run meanwhile)
        self._last_turn: asyncio.Future[None] | None = None
        self._turns: dict[int, tuple[asyncio.Future[None] | None, asyncio.Future[None]]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        await keep_draining(stop, lambda: self.drain(stop), self.signal.wait, 1.0, "outbox")

    async def drain(self, stop: asyncio.Event | None = None) -> bool:
        """Send everything that may go now, up to `max_in_flight` chats at a time. True
        when something may be waiting for a chat's pacing or Telegram's pause (the caller
        comes back soon rather than on a signal)."""
        for job_id in list(self._sent_unmarked):  # sent already: only the mark is missing
            await self.runner.settle(job_id, Finish())
            self._sent_unmarked.discard(job_id)
        sending: set[asyncio.Task[Delivery]] = set()
        try:
            while not self.pacing.paused() and not (stop is not None and stop.is_set()):
                room = self.max_in_flight - len(sending)
                claimed = await self.runner.claim(self.kind, room) if room > 0 else []
                sending |= {asyncio.create_task(self.deliver(job, stop)) for job in claimed}
                if not sending:
                    break
                done, sending = await asyncio.wait(
                    sending, timeout=POLL, return_when=asyncio.FIRST_COMPLETED
                )
                _raise_first(done)  # a failure ends the drain, once the others are done
        except BaseException:
            await asyncio.gather(*sending, return_exceptions=True)
            raise
        # each gives its job back before sending when the drain stops
        _raise_first(await asyncio.gather(*sending, return_exceptions=True))
        paused = self.pacing.paused()
        busy = paused or (self._held_until is not None and self._held_until > self.clock())
        if busy:  # new jobs (a signal) end the wait sooner
            await self.signal.wait(POLL)
        return busy

    async def deliver(self, job: Job, stop: asyncio.Event | None = None) -> Delivery:
        """Send one job, after waiting for its slot in the bot's rate; given back untried
        when Telegram paused the bot or the sender stops meanwhile."""
        if job.id in self._sent_unmarked:
            await self._mark_sent(job.id, self._chat_hold())
            return Delivery.DONE
        turn = asyncio.get_running_loop().create_future()
        self._turns[job.id], self._last_turn = (self._last_turn, turn), turn
        try:
            return await self._deliver(job, stop)
        finally:
            del self._turns[job.id]
            if not turn.done():
                turn.set_result(None)

    async def _deliver(self, job: Job, stop: asyncio.Event | None) -> Delivery:
        taken = await self.pacing.take_slot()
        if not taken or self.pacing.paused() or (stop is not None and stop.is_set()):
            await self.runner.release(job)
            return Delivery.PAUSED
        outcome = await self.runner.run(self.kind, job)
        match outcome:
            case None:
                return Delivery.LOST
            case Finish(hold_group_until=hold) if job.id in self._sent_unmarked:
                self._mark_recorded(job.id, hold)
                return Delivery.SENT
            case Postpone(error="retry_after") if self.pacing.paused():
                return Delivery.PAUSED
            case Postpone():
                return Delivery.RETRY
        return Delivery.DONE

    async def _attempt(self, job: Job) -> Outcome:
        """One send; what becomes of the job (a passing failure: see `_failed`)."""
        try:
            done = await self._send(job)
        except TelegramRetryAfter as exc:
            until, bot_wide = await self.pacing.told_to_wait(_chat(job), exc.retry_after)
            log.warning(
                "Telegram asks %s to wait %s s (chat %s)",
                "the bot" if bot_wide else "the chat",
                exc.retry_after,
                _chat(job),
            )
            return Postpone(until, "retry_after")
        except TelegramForbiddenError as exc:  # this user blocked the bot or left
            log.warning("Notification %s to chat %s dropped: %s", job.id, _chat(job), exc.message)
            return Kill(exc.message)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return Finish()
            log.warning("Notification %s to chat %s refused: %s", job.id, _chat(job), exc.message)
            return Kill(exc.message)
        if isinstance(done, Kill):
            return done
        self._sent_unmarked.add(job.id)
        return done

    def _failed(self, job: Job, exc: Exception, now: datetime) -> Outcome:
        """Network, 5xx, or the whole bot refused (bad token): again after a doubling wait.
        Sent, but not marked (the store failed): kept for the next drain to mark."""
        if job.id in self._sent_unmarked:
            return Keep()
        outcome = BACKOFF(job, exc, now)
        wait = outcome.until - now if isinstance(outcome, Postpone) else timedelta()
        log.warning(
            "Notification %s to chat %s failed (%s); retry in %.0f s",
            job.id,
            _chat(job),
            type(exc).__name__,
            wait.total_seconds(),
        )
        return outcome

    def _chat_hold(self) -> datetime | None:
        """Until when the chat waits after a message (its pacing)."""
        return self.clock() + self.per_chat_interval if self.per_chat_interval else None

    async def _mark_sent(self, job_id: int, hold: datetime | None) -> None:
        await self.runner.settle(job_id, Finish(hold_group_until=hold))
        self._mark_recorded(job_id, hold)

    def _mark_recorded(self, job_id: int, hold: datetime | None) -> None:
        self._sent_unmarked.discard(job_id)
        if hold is not None and (self._held_until is None or hold > self._held_until):
            self._held_until = hold

    async def _send(self, job: Job) -> Kill | Finish:
        """Render the job by its kind's renderer and send what it says; Kill when no
        renderer can (an unknown kind without a receipt). A new message holds the chat
        for its pacing; an edit or nothing sent does not."""
        chat_id, kind = _chat(job), str(job.payload.get("kind", ""))
        render_shop, render = self.notices.renderers(known_kind(kind))
        receipt = None
        if render_shop is None and render is None:
            log.warning("Notification %s: no renderer for kind %r", job.id, kind)
            render = self.notices.fallback if job.receipt_id else None
            if render is None:
                return Kill(f"no renderer for kind {kind!r}")
        if render is not None:  # about a receipt, as it is now
            receipt = await self.receipts.get(job.receipt_id) if job.receipt_id else None
            if receipt is None:
                raise LookupError(f"receipt {job.receipt_id} is gone")
        locale = await self.users.language(chat_id) or DEFAULT_LOCALE
        facts = (kind, chat_id, job.payload, locale, self.clock(), self.lookups)
        if render is not None and receipt is not None:
            notice = await render(ReceiptNoticeRequest(*facts, receipt))
        elif render_shop is not None:
            notice = await render_shop(NoticeRequest(*facts))
        await self._take_turn(job.id)
        if notice is not None and await send_notice(
            self.bot, self.receipts, chat_id, notice, receipt
        ):
            return Finish(hold_group_until=self._chat_hold())
        return Finish()

    async def _take_turn(self, job_id: int) -> None:
        previous, turn = self._turns.get(job_id, (None, None))
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        if turn is not None and not turn.done():
            turn.set_result(None)


def _raise_first(results: Iterable[asyncio.Task[Delivery] | Delivery | BaseException]) -> None:
    for result in results:
        failed = result.exception() if isinstance(result, asyncio.Task) else result
        if isinstance(failed, BaseException):
            raise failed


def _chat(job: Job) -> int:
    return int(job.payload["chat_id"])
