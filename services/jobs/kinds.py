"""The job kinds: what each kind's handler is, and how its jobs are leased and retried.

A handler runs one claimed job and says what becomes of it (an `Outcome`); the runner
(services/jobs/runner.py) writes that, and nothing else touches a claimed job. A handler
that raises gets the outcome its kind's `on_error` policy gives. Each feature declares
its kinds beside its handlers:

    fiscal.sale, fiscal.late, fiscal.close_shift  services/fiscal/worker.py
    refund.resolve, fiscal.return, fiscal.register_return  services/refunds/worker.py
    check                            services/payments/reconciler.py
    remind, digest                   services/reminders/worker.py
    reconcile.daily                  services/reconcile/daily.py
    notify                           bot/notifier.py
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.models.jobs import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finish:
    """Done. With `hold_group_until`, its group waits until then (a chat's pacing)."""

    hold_group_until: datetime | None = None


@dataclass(frozen=True)
class Postpone:
    """Again at `until`; `error` is recorded as the job's last error (None clears it)."""

    until: datetime
    error: str | None = None


@dataclass(frozen=True)
class Kill:
    """Never again (the job is DEAD), for `error`."""

    error: str


@dataclass(frozen=True)
class Release:
    """Not worked on: due again at once, for any worker."""


@dataclass(frozen=True)
class Keep:
    """Nothing written: the lease keeps the job from everyone until it runs out."""


Outcome = Finish | Postpone | Kill | Release | Keep
Handler = Callable[[Job], Awaitable[Outcome]]
# what becomes of a job whose handler raised: (job, the exception, now) -> outcome; called
# while the exception is handled (log.exception there logs it)
OnError = Callable[[Job, Exception, datetime], Outcome]


def retry_after(delay: timedelta) -> OnError:
    """Again after `delay`, the exception's type recorded."""

    def policy(job: Job, exc: Exception, now: datetime) -> Outcome:
        log.exception("Job %s (%s) failed", job.id, job.kind)
        return Postpone(now + delay, type(exc).__name__)

    return policy


def doubling_backoff(cap: timedelta) -> OnError:
    """Again after 2^attempts seconds, at most `cap`."""

    def policy(job: Job, exc: Exception, now: datetime) -> Outcome:
        delay = min(cap.total_seconds(), 2.0 ** min(job.attempts, 10))
        return Postpone(now + timedelta(seconds=delay), type(exc).__name__)

    return policy


RETRY_IN_A_MINUTE = retry_after(timedelta(minutes=1))


@dataclass(frozen=True)
class JobKind:
    """`lease`: how long a claim keeps a job from other workers (a killed worker's jobs are
    taken up after it); renewed every `renew_every` seconds (at most a third of the lease)
    while the handler runs. `batch`: jobs claimed at a time; `concurrent`: a batch's jobs
    run together, else one after another."""

    name: str
    handler: Handler
    lease: timedelta
    batch: int = 4
    renew_every: float = 10.0
    concurrent: bool = True
    on_error: OnError = RETRY_IN_A_MINUTE
