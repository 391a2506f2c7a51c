"""Names for this process among the replicas and for the workers that take leases on jobs."""

from __future__ import annotations

import os
import secrets
import socket


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
