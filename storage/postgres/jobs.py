"""The job queue with leases, and holds (per-group pacing and shared rate slots).

Several processes claim at once, so a claim locks the jobs it takes with `FOR UPDATE SKIP
LOCKED`: a job another claim holds is passed over, never handed out twice. A grouped job is
claimed only as its group's oldest pending job, and a claimed job stays pending until it is
finished: so while one is in flight the group's next job is nobody's head, and two claims
can never take two jobs of one group.

That needs a group's ids in the order its jobs become visible. Ids come from a sequence
when a job is inserted, not when its transaction commits, so every transaction that adds
jobs to a group holds the group's advisory lock until it commits: a job with a lower id
is never committed after one with a higher id of the same group.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from storage.models.jobs import Job, JobState, NewJob
from storage.postgres.engine import CODEC, PostgresEngine, Tx
from storage.rows import job_from

MAX_ERROR = 500
GROUP_LOCK_CLASS = 0x4C697151  # advisory lock class of job groups; the key is _group_lock_key


_INSERT = """
    INSERT INTO jobs (kind, payload, run_at, group_key, dedupe_key, receipt_id, created_at)
    SELECT kind, payload::jsonb, run_at, group_key, dedupe_key, receipt_id, $7
    FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                $6::bigint[]) WITH ORDINALITY
         AS j (kind, payload, run_at, group_key, dedupe_key, receipt_id, n)
    ORDER BY n
    ON CONFLICT (dedupe_key) DO NOTHING
"""

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


async def insert_jobs(
    tx: Tx, jobs: Sequence[NewJob], now: datetime, receipt_id: int | None = None
) -> int:
    """Insert `jobs` inside the caller's transaction (a receipt's change and the jobs it
    causes), skipping those whose dedupe_key exists; `receipt_id`, when given, is the
    receipt every job belongs to. How many were inserted."""
    if not jobs:
        return 0
    keys = sorted({_group_lock_key(job.group_key) for job in jobs if job.group_key is not None})
    for key in keys:  # in one order everywhere, so two inserts never wait for each other
        await tx.execute("SELECT pg_advisory_xact_lock($1, $2)", GROUP_LOCK_CLASS, key)
    return await tx.execute(
        _INSERT,
        [job.kind for job in jobs],
        [json.dumps(dict(job.payload)) for job in jobs],
        [job.run_at or now for job in jobs],
        [job.group_key for job in jobs],
        [job.dedupe_key for job in jobs],
        [receipt_id if receipt_id is not None else job.receipt_id for job in jobs],
        now,
    )


# The jobs a receipt's change causes, as CTEs of that change's one statement (appended to its
# WITH list; `changed` is the CTE holding the changed receipt, none when nothing changed).
# The groups' advisory locks come first: the INSERT's rows wait for `locked`, so every id is
# drawn while its group is locked, and the locks last until the statement commits.
JOBS_CTES = """
    locked AS (
        SELECT pg_advisory_xact_lock({lock_class}, l.key)
        FROM unnest(${keys}::int[]) WITH ORDINALITY AS l (key, n)
        WHERE EXISTS (SELECT 1 FROM changed) ORDER BY l.n
    ), queued AS (
        INSERT INTO jobs (kind, payload, run_at, group_key, dedupe_key, receipt_id, created_at)
        SELECT j.kind, j.payload::jsonb, j.run_at, j.group_key, j.dedupe_key, ${receipt},
               ${now}
        FROM unnest(${first}::text[], ${second}::text[], ${third}::timestamptz[],
                    ${fourth}::text[], ${fifth}::text[]) WITH ORDINALITY
             AS j (kind, payload, run_at, group_key, dedupe_key, n)
        WHERE EXISTS (SELECT 1 FROM changed) AND (SELECT count(*) FROM locked) >= 0
        ORDER BY j.n
        ON CONFLICT (dedupe_key) DO NOTHING
    )"""


def jobs_ctes(first: int, receipt: int, now: int) -> str:
    """JOBS_CTES with its parameters numbered from `first` (see jobs_cte_args); `receipt`
    and `now` are the numbers of the statement's own receipt id and time parameters."""
    n = first
    return JOBS_CTES.format(
        lock_class=GROUP_LOCK_CLASS, keys=n, first=n + 1, second=n + 2, third=n + 3,
        fourth=n + 4, fifth=n + 5, receipt=receipt, now=now,
    )  # fmt: skip


def jobs_cte_args(jobs: Sequence[NewJob], now: datetime) -> tuple[Any, ...]:
    """The six parameters of jobs_ctes: the groups' lock keys (in one order everywhere, so
    two changes never wait for each other), then the jobs' columns."""
    keys = sorted({_group_lock_key(job.group_key) for job in jobs if job.group_key is not None})
    return (
        keys,
        [job.kind for job in jobs],
        [json.dumps(dict(job.payload)) for job in jobs],
        [job.run_at or now for job in jobs],
        [job.group_key for job in jobs],
        [job.dedupe_key for job in jobs],
    )


def _group_lock_key(group_key: str) -> int:
    """The same int4 for a group in every process (CRC-32, signed)."""
    unsigned = zlib.crc32(group_key.encode())
    return unsigned - (1 << 32) if unsigned >= 1 << 31 else unsigned


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
