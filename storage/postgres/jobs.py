"""The job queue with leases, and holds (per-group pacing and shared rate slots).

Several processes claim at once, so a claim locks the jobs it takes with `FOR UPDATE SKIP
LOCKED`: a job another claim holds is passed over, never handed out twice. A grouped job is
claimed only as its group's oldest pending job, and a claimed job stays pending until it is
finished: so while one is in flight the group's next job is nobody's head, and two claims
can never take two jobs of one group.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.models.jobs import Job, JobState, NewJob
from storage.postgres.engine import CODEC, PostgresEngine, Tx
from storage.postgres.job_inserts import insert_jobs
from storage.rows import job_from

MAX_ERROR = 500


# Due: pending, run_at reached, no live lease; a grouped job only as the oldest pending one
# of its group and while the group is not held. Locked jobs are another claim's: skipped.
_DUE = """
    SELECT j.id FROM jobs j
    WHERE j.kind = $1 AND j.state = 'pending' AND j.run_at <= $2
      AND (j.lease_until IS NULL OR j.lease_until <= $2)
      AND (j.group_key IS NULL OR (
            j.id = (SELECT MIN(g.id) FROM jobs g
                    WHERE g.group_key = j.group_key AND g.state = 'pending')
            AND NOT EXISTS (SELECT 1 FROM job_holds h
                            WHERE h.name = j.group_key AND h.not_before > $2)))
    ORDER BY j.claimed_at NULLS FIRST, j.id
    LIMIT $3
    FOR UPDATE OF j SKIP LOCKED
"""

_LEASE = """
    UPDATE jobs SET lease_owner = $2, lease_until = $3, claimed_at = $4,
                    attempts = attempts + 1
    WHERE id = ANY($1::bigint[]) RETURNING *
