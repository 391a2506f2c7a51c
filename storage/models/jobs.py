from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class JobState(StrEnum):
    PENDING = "pending"  # waiting for its run_at, or claimed (see Job.leased)
    DONE = "done"
    DEAD = "dead"  # given up on


@dataclass(frozen=True)
class NewJob:
    """A unit of background work. `group_key`: at most one job of a group is claimed at a
    time, the oldest first (a chat's messages keep their order). `dedupe_key`: a second job
    with the same key is never created, whatever the first one's state."""

    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)  # JSON-able
    run_at: datetime | None = None  # None: at once (the operation's `now`)
    group_key: str | None = None
    dedupe_key: str | None = None
    receipt_id: int | None = None  # set by the store for jobs a receipt operation causes


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    payload: dict[str, Any]
    run_at: datetime
    group_key: str | None
    dedupe_key: str | None
    receipt_id: int | None
    state: JobState
    attempts: int  # how many times it was claimed
    created_at: datetime
    claimed_at: datetime | None  # the last claim
    lease_owner: str | None
    lease_until: datetime | None
    finished_at: datetime | None
    last_error: str | None

    def leased(self, now: datetime) -> bool:
        return self.lease_until is not None and self.lease_until > now
