"""The fiscal worker: runs `fiscal.sale` and `fiscal.close_shift` jobs
(services/fiscal/sales.py and shifts.py) through the job runner; a killed worker's jobs are
taken up by another when the lease runs out (and the sale looks the receipt up before
selling)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from services.fiscal.access import Step
from services.fiscal.policy import FISCAL_CLOSE_SHIFT, FISCAL_LATE, FISCAL_SALE
from services.fiscal.sales import FiscalSales
from services.fiscal.shifts import ShiftClosing
from services.jobs.kinds import Finish, Handler, JobKind, Outcome, Postpone
from services.jobs.replica import Replica, worker_name
from services.jobs.runner import JobRunner
from storage.models.jobs import Job

# A job's lease is renewed every HEARTBEAT while it runs (a shift opening and the tax
# service's answer can take minutes), so a killed worker's job is taken up within LEASE.
LEASE = timedelta(seconds=30)
HEARTBEAT = 10.0
SCHEDULE_EVERY = 600.0  # seconds between two checks that every shop's shift close is due
IDLE_WAIT = 5.0


def step_outcome(step: Step) -> Outcome:
    return Finish() if step.retry_at is None else Postpone(step.retry_at, step.error)


def stepped(handler: Callable[[Job], Awaitable[Step]]) -> Handler:
    """A fiscal handler (its answer a Step) as a job kind's handler."""

    async def run(job: Job) -> Outcome:
        return step_outcome(await handler(job))

    return run


def fiscal_kinds(
    sales: FiscalSales, shifts: ShiftClosing, *, lease: timedelta = LEASE, concurrency: int = 4
) -> list[JobKind]:
    return [
        JobKind(FISCAL_SALE, stepped(sales.run_sale), lease, concurrency, HEARTBEAT),
        JobKind(FISCAL_LATE, stepped(sales.run_late), lease, concurrency, HEARTBEAT),
        JobKind(FISCAL_CLOSE_SHIFT, stepped(shifts.run_close_shift), lease, concurrency,
                HEARTBEAT),
    ]  # fmt: skip


class FiscalWorker:
    def __init__(
        self,
        sales: FiscalSales,
        shifts: ShiftClosing,
        *,
        lease: timedelta = LEASE,
        concurrency: int = 4,
        replica: Replica | None = None,
        worker_id: str | None = None,
        idle_wait: float = IDLE_WAIT,
    ) -> None:
        self.shifts = shifts
        self.access = sales.access
        self.idle_wait = idle_wait
        self.runner = JobRunner(
            self.access.jobs,
            fiscal_kinds(sales, shifts, lease=lease, concurrency=concurrency),
            worker_name("fiscal", replica, worker_id),
            self.access.clock,
        )
        self.worker_id = self.runner.worker_id
        self._scheduled_at: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        await self.runner.run_forever(
            stop, self.access.wake.wait, self.idle_wait, before=self.schedule_close_shifts
        )

    async def schedule_close_shifts(self) -> None:
        """Every SCHEDULE_EVERY, make sure every shop's shift close is scheduled."""
        now = asyncio.get_running_loop().time()
        if self._scheduled_at is None or now - self._scheduled_at >= SCHEDULE_EVERY:
            await self.shifts.schedule_close_shifts()
            self._scheduled_at = now

    async def drain(self) -> bool:
        """Run the due jobs of both kinds once; True when some were run."""
        return await self.runner.drain()
