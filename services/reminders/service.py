"""Reminders: to the cashier and to the customer before an unpaid invoice expires, and the
end-of-day digest. Each is a job in the store's queue with a dedupe key, so it survives a
restart and is never made twice; services/reminders/worker.py fires them.

- A receipt's reminders are made in the transaction that makes it awaiting (when the switch
  is on then), and for the receipts already awaiting when a switch is turned on. Their
  dedupe key names the receipt and its expiry: a changed expiry is a new reminder, and the
  worker drops one whose expiry is no longer the receipt's.
- Whether to send is decided again when it fires: the receipt must still be awaiting and
  payable and the switch still on; otherwise the job is finished without a word.
- The digest is one job per shop and Kyiv day, at the shop's digest time; its dedupe key
  names the day and the time, so every replica may schedule it and it exists once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from services.core.clock import Clock, utcnow
from services.core.periods import KYIV, kyiv_day
from storage.models.jobs import NewJob
from storage.models.receipts import Channel, Receipt, ReceiptStatus
from storage.models.settings import SettingsChanges, ShopSettings
from storage.models.shops import Member
from storage.protocols.jobs import JobQueue
from storage.protocols.receipt_queries import ReceiptQueries
from storage.protocols.settings import SettingsRepository

REMIND = "remind"  # job kind; payload {"to": CASHIER | CUSTOMER, "expires_at": epoch seconds}
DIGEST = "digest"  # job kind; payload {"shop_id", "day": ISO date, "at": minutes}
CASHIER = "cashier"
CUSTOMER = "customer"
LEAD_CHOICES = (15 * 60, 30 * 60, 3600, 2 * 3600, 3 * 3600)  # seconds before expiry
DIGEST_CHOICES = tuple(hour * 60 for hour in range(17, 24))  # minutes after Kyiv midnight
CUSTOMER_CHANNELS = frozenset({Channel.SMS, Channel.LINK})  # the customer holds a link
SCHEDULE_PAGE = 200
MAX_SCHEDULED = 5000  # awaiting receipts given reminders when a switch is turned on


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


def reminder_key(to: str, receipt_id: int, expires_at: datetime) -> str:
    return f"remind:{to}:{receipt_id}:{_stamp(expires_at)}"


def customer_reachable(receipt: Receipt, shop: ShopSettings) -> bool:
    """The customer got a link (by SMS or from the cashier), gave a phone, and the shop can
    send SMS."""
    return (
        receipt.channel in CUSTOMER_CHANNELS
        and bool(receipt.contact)
        and (receipt.contact or "").isdigit()  # contacts.normalize_phone: 380XXXXXXXXX
        and shop.has_sms
    )


def reminder_jobs(receipt: Receipt, shop: ShopSettings, now: datetime) -> list[NewJob]:
    """The reminders an invoice that becomes awaiting now gets: each switched on, and only
    when its moment is still ahead (an invoice shorter than the lead gets none)."""
    run_at = receipt.expires_at - timedelta(seconds=shop.remind_lead)
    if run_at <= now:
        return []
    wanted = []
    if shop.remind_cashier:
        wanted.append(CASHIER)
    if shop.remind_customer and customer_reachable(receipt, shop):
        wanted.append(CUSTOMER)
    return [
        NewJob(
            REMIND,
            {"to": to, "expires_at": _stamp(receipt.expires_at)},
            run_at=run_at,
            dedupe_key=reminder_key(to, receipt.id, receipt.expires_at),
            receipt_id=receipt.id,
        )
        for to in wanted
    ]


def is_current(payload_expiry: object, receipt: Receipt) -> bool:
    """The reminder was made for the receipt's expiry as it is now."""
    return payload_expiry == _stamp(receipt.expires_at)


def payable(receipt: Receipt, now: datetime) -> bool:
    return receipt.status is ReceiptStatus.AWAITING and receipt.expires_at > now


def worth_reminding(receipt: Receipt, now: datetime) -> bool:
    """Still to be paid, and no payment for it differed (a flagged receipt had money arrive:
    reminding anyone to pay it would ask for a second payment)."""
    return payable(receipt, now) and not receipt.flagged


def digest_moment(day: date, minutes: int) -> datetime:
    """The Kyiv wall-clock time `minutes` after midnight of `day`, as a UTC instant."""
    wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=KYIV)
    return wall.astimezone(UTC)


