"""Jobs inserted inside the transaction of the change that causes them, in their group's
order (storage/postgres/jobs.py claims a grouped job only as its group's oldest pending one).

That needs a group's ids in the order its jobs become visible. Ids come from a sequence
when a job is inserted, not when its transaction commits, so every transaction that adds
jobs to a group holds the group's advisory lock until it commits: a job with a lower id
is never committed after one with a higher id of the same group.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from storage.models.jobs import NewJob
from storage.postgres.engine import Tx

GROUP_LOCK_CLASS = 0x4C697151  # advisory lock class of job groups; the key is group_lock_key


_INSERT = """
    INSERT INTO jobs (kind, payload, run_at, group_key, dedupe_key, receipt_id, created_at)
    SELECT kind, payload::jsonb, run_at, group_key, dedupe_key, receipt_id, $7
    FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
                $6::bigint[]) WITH ORDINALITY
         AS j (kind, payload, run_at, group_key, dedupe_key, receipt_id, n)
    ORDER BY n
    ON CONFLICT (dedupe_key) DO NOTHING
"""


async def insert_jobs(
    tx: Tx, jobs: Sequence[NewJob], now: datetime, receipt_id: int | None = None
) -> int:
    """Insert `jobs` inside the caller's transaction (a receipt's change and the jobs it
    causes), skipping those whose dedupe_key exists; `receipt_id`, when given, is the
    receipt every job belongs to. How many were inserted."""
    if not jobs:
        return 0
    keys = sorted({group_lock_key(job.group_key) for job in jobs if job.group_key is not None})
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
    keys = sorted({group_lock_key(job.group_key) for job in jobs if job.group_key is not None})
    return (
        keys,
        [job.kind for job in jobs],
        [json.dumps(dict(job.payload)) for job in jobs],
        [job.run_at or now for job in jobs],
        [job.group_key for job in jobs],
        [job.dedupe_key for job in jobs],
    )


def group_lock_key(group_key: str) -> int:
    """The same int4 for a group in every process (CRC-32, signed)."""
    unsigned = zlib.crc32(group_key.encode())
    return unsigned - (1 << 32) if unsigned >= 1 << 31 else unsigned
