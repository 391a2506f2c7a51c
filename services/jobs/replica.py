"""Names for this process among the replicas and for the workers that take leases on jobs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from services.core.clock import Clock
from storage.models.jobs import Job
from storage.protocols.jobs import JobQueue

log = logging.getLogger(__name__)
T = TypeVar("T")


def new_replica_id() -> str:
    """Unique per process start: a restarted process never mistakes an old lease for its own."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def new_worker_id(role: str) -> str:
    return f"{new_replica_id()}:{role}"


class Replica:
    """This process: its id, and the ids of the workers it started (whose leases are its
    work in progress, as /healthz reports)."""

    def __init__(self, replica_id: str | None = None) -> None:
        self.id = replica_id or new_replica_id()
        self.worker_ids: list[str] = []

    def worker_id(self, role: str) -> str:
        worker = f"{self.id}:{role}"
        self.worker_ids.append(worker)
        return worker


async def run_leased(
    jobs: JobQueue,
    job: Job,
    worker_id: str,
    lease: timedelta,
    clock: Clock,
    work: Awaitable[T],
    *,
    heartbeat: float,
) -> T | None:
    """Run `work` while renewing the job's lease every `heartbeat` seconds (at most a
    third of the lease). None when the lease was lost (another worker holds the job now,
    or it was finished): the work is stopped then, since the other worker does it. A
    renewal that fails for another reason (a busy database) is tried again next beat."""
    task = asyncio.ensure_future(work)
    interval = min(heartbeat, lease.total_seconds() / 3)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=interval)
            if done:
                return task.result()
            try:
                kept = await jobs.extend_lease(job.id, worker_id, clock() + lease)
            except Exception:
                log.warning("Job %s: its lease was not renewed; trying again", job.id)
                continue
            if not kept:
                log.warning("Job %s: its lease went to another worker; stopped", job.id)
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                return None
    finally:
        if not task.done():  # the worker itself is being stopped
            task.cancel()


def worker_name(role: str, replica: Replica | None, worker_id: str | None = None) -> str:
    """A worker's id: given (tests), or this replica's for the role (its leases then count
    as the replica's on /healthz)."""
    if worker_id is not None:
        return worker_id
    return replica.worker_id(role) if replica is not None else new_worker_id(role)
