"""The fiscal worker: claims `fiscal.sale` and `fiscal.close_shift` jobs with a lease and
runs them through services/fiscal/sales.py and shifts.py; a killed worker's jobs are taken
up by another when the lease runs out (and the sale looks the receipt up before selling)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from services.fiscal.access import Step
from services.fiscal.policy import FISCAL_CLOSE_SHIFT, FISCAL_SALE
from services.fiscal.sales import FiscalSales
from services.fiscal.shifts import ShiftClosing
from services.jobs.replica import new_worker_id, run_leased
from storage.models.jobs import Job

log = logging.getLogger(__name__)

# A job's lease is renewed every HEARTBEAT while it runs (a shift opening and the tax
# service's answer can take minutes), so a killed worker's job is taken up within LEASE.
LEASE = timedelta(seconds=30)
HEARTBEAT = 10.0
SCHEDULE_EVERY = 600.0  # seconds between two checks that every shop's shift close is due
IDLE_WAIT = 5.0


class FiscalWorker:
    def __init__(
        self,
        sales: FiscalSales,
        shifts: ShiftClosing,
        *,
        lease: timedelta = LEASE,
        concurrency: int = 4,
        worker_id: str | None = None,
        idle_wait: float = IDLE_WAIT,
    ) -> None:
        self.sales = sales
        self.shifts = shifts
        self.access = sales.access
        self.jobs = self.access.jobs
        self.lease = lease
        self.concurrency = concurrency
        self.worker_id = worker_id or new_worker_id("fiscal")
        self.idle_wait = idle_wait

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        scheduled_at = -SCHEDULE_EVERY
        while not stop.is_set():
            try:
                if loop.time() - scheduled_at >= SCHEDULE_EVERY:
                    await self.shifts.schedule_close_shifts()
                    scheduled_at = loop.time()
                busy = await self.drain()
            except Exception:
                log.exception("Fiscal worker failed; retrying")
                busy = False
            if not busy:
                await self.access.wake.wait(self.idle_wait)

    async def drain(self) -> bool:
        """Run the due jobs of both kinds once; True when some were run."""
        ran = False
        for kind in (FISCAL_SALE, FISCAL_CLOSE_SHIFT):
            claimed = await self.jobs.claim(
                kind, self.worker_id, limit=self.concurrency, lease=self.lease,
                now=self.access.clock(),
            )  # fmt: skip
            if claimed:
                ran = True
                await asyncio.gather(*(self.run_job(job) for job in claimed))
        return ran

    async def _work(self, job: Job) -> Step:
        if job.kind == FISCAL_SALE:
            return await self.sales.run_sale(job)
        return await self.shifts.run_close_shift(job)

    async def run_job(self, job: Job) -> None:
        clock = self.access.clock
        try:
            step = await run_leased(
                self.jobs, job, self.worker_id, self.lease, clock, self._work(job),
                heartbeat=HEARTBEAT,
            )  # fmt: skip
        except Exception as exc:
            log.exception("Fiscal job %s (%s) failed", job.id, job.kind)
            step = Step(clock() + timedelta(minutes=1), type(exc).__name__)
        if step is None:
            return  # its lease went to another worker, which runs it now
        with contextlib.suppress(Exception):
            if step.retry_at is None:
                await self.jobs.finish(job.id, self.worker_id, clock())
            else:
                await self.jobs.postpone(
                    job.id, self.worker_id, until=step.retry_at, error=step.error
                )
