"""The one place that claims, renews, finishes and postpones jobs: every worker runs its
kinds (services/jobs/kinds.py) through a JobRunner."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from services.core.clock import Clock
from services.jobs.kinds import Finish, JobKind, Keep, Kill, Outcome, Postpone, Release
from services.jobs.replica import run_leased
from storage.models.jobs import Job
from storage.protocols.jobs import JobQueue

log = logging.getLogger(__name__)


class JobRunner:
    def __init__(
        self, jobs: JobQueue, kinds: Sequence[JobKind], worker_id: str, clock: Clock
    ) -> None:
        self.jobs = jobs
        self.kinds = list(kinds)
        self.worker_id = worker_id
        self.clock = clock

    async def claim(self, kind: JobKind, limit: int | None = None) -> list[Job]:
        return await self.jobs.claim(
            kind.name, self.worker_id, limit=limit or kind.batch, lease=kind.lease,
            now=self.clock(),
        )  # fmt: skip

    async def release(self, job: Job) -> None:
        await self.jobs.release(job.id, self.worker_id)

    async def run(self, kind: JobKind, job: Job) -> Outcome | None:
        """Run the job's handler with its lease renewed, then record the outcome. When the
        store fails to record it, what the kind's policy says instead is recorded (Keep:
        the failure is raised). The outcome recorded; None when the lease went to another
        worker (the handler was stopped) or nothing could be recorded (the lease keeps the
        job until it runs out)."""
        try:
            outcome = await run_leased(
                self.jobs, job, self.worker_id, kind.lease, self.clock, kind.handler(job),
                heartbeat=kind.renew_every,
            )  # fmt: skip
        except Exception as exc:
            outcome = kind.on_error(job, exc, self.clock())
        if outcome is None:
            return None  # its lease went to another worker, which runs it now
        try:
            await self.settle(job.id, outcome)
        except Exception as exc:  # the policy decides, as for a failing handler
            instead = kind.on_error(job, exc, self.clock())
            if isinstance(instead, Keep):
                raise
            try:
                await self.settle(job.id, instead)
            except Exception:
                log.exception("Job %s (%s): nothing could be recorded", job.id, kind.name)
                return None  # its lease runs out, and the next claim sees the attempt's trace
            return instead
        return outcome

    async def settle(self, job_id: int, outcome: Outcome) -> bool:
        """Write the outcome; False when the job's lease is not ours any more."""
        match outcome:
            case Finish(hold_group_until=hold):
                return await self.jobs.finish(
                    job_id, self.worker_id, self.clock(), hold_group_until=hold
                )
            case Postpone(until=until, error=error):
                return await self.jobs.postpone(job_id, self.worker_id, until=until, error=error)
            case Kill(error=error):
                return await self.jobs.give_up(
                    job_id, self.worker_id, error=error, now=self.clock()
                )
            case Release():
                return await self.jobs.release(job_id, self.worker_id)
        return True  # Keep

    async def run_batch(self, kind: JobKind, claimed: Sequence[Job]) -> None:
        """One after another, a failure to record an outcome ending the batch (the rest
        wait for their leases); or together, each failure logged."""
        if not kind.concurrent:
            for job in claimed:
                await self.run(kind, job)
            return
        results = await asyncio.gather(
            *(self.run(kind, job) for job in claimed), return_exceptions=True
        )
        for job, result in zip(claimed, results, strict=True):
            if isinstance(result, Exception):
                log.error(
                    "Job %s (%s): its outcome was not recorded (%r)", job.id, kind.name, result
                )

    async def drain_kind(self, kind: JobKind) -> int:
        """Claim one batch of the kind and run it; how many jobs were run."""
        claimed = await self.claim(kind)
        if claimed:
            await self.run_batch(kind, claimed)
        return len(claimed)

    async def drain(self) -> bool:
        """One batch of every kind; True when some jobs were run."""
        ran = False
        for kind in self.kinds:
            ran = bool(await self.drain_kind(kind)) or ran
        return ran

    async def run_forever(
        self,
        stop: asyncio.Event,
        wait: Callable[[float], Awaitable[object]],
        idle_wait: float,
        *,
        before: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Drain until `stop`; between drains that found nothing, `wait(idle_wait)` (a
        signal that new jobs came, or the failover's wake-up, ends it sooner)."""
        await keep_draining(stop, self.drain, wait, idle_wait, self.worker_id, before=before)


async def keep_draining(
    stop: asyncio.Event,
    drain: Callable[[], Awaitable[bool]],
    wait: Callable[[float], Awaitable[object]],
    idle_wait: float,
    name: str,
    *,
    before: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """A worker's loop: drain, and wait when it was not busy; one failing drain never ends
    the loop."""
    while not stop.is_set():
        try:
            if before is not None:
                await before()
            busy = await drain()
        except Exception:
            log.exception("Worker %s failed; retrying", name)
            busy = False
        if not busy and not stop.is_set():
            await wait(idle_wait)


def stop_wait(stop: asyncio.Event) -> Callable[[float], Awaitable[None]]:
    """A wait that only `stop` ends early."""

    async def wait(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    return wait
