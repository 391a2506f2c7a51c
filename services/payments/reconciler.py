"""Background sweep: asks LiqPay about unpaid receipts and expires overdue ones.

Each receipt that is polled has one status-check job (services/payments/polling.py). A sweep claims
the due ones with a lease, so two workers never check one receipt at once and a killed
worker's checks are taken up again when its lease runs out; after a check the job is
postponed to the next check time, or finished when the receipt needs no more polling.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.core.logthrottle import LogThrottle
from services.jobs.kinds import Finish, JobKind, Keep, Outcome, Postpone
from services.jobs.replica import Replica, worker_name
from services.jobs.runner import JobRunner, keep_draining, stop_wait
from services.liqpay.client import LiqPayError
from services.payments.polling import CHECK, needs_polling
from services.receipts.state import KeysUnreadable, NoKeys, ReceiptService
from storage.models.jobs import Job
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.protocols.jobs import JobQueue

log = logging.getLogger(__name__)

# Longer than a whole claimed batch takes in the worst case (batch / concurrency checks in a
# row, each at most a few LiqPay timeouts), so no lease runs out while its check is pending.
CHECK_LEASE = timedelta(minutes=5)


@dataclass
class SweepStats:
    checked: int = 0
    changed: int = 0
    errors: int = 0


class Reconciler:
    def __init__(
        self,
        receipts: ReceiptService,
        jobs: JobQueue,
        interval: float,
        *,
        concurrency: int = 10,
        batch: int = 50,
        lease: timedelta = CHECK_LEASE,
        replica: Replica | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.receipts = receipts
        self.jobs = jobs
        self.interval = interval
        self.concurrency = concurrency
        self.batch = max(1, batch)
        self.lease = lease
        self.runner = JobRunner(
            jobs, [], worker_name("reconciler", replica, worker_id), receipts.clock
        )
        self.worker_id = self.runner.worker_id
        self.throttled = LogThrottle(log)  # an outage meets every receipt of a sweep

    def next_check(self, receipt: Receipt, now: datetime) -> datetime:
        """Young receipts every interval; older ones less often; never past the expiry."""
        age = now - receipt.created_at
        factor = 1 if age < timedelta(hours=1) else 5 if age < timedelta(days=1) else 20
        if receipt.flagged:
            factor = 20  # waiting for the owner, not for LiqPay
        candidate = now + timedelta(seconds=self.interval * factor)
        if receipt.expires_at > now:
            return min(candidate, receipt.expires_at)
        return now + timedelta(seconds=self.interval * (20 if receipt.flagged else 1))

    def check_kind(self, stats: SweepStats) -> JobKind:
        """This sweep's status checks: a check that failed in the store counts as an error,
        and the job's lease keeps it for later."""

        def failed(job: Job, exc: Exception, now: datetime) -> Outcome:
            stats.errors += 1
            log.exception("Status check job %s failed", job.id)
            return Keep()

        async def check(job: Job) -> Outcome:
            return await self._check_job(job, stats)

        return JobKind(CHECK, check, self.lease, self.batch, on_error=failed)

    async def sweep(self) -> SweepStats:
        """Check every receipt due now, least recently checked first, with bounded
        concurrency; claims are topped up while earlier checks run."""
        stats = SweepStats()
        kind = self.check_kind(stats)
        semaphore = asyncio.Semaphore(self.concurrency)
        running: set[asyncio.Task[None]] = set()
        seen: set[int] = set()
        exhausted = False

        async def check(job: Job) -> None:
            async with semaphore:
                try:
                    await self.runner.run(kind, job)
                except Exception:  # the lease keeps the receipt from being asked till it ends
                    log.exception(
                        "Receipt %s: the next check could not be scheduled", job.receipt_id
                    )

        try:
            while True:
                if not exhausted and len(running) <= self.batch // 2:
                    limit = self.batch - len(running)
                    claimed = await self.runner.claim(kind, limit)
                    exhausted = len(claimed) < limit
                    for job in claimed:
                        if job.id in seen:  # due again within this sweep: for the next one
                            exhausted = True
                            await self.runner.release(job)
                            continue
                        seen.add(job.id)
                        running.add(asyncio.create_task(check(job)))
                if not running:
                    return stats
                _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if running:  # the store failed mid-sweep: let the checks under way finish
                await asyncio.gather(*running, return_exceptions=True)

    async def _check_job(self, job: Job, stats: SweepStats) -> Outcome:
        now = self.receipts.clock()
        receipt = await self.receipts.repo.get(job.receipt_id) if job.receipt_id else None
        if receipt is None or not needs_polling(receipt, now):
            return self._next(None, now)
        stats.checked += 1
        after: Receipt | None = receipt
        try:
            after = await self._check_one(receipt, now)
            if after is None or after.status is not receipt.status:
                stats.changed += 1
        except KeysUnreadable:
            pass  # logged (throttled) and the owner told once, where it was found
        except NoKeys:
            self.throttled.log(
                ("no_keys", receipt.shop_id),
                "Shop %s has no LiqPay keys: receipt %s (and any others) not checked",
                receipt.shop_id,
                receipt.id,
            )
        except LiqPayError as exc:
            stats.errors += 1
            self.throttled.log(
                ("liqpay", type(exc).__name__),
                "Receipt %s not checked, will retry: %s",
                receipt.id,
                exc,
            )
        except Exception:
            stats.errors += 1
            log.exception("Receipt %s: unexpected error while checking", receipt.id)
        return self._next(after, now)

    async def _check_one(self, receipt: Receipt, now: datetime) -> Receipt | None:
        if receipt.status is ReceiptStatus.DRAFT:
            if receipt.issuing_until is not None:  # its maker, or the recovery, has it
                return receipt
            return await self.receipts.settle_draft(receipt)
        if receipt.status is not ReceiptStatus.AWAITING:
            # failed or cancelled, but LiqPay may still take a payment until expiry
            return await self.receipts.refresh(receipt, EventSource.POLL)
        if receipt.expires_at <= now:
            return await self.receipts.expire(receipt)
        return await self.receipts.refresh(receipt, EventSource.POLL)

    def _next(self, after: Receipt | None, now: datetime) -> Outcome:
        """The next check, or the end of the job when the receipt needs none."""
        if after is None or not needs_polling(after, now):
            return Finish()
        return Postpone(self.next_check(after, now), None)

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every interval until `stop` is set; one failing sweep never ends the loop."""
        await keep_draining(stop, self._sweep_and_log, stop_wait(stop), self.interval, "reconciler")

    async def _sweep_and_log(self) -> bool:
        stats = await self.sweep()
        if stats.changed or stats.errors:
            log.info(
                "Reconciler: %d checked, %d changed, %d errors",
                stats.checked,
                stats.changed,
                stats.errors,
            )
        return False  # the next sweep after the interval, busy or not
