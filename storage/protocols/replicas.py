"""The processes working on one database, so that a dead one's leases go to the living."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class ReplicaRegistry(Protocol):
    """The processes working on this database (table replicas: id, seen_at), so that a dead
    one's leases go to the living at once (services/jobs/failover.py). A replica's job leases
    are those whose lease_owner is "<replica id>:<role>"; its issuing leases name it."""

    async def beat(self, replica_id: str, now: datetime) -> bool:
        """The replica is alive at `now` (registered if it is not); False when it was not
        registered: new, or declared dead meanwhile (its leases were freed then)."""
        ...

    async def silent(self, alive: str, seen_before: datetime) -> list[str]:
        """The replicas other than `alive` last seen before `seen_before`."""
        ...

    async def free_dead(
        self, dead: Sequence[str], now: datetime, *, seen_before: datetime
    ) -> list[str]:
        """In one transaction: forget those of `dead` still last seen before `seen_before`,
        clear their jobs' leases (due again at once) and end their issuing leases at `now`
        (the recovery takes them over). The replicas forgotten."""
        ...

    async def free_all_but(self, alive: str, now: datetime) -> int:
        """The database serves one process, `alive` (SQLite, under its flock): every other
        replica is dead. Forget them, and free every lease not `alive`'s as free_dead does
        (also those naming no replica); how many leases were freed."""
        ...
