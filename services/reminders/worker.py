"""Fires reminder and digest jobs (services/reminders/service.py) when they fall due.

A cashier's reminder and a digest become notification jobs (bot/outbox/sender.py sends them,
paced per chat) with dedupe keys derived from the reminder's: a worker killed after making
them and before finishing its job makes nothing new when the job is claimed again.

The customer's SMS leaves the bot, so it is sent at most once. Every postponement records
its reason with the attempt that made it ("unavailable (attempt 2)"): a job claimed again
whose previous attempt recorded nothing had its worker die (or fail to finish the job) at
or after sending, and it is given up rather than risk a second SMS. TurboSMS certainly not
sending (no connection, an error answer) is tried again until the invoice expires; a
request that went out with no answer (a timeout) may have been sent, and is given up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

from services.core.clock import Clock, utcnow
from services.invoices.issuing import InvoiceService
from services.invoices.sms import SMS_MAYBE_SENT, SMS_UNAVAILABLE
from services.jobs.kinds import Finish, JobKind, Kill, Outcome, Postpone
from services.jobs.replica import Replica, worker_name
from services.jobs.runner import JobRunner, keep_draining, stop_wait
from services.notifications.jobs import NOTIFY, NotificationKind, OutboxSignal, chat_group
from services.reminders.service import (
    CASHIER,
    DIGEST,
    REMIND,
    customer_reachable,
    day_bounds,
    digest_job,
    is_current,
    next_digest_day,
    worth_reminding,
)
from storage.models.jobs import Job, NewJob
from storage.models.receipts import CurrencyTotal, Receipt, ReceiptStatus
from storage.protocols.jobs import JobQueue
from storage.protocols.receipt_queries import ReceiptQueries
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.reconcile import ReconcileRepository
from storage.protocols.settings import SettingsRepository
from storage.protocols.shops import ShopRepository

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # longer than an SMS request's timeout
BATCH = 20
INTERVAL = 5.0  # seconds between looks for due jobs: a reminder is at most that late
EARLY = timedelta(seconds=1)  # a reminder due sooner than this after now is sent now
INTERRUPTED = "interrupted while sending: the SMS may have gone, so it is not sent again"
MAYBE_SENT = "TurboSMS did not answer: the SMS may have gone, so it is not sent again"
NOT_FINISHED = "sent, but the job could not be finished: it is not sent again"
CAME_IN = (ReceiptStatus.PAID,)  # the day's takings (a refunded receipt is not takings)
UNPAID = (ReceiptStatus.AWAITING,)

CustomerText = Callable[[Receipt, str], str]  # (receipt, shop name) -> the SMS, in Ukrainian


def totals_payload(totals: list[CurrencyTotal]) -> list[list[object]]:
    return [[t.currency, t.count, t.kopecks] for t in totals]


def attempt_error(reason: str, job: Job) -> str:
    """A postponement's reason, marked with the attempt that recorded it."""
    return f"{reason} (attempt {job.attempts})"


def _postpone(job: Job, until: datetime, reason: str) -> Outcome:
    return Postpone(until, attempt_error(reason, job))


def previous_attempt_recorded(job: Job) -> bool:
    """Did the attempt before this claim postpone the job, saying why (so it sent nothing)?
    An error left by an earlier attempt does not count: the one after may have sent."""
    return job.last_error is not None and job.last_error.endswith(f" (attempt {job.attempts - 1})")


