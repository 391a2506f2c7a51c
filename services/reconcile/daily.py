"""The daily reconciliation: one `reconcile.daily` job per shop and Kyiv day (its dedupe key
names both, so however many replicas schedule it, it is made and run once), due after the
day's shift has closed: at 00:15 Kyiv the next morning, or 15 minutes after a shift close
set between midnight and 06:00. It covers every shop with LiqPay keys, fiscalised or not.
The owners get one message only when something is off or was fixed; the result is kept for
the digest either way."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time, timedelta

from services.core.periods import KYIV, kyiv_day
from services.fiscal.access import FiscalAccess
from services.jobs.kinds import Finish, JobKind, Outcome, Postpone
from services.jobs.replica import Replica, worker_name
from services.jobs.runner import JobRunner, stop_wait
from services.notifications.jobs import NotificationKind, OutboxSignal, notify_job
from services.reconcile.model import Result, Side
from services.reconcile.service import Reconciliation
from storage.models.jobs import Job, NewJob
from storage.models.shops import Role
from storage.protocols.jobs import JobQueue
from storage.protocols.shops import ShopRepository

log = logging.getLogger(__name__)

RECONCILE_DAILY = "reconcile.daily"  # payload {"shop_id", "day"}
AFTER_MIDNIGHT = 15  # minutes after Kyiv midnight
EARLY_CLOSE = 6 * 60  # a shift close before this (minutes) closes the day before
AFTER_CLOSE = 15
RETRY = timedelta(minutes=30)  # LiqPay not answering: again after this
MAX_ATTEMPTS = 6  # then the owner is told LiqPay did not answer
LEASE = timedelta(minutes=5)
SCHEDULE_EVERY = 600.0
IDLE_WAIT = 30.0


def daily_moment(day: date, close_minutes: int | None) -> datetime:
    """When `day`'s reconciliation runs (UTC)."""
    minutes = AFTER_MIDNIGHT
    if close_minutes is not None and close_minutes < EARLY_CLOSE:
        minutes = max(minutes, close_minutes + AFTER_CLOSE)
    moment = datetime.combine(day + timedelta(days=1), time(minutes // 60, minutes % 60), KYIV)
    return moment.astimezone(UTC)


def daily_job(shop_id: int, day: date, close_minutes: int | None) -> NewJob:
    return NewJob(
        RECONCILE_DAILY,
        {"shop_id": shop_id, "day": day.isoformat()},
        run_at=daily_moment(day, close_minutes),
        dedupe_key=f"{RECONCILE_DAILY}:{shop_id}:{day.isoformat()}",
    )


def next_day(now: datetime, close_minutes: int | None) -> date:
    """The first Kyiv day whose reconciliation is still ahead of `now`."""
    day = kyiv_day(now) - timedelta(days=1)
    while daily_moment(day, close_minutes) <= now:
        day += timedelta(days=1)
    return day


def result_notices(owners: list[int], shop_id: int, result: Result) -> list[NewJob]:
    """One message per owner, once per shop and day."""
    day = result.day.isoformat()
    return [
        notify_job(
            owner,
            NotificationKind.RECONCILE,
            dedupe_key=f"reconcile-notice:{shop_id}:{day}:{owner}",
            result=result.to_payload(),
        )
        for owner in owners
    ]


class DailyReconcile:
    """Schedules and runs the `reconcile.daily` jobs."""

    def __init__(
        self,
        reconciliation: Reconciliation,
        jobs: JobQueue,
        shops: ShopRepository,
        access: FiscalAccess,
        outbox: OutboxSignal,
    ) -> None:
        self.reconciliation = reconciliation
        self.jobs = jobs
        self.shops = shops
        self.access = access
        self.outbox = outbox
        self.clock = reconciliation.clock

    async def _close_minutes(self, shop_id: int) -> int | None:
        settings = await self.access.active_settings(shop_id)
        return settings.close_shift_at if settings is not None else None

    async def schedule(self) -> int:
        """Make sure every shop with LiqPay keys has its next day's job."""
        now = self.clock()
        jobs = []
        for shop_id in await self.reconciliation.store.shops_with_keys():
            close = await self._close_minutes(shop_id)
            jobs.append(daily_job(shop_id, next_day(now, close), close))
        return await self.jobs.enqueue(jobs, now) if jobs else 0

    async def run_job(self, job: Job) -> Outcome:
        shop_id = int(job.payload["shop_id"])
        day = date.fromisoformat(str(job.payload["day"]))
        result = await self.reconciliation.run(shop_id, day)
        now = self.clock()
        if result.liqpay is Side.UNAVAILABLE and job.attempts < MAX_ATTEMPTS:
            return Postpone(now + RETRY, "LiqPay unavailable")
        notices: list[NewJob] = []
        if not result.all_well and result.liqpay is not Side.NO_KEYS:
            owners = await self.shops.member_ids(shop_id, Role.OWNER)
            notices = result_notices(owners, shop_id, result)
        close = await self._close_minutes(shop_id)
        following = daily_job(shop_id, max(day + timedelta(days=1), next_day(now, close)), close)
        await self.jobs.enqueue([*notices, following], now)
        if notices:
            self.outbox.notify()
        return Finish()

    def kind(self) -> JobKind:
        return JobKind(RECONCILE_DAILY, self.run_job, LEASE, batch=2, concurrent=False)


class ReconcileWorker:
    def __init__(
        self,
        daily: DailyReconcile,
        *,
        replica: Replica | None = None,
        worker_id: str | None = None,
        idle_wait: float = IDLE_WAIT,
    ) -> None:
        self.daily = daily
        self.idle_wait = idle_wait
        self.runner = JobRunner(
            daily.jobs, [daily.kind()], worker_name("reconcile", replica, worker_id), daily.clock
        )
        self._scheduled_at: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        await self.runner.run_forever(stop, stop_wait(stop), self.idle_wait, before=self.schedule)

    async def schedule(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._scheduled_at is None or now - self._scheduled_at >= SCHEDULE_EVERY:
            await self.daily.schedule()
            self._scheduled_at = now

    async def drain(self) -> bool:
        return await self.runner.drain()
