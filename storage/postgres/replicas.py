"""The replicas' heartbeats, and freeing a dead replica's leases (see ReplicaRegistry)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.postgres.engine import PostgresEngine, Tx

# A replica's job leases: lease_owner is "<replica id>:<role>".
_FREE_JOBS = (
    "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' "
    "AND lease_owner IS NOT NULL AND EXISTS (SELECT 1 FROM unnest($1::text[]) AS d (id) "
    "WHERE substr(lease_owner, 1, length(d.id) + 1) = d.id || ':')"
)
_END_ISSUING = (
    "UPDATE receipts SET issuing_until = $2, issuing_replica = NULL "
    "WHERE issuing_until > $2 AND issuing_replica = ANY($1::text[])"
)


class PostgresReplicas:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def beat(self, replica_id: str, now: datetime) -> bool:
        async def op(tx: Tx) -> bool:
            if await tx.execute("UPDATE replicas SET seen_at = $2 WHERE id = $1", replica_id, now):
                return True
            await tx.execute(
                "INSERT INTO replicas (id, seen_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                replica_id,
                now,
            )
            return False

        return await self._db.transaction(op)

    async def silent(self, alive: str, seen_before: datetime) -> list[str]:
        rows = await self._db.all(
            "SELECT id FROM replicas WHERE id != $1 AND seen_at < $2 ORDER BY id",
            alive,
            seen_before,
        )
        return [row["id"] for row in rows]

    async def free_dead(
        self, dead: Sequence[str], now: datetime, *, seen_before: datetime
    ) -> list[str]:
        async def op(tx: Tx) -> list[str]:
            # Forgotten first: a beat that came meanwhile keeps its replica and its leases.
            rows = await tx.all(
                "DELETE FROM replicas WHERE id = ANY($1::text[]) AND seen_at < $2 RETURNING id",
                list(dead),
                seen_before,
            )
            forgotten = sorted(row["id"] for row in rows)
            if forgotten:
                await tx.execute(_FREE_JOBS, forgotten)
                await tx.execute(_END_ISSUING, forgotten, now)
            return forgotten

        return await self._db.transaction(op)

    async def free_all_but(self, alive: str, now: datetime) -> int:
        async def op(tx: Tx) -> int:
            await tx.execute("DELETE FROM replicas WHERE id != $1", alive)
            jobs = await tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' "
                "AND lease_owner IS NOT NULL "
                "AND substr(lease_owner, 1, length($1::text) + 1) != $1::text || ':'",
                alive,
            )
            issuing = await tx.execute(
                "UPDATE receipts SET issuing_until = $2, issuing_replica = NULL "
                "WHERE issuing_until > $2 AND issuing_replica IS DISTINCT FROM $1",
                alive,
                now,
            )
            return jobs + issuing

        return await self._db.transaction(op)
