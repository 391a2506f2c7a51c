"""The refund worker: claims `refund.resolve` jobs (a refund a restart left in flight) and
`fiscal.return` jobs (return receipts) with a lease, like the fiscal worker does sales."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from services.core.clock import Clock
from services.fiscal.access import Step
from services.jobs.replica import new_worker_id, run_leased
from services.notifications.jobs import OutboxSignal
from storage.models.jobs import Job
from storage.protocols.jobs import JobQueue

log = logging.getLogger(__name__)

# A job's lease is renewed every HEARTBEAT while it runs (a return receipt's wait for the
# tax service can outlast the lease), so a killed worker's job is taken up within LEASE.
LEASE = timedelta(seconds=120)
HEARTBEAT = 30.0
IDLE_WAIT = 5.0

Handler = Callable[[Job], Awaitable[Step]]


class JobWorker:
    def __init__(
        self,
        jobs: JobQueue,
        handlers: dict[str, Handler],
        wake: OutboxSignal,
        clock: Clock,
        *,
        role: str = "refunds",
        lease: timedelta = LEASE,
        concurrency: int = 4,
        idle_wait: float = IDLE_WAIT,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.jobs = jobs
        self.handlers = handlers
        self.wake = wake
        self.clock = clock
        self.worker_id = new_worker_id(role)
        self.lease = lease
        self.concurrency = concurrency
        self.idle_wait = idle_wait
        self.heartbeat = heartbeat

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                busy = await self.drain()
            except Exception:
                log.exception("Job worker %s failed; retrying", self.worker_id)
                busy = False
            if not busy:
                await self.wake.wait(self.idle_wait)

    async def drain(self) -> bool:
        """Run the due jobs of every kind once; True when some were run."""
        ran = False
        for kind in self.handlers:
            claimed = await self.jobs.claim(
                kind, self.worker_id, limit=self.concurrency, lease=self.lease, now=self.clock()
            )
            if claimed:
                ran = True
                await asyncio.gather(*(self.run_job(job) for job in claimed))
        return ran

    async def run_job(self, job: Job) -> None:
        try:
            step = await run_leased(
                self.jobs, job, self.worker_id, self.lease, self.clock,
                self.handlers[job.kind](job), heartbeat=self.heartbeat,
            )  # fmt: skip
        except Exception as exc:
            log.exception("Job %s (%s) failed", job.id, job.kind)
            step = Step(self.clock() + timedelta(minutes=1), type(exc).__name__)
        if step is None:
            return  # its lease went to another worker, which runs it now
        with contextlib.suppress(Exception):
            if step.retry_at is None:
                await self.jobs.finish(job.id, self.worker_id, self.clock())
            else:
                await self.jobs.postpone(
                    job.id, self.worker_id, until=step.retry_at, error=step.error
                )
