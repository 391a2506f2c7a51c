"""The job queue with leases, and holds (per-group pacing and shared rate slots).

One process owns the database's writes, and every write runs inside `BEGIN IMMEDIATE`, so
a claim's SELECT and UPDATE see and change the same rows: two claims never share a job.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.models import Job, JobState, NewJob
from storage.sqlite.codec import dt, dt_or_none, ts
from storage.sqlite.engine import SqliteEngine, Tx

MAX_ERROR = 500

_INSERT = (
    "INSERT INTO jobs (kind, payload, run_at, group_key, dedupe_key, receipt_id, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING"
)

# Due: pending, run_at reached, no live lease; a grouped job only as the oldest pending one
# of its group and while the group is not held.
_DUE = """
    SELECT j.id FROM jobs j
    WHERE j.kind = ? AND j.state = 'pending' AND j.run_at <= ?
      AND (j.lease_until IS NULL OR j.lease_until <= ?)
      AND (j.group_key IS NULL OR (
            j.id = (SELECT MIN(g.id) FROM jobs g
                    WHERE g.group_key = j.group_key AND g.state = 'pending')
            AND NOT EXISTS (SELECT 1 FROM job_holds h
                            WHERE h.name = j.group_key AND h.not_before > ?)))
    ORDER BY j.claimed_at IS NOT NULL, j.claimed_at, j.id
    LIMIT ?
"""

_HOLD = (
    "INSERT INTO job_holds (name, not_before) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET not_before = MAX(not_before, excluded.not_before)"
)


def job_rows(
    jobs: Sequence[NewJob], now: datetime, receipt_id: int | None
) -> list[tuple[Any, ...]]:
    """Rows for `_INSERT`; `receipt_id`, when given, is the receipt every job belongs to."""
    return [
        (
            job.kind,
            json.dumps(dict(job.payload)),
            ts(job.run_at or now),
            job.group_key,
            job.dedupe_key,
            receipt_id if receipt_id is not None else job.receipt_id,
            ts(now),
        )
        for job in jobs
    ]


async def insert_jobs(
    tx: Tx, jobs: Sequence[NewJob], now: datetime, receipt_id: int | None = None
) -> None:
    """Inside another operation's transaction (a receipt's change and the jobs it causes)."""
    if jobs:
        await tx.executemany(_INSERT, job_rows(jobs, now, receipt_id))


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=dict(json.loads(row["payload"])),
        run_at=dt(row["run_at"]),
        group_key=row["group_key"],
        dedupe_key=row["dedupe_key"],
        receipt_id=row["receipt_id"],
        state=JobState(row["state"]),
        attempts=row["attempts"],
        created_at=dt(row["created_at"]),
        claimed_at=dt_or_none(row["claimed_at"]),
        lease_owner=row["lease_owner"],
        lease_until=dt_or_none(row["lease_until"]),
        finished_at=dt_or_none(row["finished_at"]),
        last_error=row["last_error"],
    )


class SqliteJobs:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> int:
        async def op(tx: Tx) -> int:
            created = 0
            for row in job_rows(jobs, now, None):
                created += await tx.execute(_INSERT, row)
            return created

        return await self._db.write(op)

    async def claim(
        self, kind: str, worker_id: str, *, limit: int, lease: timedelta, now: datetime
    ) -> list[Job]:
        async def op(tx: Tx) -> list[Job]:
            moment = ts(now)
            ids = [r["id"] for r in await tx.all(_DUE, (kind, moment, moment, moment, limit))]
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            rows = await tx.all(
                "UPDATE jobs SET lease_owner = ?, lease_until = ?, claimed_at = ?, "  # noqa: S608
                f"attempts = attempts + 1 WHERE id IN ({marks}) RETURNING *",
                (worker_id, ts(now + lease), moment, *ids),
            )
            claimed = {row["id"]: _job(row) for row in rows}
            return [claimed[job_id] for job_id in ids]

        return await self._db.write(op)

    async def finish(
        self,
        job_id: int,
        worker_id: str,
        now: datetime,
        *,
        hold_group_until: datetime | None = None,
    ) -> bool:
        async def op(tx: Tx) -> bool:
            row = await tx.one(
                "UPDATE jobs SET state = 'done', finished_at = ?, lease_owner = NULL, "
                "lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'pending' "
                "RETURNING group_key",
                (ts(now), job_id, worker_id),
            )
            if row is None:
                return False
            if hold_group_until is not None and row["group_key"] is not None:
                await tx.execute(_HOLD, (row["group_key"], ts(hold_group_until)))
            return True

        return await self._db.write(op)

    async def postpone(
        self, job_id: int, worker_id: str, *, until: datetime, error: str | None
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET run_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND lease_owner = ? AND state = 'pending'",
            (ts(until), error[:MAX_ERROR] if error else None, job_id, worker_id),
        )
        return changed > 0

    async def give_up(self, job_id: int, worker_id: str, *, error: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET state = 'dead', last_error = ?, finished_at = ?, "
            "lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND lease_owner = ? AND state = 'pending'",
            (error[:MAX_ERROR], ts(now), job_id, worker_id),
        )
        return changed > 0

    async def release(self, job_id: int, worker_id: str) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET lease_owner = NULL, lease_until = NULL "
            "WHERE id = ? AND lease_owner = ? AND state = 'pending'",
            (job_id, worker_id),
        )
        return changed > 0

    async def get(self, job_id: int) -> Job | None:
        row = await self._db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return _job(row) if row else None

    async def find(
        self,
        *,
        kind: str | None = None,
        receipt_id: int | None = None,
        state: JobState | None = None,
    ) -> list[Job]:
        conditions: list[str] = ["1 = 1"]
        params: list[Any] = []
        for column, value in (("kind", kind), ("receipt_id", receipt_id), ("state", state)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        where = " AND ".join(conditions)
        rows = await self._db.all(f"SELECT * FROM jobs WHERE {where} ORDER BY id", params)  # noqa: S608
        return [_job(r) for r in rows]

    async def hold(self, name: str, until: datetime) -> None:
        await self._db.execute(_HOLD, (name, ts(until)))

    async def reserve_slot(self, name: str, interval: timedelta, now: datetime) -> datetime:
        step = interval.total_seconds()
        rows = await self._db.returning(
            "INSERT INTO job_holds (name, not_before) VALUES (?, ?) ON CONFLICT (name) "
            "DO UPDATE SET not_before = ROUND(MAX(not_before, ?) + ?, 6) RETURNING not_before",
            (name, ts(now) + step, ts(now), step),
        )
        return dt(rows[0]["not_before"] - step)

    async def pending_count(
        self, kind: str | None = None, *, due_at: datetime | None = None
    ) -> int:
        sql = "SELECT COUNT(*) FROM jobs WHERE state = 'pending'"
        params: list[Any] = []
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if due_at is not None:
            sql += " AND run_at <= ? AND (lease_until IS NULL OR lease_until <= ?)"
            params += [ts(due_at), ts(due_at)]
        row = await self._db.one(sql, params)
        return int(row[0]) if row else 0

    async def leased_count(self, worker_ids: Sequence[str], now: datetime) -> int:
        if not worker_ids:
            return 0
        marks = ", ".join("?" * len(worker_ids))
        row = await self._db.one(
            "SELECT COUNT(*) FROM jobs WHERE state = 'pending' "  # noqa: S608
            f"AND lease_owner IN ({marks}) AND lease_until > ?",
            [*worker_ids, ts(now)],
        )
        return int(row[0]) if row else 0
