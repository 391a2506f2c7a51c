"""The job queue with leases, and holds (per-group pacing and shared rate slots).

One process owns the database's writes, and every write runs inside `BEGIN IMMEDIATE`, so
a claim's SELECT and UPDATE see and change the same rows: two claims never share a job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.models.jobs import Job, JobState, NewJob
from storage.rows import job_from
from storage.sqlite.codec import CODEC, dt, ts
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.tx import Stmt, Tx

MAX_ERROR = 500

_JOB_COLUMNS = "kind, payload, run_at, group_key, dedupe_key, receipt_id, created_at"
_ROWS_PER_INSERT = 500  # 7 parameters a row, well inside SQLite's limit

# Due: pending, run_at reached, no live lease; a grouped job only as the oldest pending one
# of its group and while the group is not held. In the claim's order: never claimed first
# (SQLite sorts NULLs lowest), then the least recently claimed, then by id.
_DUE_WHERE = """
    WHERE j.kind = ? AND j.state = 'pending' AND j.run_at <= ?
      AND (j.lease_until IS NULL OR j.lease_until <= ?)
      AND (j.group_key IS NULL OR (
            j.id = (SELECT MIN(g.id) FROM jobs g
                    WHERE g.group_key = j.group_key AND g.state = 'pending')
            AND NOT EXISTS (SELECT 1 FROM job_holds h
                            WHERE h.name = j.group_key AND h.not_before > ?)))
    ORDER BY j.claimed_at, j.id
    LIMIT ?
"""
# Two plans for one query; SQLite has no statistics to choose between them, so the claim
# does. Few due jobs: find them by run_at and sort them. Many (a backlog, a restart): read
# the claim-order index from its start, which meets due ones at once, instead of sorting
# every due job to return ten.
DUE_FEW = "SELECT j.id FROM jobs j INDEXED BY jobs_due" + _DUE_WHERE  # noqa: S608
DUE_MANY = "SELECT j.id FROM jobs j INDEXED BY jobs_claim_order" + _DUE_WHERE  # noqa: S608
MANY_DUE = 1000
_COUNT_DUE = (
    "SELECT COUNT(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_due "
    "WHERE kind = ? AND state = 'pending' AND run_at <= ? LIMIT ?)"
)

_HOLD = (
    "INSERT INTO job_holds (name, not_before) VALUES (?, ?) "
    "ON CONFLICT (name) DO UPDATE SET not_before = MAX(not_before, excluded.not_before)"
)


def jobs_insert(
    jobs: Sequence[NewJob],
    now: datetime,
    *,
    receipt_id: int | None = None,
    receipt_key: str | None = None,
    guarded: bool = False,
) -> list[Stmt]:
    """INSERTs of the jobs (a dedupe key already used skips its job). Every job belongs to
    `receipt_id`, or to the receipt whose idempotency key is `receipt_key`, when given.
    `guarded`: only if the statement just before changed a row (a receipt's change and the
    jobs it causes, in one statement list)."""
    if guarded and len(jobs) > _ROWS_PER_INSERT:  # the guard sees one statement back only
        raise ValueError("too many jobs for one receipt change")
    statements: list[Stmt] = []
    for start in range(0, len(jobs), _ROWS_PER_INSERT):
        chunk = jobs[start : start + _ROWS_PER_INSERT]
        params: list[Any] = []
        for job in chunk:
            params += [
                job.kind, json.dumps(dict(job.payload)), ts(job.run_at or now), job.group_key,
                job.dedupe_key, receipt_id if receipt_id is not None else job.receipt_id, ts(now),
            ]  # fmt: skip
        receipt = "v.column6"
        if receipt_key is not None:  # its parameter comes before the VALUES' ones
            receipt = "(SELECT id FROM receipts WHERE idempotency_key = ?)"
            params.insert(0, receipt_key)
        values = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in chunk)
        where = "changes() > 0" if guarded else "1"
        sql = (
            f"INSERT INTO jobs ({_JOB_COLUMNS}) SELECT v.column1, v.column2, v.column3, "  # noqa: S608
            f"v.column4, v.column5, {receipt}, v.column7 FROM (VALUES {values}) v "
            f"WHERE {where} ON CONFLICT (dedupe_key) DO NOTHING"
        )
        statements.append(Stmt(sql, params))
    return statements


async def insert_jobs(tx: Tx, jobs: Sequence[NewJob], now: datetime, receipt_id: int) -> None:
    """The jobs of one receipt's change, inside a write transaction of its own."""
    for statement in jobs_insert(jobs, now, receipt_id=receipt_id):
        await tx.run(statement)


class SqliteJobs:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def enqueue(self, jobs: Sequence[NewJob], now: datetime) -> int:
        if not jobs:
            return 0
        return sum(await self._db.batch(jobs_insert(jobs, now)))

    async def claim(
        self, kind: str, worker_id: str, *, limit: int, lease: timedelta, now: datetime
    ) -> list[Job]:
        async def op(tx: Tx) -> list[Job]:
            moment = ts(now)
            [(due,)] = await tx.all(_COUNT_DUE, (kind, moment, MANY_DUE))
            if not due:
                return []
            sql = DUE_MANY if due >= MANY_DUE else DUE_FEW
            ids = [r["id"] for r in await tx.all(sql, (kind, moment, moment, moment, limit))]
            if not ids:
                return []
            marks = ", ".join("?" for _ in ids)
            rows = await tx.all(
                "UPDATE jobs SET lease_owner = ?, lease_until = ?, claimed_at = ?, "  # noqa: S608
                f"attempts = attempts + 1 WHERE id IN ({marks}) RETURNING *",
                (worker_id, ts(now + lease), moment, *ids),
            )
            claimed = {row["id"]: job_from(row, CODEC) for row in rows}
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
        statements = [
            Stmt(
                "UPDATE jobs SET state = 'done', finished_at = ?, lease_owner = NULL, "
                "lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'pending'",
                (ts(now), job_id, worker_id),
            )
        ]
        if hold_group_until is not None:
            statements.append(
                Stmt(
                    "INSERT INTO job_holds (name, not_before) SELECT group_key, ? FROM jobs "
                    "WHERE id = ? AND group_key IS NOT NULL AND changes() > 0 "
                    "ON CONFLICT (name) DO UPDATE SET "
                    "not_before = MAX(not_before, excluded.not_before)",
                    (ts(hold_group_until), job_id),
                )
            )
        finished, *_ = await self._db.batch(statements)
        return bool(finished)

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

    async def extend_lease(self, job_id: int, worker_id: str, until: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET lease_until = ? "
            "WHERE id = ? AND lease_owner = ? AND state = 'pending' AND lease_until IS NOT NULL",
            (ts(until), job_id, worker_id),
        )
        return changed > 0

    async def revive(self, dedupe_key: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE jobs SET state = 'pending', run_at = ?, finished_at = NULL "
            "WHERE dedupe_key = ? AND (state != 'pending' OR run_at > ?) "
            "AND (lease_until IS NULL OR lease_until <= ?)",
            (ts(now), dedupe_key, ts(now), ts(now)),
        )
        return changed > 0

    async def get(self, job_id: int) -> Job | None:
        row = await self._db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return job_from(row, CODEC) if row else None

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
        return [job_from(r, CODEC) for r in rows]

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