class ReminderWorker:
    def __init__(
        self,
        jobs: JobQueue,
        receipts: ReceiptRepository,
        queries: ReceiptQueries,
        shop_settings: SettingsRepository,
        shops: ShopRepository,
        invoices: InvoiceService,
        signal: OutboxSignal,
        customer_text: CustomerText,
        clock: Clock = utcnow,
        *,
        replica: Replica | None = None,
        worker_id: str | None = None,
        lease: timedelta = LEASE,
        interval: float = INTERVAL,
        reconciled: ReconcileRepository | None = None,
    ) -> None:
        self.jobs = jobs
        self.reconciled = reconciled  # the owner's digest carries the last reconciliation
        self.receipts = receipts
        self.queries = queries
        self.shop_settings = shop_settings
        self.shops = shops
        self.invoices = invoices
        self.signal = signal
        self.customer_text = customer_text
        self.clock = clock
        self.lease = lease
        self.interval = interval
        self._sending: set[int] = set()  # jobs whose SMS has been handed to TurboSMS
        kinds = [
            JobKind(kind, fire, lease, BATCH, concurrent=False, on_error=self._failed)
            for kind, fire in ((REMIND, self.fire_reminder), (DIGEST, self.fire_digest))
        ]
        self.runner = JobRunner(jobs, kinds, worker_name("reminders", replica, worker_id), clock)
        self.worker_id = self.runner.worker_id

    async def run(self, stop: asyncio.Event) -> None:
        await keep_draining(stop, self._drain_all, stop_wait(stop), self.interval, "reminders")

    async def _drain_all(self) -> bool:
        await self.drain()
        return False  # everything due was handled: the next look after the interval

    async def drain(self) -> int:
        """Fire every due reminder and digest; how many jobs were handled."""
        handled = 0
        for kind in self.runner.kinds:
            while True:
                try:
                    ran = await self.runner.drain_kind(kind)
                finally:  # its jobs ran one after another, and are recorded (or leased)
                    self._sending.clear()
                handled += ran
                if ran < kind.batch:
                    break
        return handled

    def _failed(self, job: Job, exc: Exception, now: datetime) -> Outcome:
        if job.id in self._sending:  # the SMS may have gone: never postponed to go again
            # (if even this is not recorded, the lease runs out: the next claim finds no
            # error of this attempt, and gives up)
            log.exception("%s job %s failed after sending; not sent again", job.kind, job.id)
            return Kill(NOT_FINISHED)
        log.exception("%s job %s failed; retrying in a minute", job.kind, job.id)
        return _postpone(job, now + timedelta(minutes=1), type(exc).__name__)

    async def fire_reminder(self, job: Job) -> Outcome:
        now = self.clock()
        receipt = await self.receipts.get(job.receipt_id) if job.receipt_id else None
        if receipt is None:
            return Finish()
        shop = await self.shop_settings.get(receipt.shop_id)
        to = job.payload.get("to")
        switched_on = shop.remind_cashier if to == CASHIER else shop.remind_customer
        if (
            not switched_on
            or not worth_reminding(receipt, now)
            or not is_current(job.payload.get("expires_at"), receipt)
        ):
            return Finish()  # paid, closed, flagged, its expiry moved, or off
        due = receipt.expires_at - timedelta(seconds=shop.remind_lead)
        if due > now + EARLY:  # the owner shortened the lead since it was made
            return _postpone(job, due, "lead changed")
        if to == CASHIER:
            return await self._remind_cashier(job, receipt)
        return await self._remind_customer(job, receipt, customer_reachable(receipt, shop))

    async def _remind_cashier(self, job: Job, receipt: Receipt) -> Outcome:
        member = await self.shops.get_member(receipt.cashier_id)
        if member is not None and member.shop_id == receipt.shop_id:
            chat = receipt.cashier_id
            notice = NewJob(
                NOTIFY,
                {"chat_id": chat, "kind": NotificationKind.REMINDER},
                group_key=chat_group(chat),
                dedupe_key=f"{job.dedupe_key or job.id}:notify",
                receipt_id=receipt.id,
            )
            await self.jobs.enqueue([notice], self.clock())
            self.signal.notify()
        return Finish()

    async def _remind_customer(self, job: Job, receipt: Receipt, reachable: bool) -> Outcome:
        if not reachable or not receipt.link:
            return Finish()
        if job.attempts > 1 and not previous_attempt_recorded(job):
            log.warning("Reminder SMS for receipt %s: %s", receipt.id, INTERRUPTED)
            return Kill(INTERRUPTED)
        members = await self.shops.list_members(receipt.shop_id)
        shop_name = members[0].shop_name if members else ""
        text = self.customer_text(receipt, shop_name)
        self._sending.add(job.id)
        error = await self.invoices.send_sms(receipt, text)
        now = self.clock()
        if error is None:
            log.info("Reminder SMS for receipt %s sent", receipt.id)
            return Finish()
        if error == SMS_UNAVAILABLE and receipt.expires_at > now + timedelta(minutes=1):
            self._sending.discard(job.id)  # certainly not sent: it may go again
            return _postpone(job, now + timedelta(minutes=1), error)
        if error == SMS_MAYBE_SENT:
            log.warning("Reminder SMS for receipt %s: %s", receipt.id, MAYBE_SENT)
            return Kill(MAYBE_SENT)
        return Kill(error or "")

    async def fire_digest(self, job: Job) -> Outcome:
        now = self.clock()
        shop_id, minutes = int(job.payload["shop_id"]), int(job.payload["at"])
        day = date.fromisoformat(str(job.payload["day"]))
        try:
            shop = await self.shop_settings.get(shop_id)
        except LookupError:
            shop = None
        if shop is None or not shop.digest or shop.digest_at != minutes:
            return Finish()  # off, or moved to another time (that job is scheduled)
        notices = await self.digest_notices(shop_id, day, now)
        # the next day's digest goes in with today's notices, in one transaction
        next_day = max(day + timedelta(days=1), next_digest_day(now, minutes))
        await self.jobs.enqueue([*notices, digest_job(shop_id, next_day, minutes)], now)
        if notices:
            self.signal.notify()
        return Finish()

    async def digest_notices(self, shop_id: int, day: date, now: datetime) -> list[NewJob]:
        """The owner's digest covers the shop; a cashier's their own receipts, and a cashier
        with nothing paid that day and nothing awaiting gets none (they were not working)."""
        start, end = day_bounds(day)
        notices = []
        for member in await self.shops.list_members(shop_id):
            cashier = None if member.is_owner else member.user_id
            paid = await self.queries.totals(
                shop_id, CAME_IN, cashier_id=cashier, paid_from=start, paid_until=end
            )
            unpaid = await self.queries.totals(
                shop_id, UNPAID, cashier_id=cashier, expires_after=now
            )
            if cashier is not None and not paid and not unpaid:
                continue
            chat = member.user_id
            payload: dict[str, object] = {
                "chat_id": chat,
                "kind": NotificationKind.DIGEST,
                "day": day.isoformat(),
                "own": cashier is not None,
                "paid": totals_payload(paid),
                "unpaid": totals_payload(unpaid),
            }
            if cashier is None:
                reconciled = await self._last_reconciliation(shop_id, day)
                if reconciled is not None:
                    payload["reconcile"] = reconciled
            notices.append(
                NewJob(
                    NOTIFY,
                    payload,
                    group_key=chat_group(chat),
                    dedupe_key=f"digest-notice:{shop_id}:{day.isoformat()}:{chat}",
                )
            )
        return notices

    async def _last_reconciliation(self, shop_id: int, day: date) -> dict[str, object] | None:
        """The day's reconciliation when the owner ran one, else the day before's (the
        daily one runs after the shift closes, past the digest's hour)."""
        if self.reconciled is None:
            return None
        for which in (day, day - timedelta(days=1)):
            record = await self.reconciled.get(shop_id, which)
            if record is not None:
                return record.result
        return None