"""

_HOLD = (
    "INSERT INTO job_holds (name, not_before) VALUES ($1, $2) ON CONFLICT (name) "
    "DO UPDATE SET not_before = GREATEST(job_holds.not_before, EXCLUDED.not_before)"
)

_RESERVE = (
    "INSERT INTO job_holds (name, not_before) VALUES ($1, $2::timestamptz + $3::interval) "
    "ON CONFLICT (name) DO UPDATE "
    "SET not_before = GREATEST(job_holds.not_before, $2::timestamptz) + $3::interval "
    "RETURNING not_before"
)

# Finishing, postponing, giving up and releasing: only the leaseholder's own pending job.
_FINISH = (
    "UPDATE jobs SET state = 'done', finished_at = $3, lease_owner = NULL, lease_until = NULL "
    "WHERE id = $1 AND lease_owner = $2 AND state = 'pending' RETURNING group_key"
)
_POSTPONE = (
    "UPDATE jobs SET run_at = $3, last_error = $4, lease_owner = NULL, lease_until = NULL "
    "WHERE id = $1 AND lease_owner = $2 AND state = 'pending'"
)
_GIVE_UP = (
    "UPDATE jobs SET state = 'dead', last_error = $3, finished_at = $4, lease_owner = NULL, "
    "lease_until = NULL WHERE id = $1 AND lease_owner = $2 AND state = 'pending'"
)
_RELEASE = (
    "UPDATE jobs SET lease_owner = NULL, lease_until = NULL "
    "WHERE id = $1 AND lease_owner = $2 AND state = 'pending'"
)


class PostgresJobs:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> int:
        if not jobs:
            return 0

        async def op(tx: Tx) -> int:
            return await insert_jobs(tx, jobs, now)

        return await self._db.transaction(op)

    async def claim(
        self, kind: str, worker_id: str, *, limit: int, lease: timedelta, now: datetime
    ) -> list[Job]:
        async def op(tx: Tx) -> list[Job]:
            ids = [r["id"] for r in await tx.all(_DUE, kind, now, limit)]
            if not ids:
                return []
            rows = await tx.all(_LEASE, ids, worker_id, now + lease, now)
            claimed = {row["id"]: job_from(row, CODEC) for row in rows}
            return [claimed[job_id] for job_id in ids]

        return await self._db.transaction(op)

    async def finish(
        self,
        job_id: int,
        worker_id: str,
        now: datetime,
        *,
        hold_group_until: datetime | None = None,
    ) -> bool:
        async def op(tx: Tx) -> bool:
            row = await tx.one(_FINISH, job_id, worker_id, now)
            if row is None:
                return False
            if hold_group_until is not None and row["group_key"] is not None:
                await tx.execute(_HOLD, row["group_key"], hold_group_until)
            return True

        return await self._db.transaction(op)

    async def postpone(
        self, job_id: int, worker_id: str, *, until: datetime, error: str | None
    ) -> bool:
        changed = await self._db.execute(
            _POSTPONE,
            job_id,
            worker_id,
            until,
            error[:MAX_ERROR] if error else None,
        )
        return changed > 0

    async def give_up(self, job_id: int, worker_id: str, *, error: str, now: datetime) -> bool:
        changed = await self._db.execute(_GIVE_UP, job_id, worker_id, error[:MAX_ERROR], now)
        return changed > 0

    async def release(self, job_id: int, worker_id: str) -> bool:
        changed = await self._db.execute(_RELEASE, job_id, worker_id)
        return changed > 0

    async def extend_lease(self, job_id: int, worker_id: str, until: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET lease_until = $3 "
            "WHERE id = $1 AND lease_owner = $2 AND state = 'pending' AND lease_until IS NOT NULL",
            job_id,
            worker_id,
            until,
        )
        return changed > 0

    async def revive(self, dedupe_key: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET state = 'pending', run_at = $2, finished_at = NULL "
            "WHERE dedupe_key = $1 AND (state != 'pending' OR run_at > $2) "
            "AND (lease_until IS NULL OR lease_until <= $2)",
            dedupe_key,
            now,
        )
        return changed > 0

    async def get(self, job_id: int) -> Job | None:
        row = await self._db.one("SELECT * FROM jobs WHERE id = $1", job_id)
        return job_from(row, CODEC) if row else None

    async def find(
        self,
        *,
        kind: str | None = None,
        receipt_id: int | None = None,
        state: JobState | None = None,
    ) -> list[Job]:
        conditions: list[str] = ["TRUE"]
        params: list[Any] = []
        for column, value in (("kind", kind), ("receipt_id", receipt_id), ("state", state)):
            if value is not None:
                params.append(value.value if isinstance(value, JobState) else value)
                conditions.append(f"{column} = ${len(params)}")
        where = " AND ".join(conditions)
        rows = await self._db.all(f"SELECT * FROM jobs WHERE {where} ORDER BY id", *params)  # noqa: S608
        return [job_from(r, CODEC) for r in rows]

    async def hold(self, name: str, until: datetime) -> None:
        await self._db.execute(_HOLD, name, until)

    async def reserve_slot(self, name: str, interval: timedelta, now: datetime) -> datetime:
        # One upsert: the row lock orders concurrent callers, each after the last one's slot.
        end: datetime = await self._db.value(_RESERVE, name, now, interval)
        return end - interval

    async def pending_count(
        self, kind: str | None = None, *, due_at: datetime | None = None
    ) -> int:
        sql = "SELECT COUNT(*) FROM jobs WHERE state = 'pending'"
        params: list[Any] = []
        if kind is not None:
            params.append(kind)
            sql += f" AND kind = ${len(params)}"
        if due_at is not None:
            params.append(due_at)
            n = len(params)
            sql += f" AND run_at <= ${n} AND (lease_until IS NULL OR lease_until <= ${n})"
        return int(await self._db.value(sql, *params))

    async def leased_count(self, worker_ids: Sequence[str], now: datetime) -> int:
        return int(
            await self._db.value(
                "SELECT COUNT(*) FROM jobs WHERE state = 'pending' "
                "AND lease_owner = ANY($1::text[]) AND lease_until > $2",
                list(worker_ids),
                now,
            )
        )
