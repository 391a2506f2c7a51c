"""The refund worker: runs `refund.resolve` jobs (a refund a restart left in flight) and
`fiscal.return` jobs (return receipts, each then `fiscal.register_return` in its register's
group) through the job runner, like the fiscal worker does
sales."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from services.core.clock import Clock
from services.fiscal.access import Step
from services.fiscal.returns import FISCAL_REGISTER_RETURN, FiscalReturns
from services.fiscal.worker import stepped
from services.jobs.kinds import JobKind
from services.jobs.replica import Replica, worker_name
from services.jobs.runner import JobRunner
from services.notifications.jobs import OutboxSignal
from services.refunds.ledger import FISCAL_RETURN
from services.refunds.service import REFUND_RESOLVE, RefundService
from storage.models.jobs import Job
from storage.protocols.jobs import JobQueue

# A job's lease is renewed every HEARTBEAT while it runs (a return receipt's wait for the
# tax service can outlast the lease), so a killed worker's job is taken up within LEASE.
LEASE = timedelta(seconds=120)
HEARTBEAT = 30.0
IDLE_WAIT = 5.0

StepHandler = Callable[[Job], Awaitable[Step]]


def refund_handlers(refunds: RefundService, returns: FiscalReturns) -> dict[str, StepHandler]:
    """The refund worker's kinds: a refund a restart left in flight, and return receipts."""
    return {
        REFUND_RESOLVE: refunds.run_job,
        FISCAL_RETURN: returns.run_return,
        FISCAL_REGISTER_RETURN: returns.run_return,
    }


class JobWorker:
    """Runs the kinds given as {kind: handler}, each handler's answer a Step."""

    def __init__(
        self,
        jobs: JobQueue,
        handlers: dict[str, StepHandler],
        wake: OutboxSignal,
        clock: Clock,
        *,
        role: str = "refunds",
        replica: Replica | None = None,
        lease: timedelta = LEASE,
        concurrency: int = 4,
        idle_wait: float = IDLE_WAIT,
        heartbeat: float = HEARTBEAT,
    ) -> None:
        self.wake = wake
        self.idle_wait = idle_wait
        kinds = [
            JobKind(kind, stepped(handler), lease, concurrency, heartbeat)
            for kind, handler in handlers.items()
        ]
        self.runner = JobRunner(jobs, kinds, worker_name(role, replica), clock)
        self.worker_id = self.runner.worker_id

    async def run(self, stop: asyncio.Event) -> None:
        await self.runner.run_forever(stop, self.wake.wait, self.idle_wait)

    async def drain(self) -> bool:
        """Run the due jobs of every kind once; True when some were run."""
        return await self.runner.drain()