def next_digest_day(now: datetime, minutes: int) -> date:
    """The first Kyiv day whose digest time is still ahead of `now`."""
    day = kyiv_day(now)
    return day if digest_moment(day, minutes) > now else day + timedelta(days=1)


def digest_job(shop_id: int, day: date, minutes: int) -> NewJob:
    return NewJob(
        DIGEST,
        {"shop_id": shop_id, "day": day.isoformat(), "at": minutes},
        run_at=digest_moment(day, minutes),
        dedupe_key=f"digest:{shop_id}:{day.isoformat()}:{minutes}",
    )


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[Kyiv midnight of `day`, the next Kyiv midnight) in UTC (23 or 25 h on DST days)."""
    start = datetime.combine(day, time(), tzinfo=KYIV)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=KYIV)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class ReminderSettings:
    remind_cashier: bool
    remind_customer: bool
    remind_lead: int
    digest: bool
    digest_at: int


class Reminders:
    """The owner's reminder switches, and the jobs a switch turned on needs at once."""

    def __init__(
        self,
        shop_settings: SettingsRepository,
        queries: ReceiptQueries,
        jobs: JobQueue,
        clock: Clock = utcnow,
    ) -> None:
        self.shop_settings = shop_settings
        self.queries = queries
        self.jobs = jobs
        self.clock = clock

    async def set_switch(self, owner: Member, which: str, on: bool) -> None:
        """`which`: "cashier", "customer" or "digest"."""
        changes = {
            CASHIER: SettingsChanges(remind_cashier=on),
            CUSTOMER: SettingsChanges(remind_customer=on),
            DIGEST: SettingsChanges(digest=on),
        }.get(which)
        if changes is None:
            raise ValueError("unknown reminder")
        await self._update(owner, changes)
        if not on:
            return  # jobs already made see the switch off when they fire, and send nothing
        if which == DIGEST:
            await self.schedule_digest(owner.shop_id)
        else:
            await self.schedule_awaiting(owner.shop_id)

    async def set_lead(self, owner: Member, seconds: int) -> None:
        if seconds not in LEAD_CHOICES:
            raise ValueError("lead not offered")
        await self._update(owner, SettingsChanges(remind_lead=seconds))
        await self.schedule_awaiting(owner.shop_id)

    async def set_digest_time(self, owner: Member, minutes: int) -> None:
        if not 0 <= minutes < 24 * 60:
            raise ValueError("not a time of day")
        await self._update(owner, SettingsChanges(digest_at=minutes))
        await self.schedule_digest(owner.shop_id)

    async def set_offered_digest_time(self, owner: Member, minutes: int) -> None:
        """A digest time from the buttons: one of DIGEST_CHOICES."""
        if minutes not in DIGEST_CHOICES:
            raise ValueError("time not offered")
        await self.set_digest_time(owner, minutes)

    async def schedule_digest(self, shop_id: int) -> None:
        """The next digest at the shop's time (a job for another time finds it changed)."""
        shop = await self.shop_settings.get(shop_id)
        if shop.digest:
            now = self.clock()
            day = next_digest_day(now, shop.digest_at)
            await self.jobs.enqueue([digest_job(shop_id, day, shop.digest_at)], now)

    async def schedule_awaiting(self, shop_id: int) -> int:
        """Reminders for the receipts awaiting payment now (those that have them already
        are skipped by their dedupe keys); how many were made."""
        shop = await self.shop_settings.get(shop_id)
        if not (shop.remind_cashier or shop.remind_customer):
            return 0
        made, offset = 0, 0
        while offset < MAX_SCHEDULED:
            page, total = await self.queries.list_by_status(
                shop_id, [ReceiptStatus.AWAITING], offset=offset, limit=SCHEDULE_PAGE
            )
            now = self.clock()
            jobs = [job for receipt in page for job in reminder_jobs(receipt, shop, now)]
            if jobs:
                made += await self.jobs.enqueue(jobs, now)
            offset += SCHEDULE_PAGE
            if offset >= total:
                break
        return made

    async def _update(self, owner: Member, changes: SettingsChanges) -> None:
        if not owner.is_owner:
            raise PermissionError("only an owner changes settings")
        await self.shop_settings.update(owner.shop_id, changes)

    async def current(self, shop_id: int) -> ReminderSettings:
        s = await self.shop_settings.get(shop_id)
        return ReminderSettings(
            s.remind_cashier, s.remind_customer, s.remind_lead, s.digest, s.digest_at
        )
