"""The replicas' heartbeats, and freeing a dead replica's leases (see ReplicaRegistry)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.sqlite.codec import ts
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.tx import Tx

# A replica's job leases: lease_owner is "<replica id>:<role>".
_FREE_JOBS = (
    "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' "
    "AND lease_owner IS NOT NULL AND substr(lease_owner, 1, length(?1) + 1) = ?1 || ':'"
)
_END_ISSUING = (
    "UPDATE receipts SET issuing_until = ?1, issuing_replica = NULL "
    "WHERE issuing_until > ?1 AND issuing_replica = ?2"
)


class SqliteReplicas:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def beat(self, replica_id: str, now: datetime) -> bool:
        async def op(tx: Tx) -> bool:
            sql = "UPDATE replicas SET seen_at = ? WHERE id = ?"
            if await tx.execute(sql, (ts(now), replica_id)):
                return True
            sql = "INSERT INTO replicas (id, seen_at) VALUES (?, ?)"
            await tx.execute(sql, (replica_id, ts(now)))
            return False

        return await self._db.write(op)

    async def silent(self, alive: str, seen_before: datetime) -> list[str]:
        rows = await self._db.all(
            "SELECT id FROM replicas WHERE id != ? AND seen_at < ? ORDER BY id",
            (alive, ts(seen_before)),
        )
        return [row["id"] for row in rows]

    async def free_dead(
        self, dead: Sequence[str], now: datetime, *, seen_before: datetime
    ) -> list[str]:
        async def op(tx: Tx) -> list[str]:
            forgotten = []
            for replica in dead:
                sql = "DELETE FROM replicas WHERE id = ? AND seen_at < ?"
                if not await tx.execute(sql, (replica, ts(seen_before))):
                    continue
                forgotten.append(replica)
                await tx.execute(_FREE_JOBS, (replica,))
                await tx.execute(_END_ISSUING, (ts(now), replica))
            return forgotten

        return await self._db.write(op)

    async def free_all_but(self, alive: str, now: datetime) -> int:
        async def op(tx: Tx) -> int:
            await tx.execute("DELETE FROM replicas WHERE id != ?", (alive,))
            jobs = await tx.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE state = 'pending' "
                "AND lease_owner IS NOT NULL "
                "AND substr(lease_owner, 1, length(?1) + 1) != ?1 || ':'",
                (alive,),
            )
            issuing = await tx.execute(
                "UPDATE receipts SET issuing_until = ?1, issuing_replica = NULL "
                "WHERE issuing_until > ?1 AND issuing_replica IS NOT ?2",
                (ts(now), alive),
            )
            return jobs + issuing

        return await self._db.write(op)
