"""A receipt's transition as one row for a TEMP view on the writer connection, so a batch's
transitions reach SQLite as one executemany (see storage/sqlite/engine.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from storage.models.jobs import NewJob
from storage.sqlite.codec import ts

CHANGE_COLUMNS = frozenset(
    {
        "link", "invoice_token", "paid_at", "payment_id", "card_mask", "expires_at",
        "payment_rrn", "payment_auth_code", "payment_bank", "payment_system", "fiscal_state",
    }
)  # fmt: skip

# A transition is one row inserted into a TEMP view: its trigger appends the event from
# the status as it is (that insert is the compare step), then sets the status and changes
# and inserts the jobs only if it did. Rows of a batch's transitions go to SQLite as one
# executemany and run in order, so the second of two racing transitions sees the first.
# The changes are a JSON object: a field absent stays, a field that is null becomes NULL.
_CHANGE_SET = ", ".join(
    f"{name} = CASE WHEN json_type(NEW.changes, '$.{name}') IS NULL THEN {name} "
    f"ELSE json_extract(NEW.changes, '$.{name}') END"
    for name in sorted(CHANGE_COLUMNS)
)
SETUP = (
    "CREATE TEMP TABLE receipt_transition_outcomes "
    "(request INTEGER PRIMARY KEY, receipt_id INTEGER NOT NULL)",
    "CREATE TEMP VIEW receipt_transitions AS SELECT NULL AS request, NULL AS receipt_id, "
    "NULL AS expected, NULL AS new_status, NULL AS at, NULL AS source, NULL AS liqpay_status, "
    "NULL AS detail, NULL AS changes, NULL AS jobs",
    "CREATE TEMP TRIGGER receipt_transition INSTEAD OF INSERT ON receipt_transitions BEGIN "  # noqa: S608
    "DELETE FROM receipt_transition_outcomes WHERE NEW.request = 0; "
    "INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, "
    "liqpay_status, detail) SELECT id, NEW.at, NEW.source, status, NEW.new_status, "
    "NEW.liqpay_status, NEW.detail FROM receipts WHERE id = NEW.receipt_id "
    "AND status IN (SELECT value FROM json_each(NEW.expected)); "
    "UPDATE receipts SET status = NEW.new_status, "
    "liqpay_status = COALESCE(NEW.liqpay_status, liqpay_status), "
    f"{_CHANGE_SET} WHERE id = NEW.receipt_id AND changes() > 0; "
    "INSERT INTO receipt_transition_outcomes (request, receipt_id) "
    "SELECT NEW.request, NEW.receipt_id WHERE changes() > 0; "
    "INSERT INTO jobs (kind, payload, run_at, group_key, dedupe_key, receipt_id, created_at) "
    "SELECT json_extract(value, '$.kind'), json_extract(value, '$.payload'), "
    "json_extract(value, '$.run_at'), json_extract(value, '$.group_key'), "
    "json_extract(value, '$.dedupe_key'), NEW.receipt_id, NEW.at FROM json_each(NEW.jobs) "
    "WHERE EXISTS (SELECT 1 FROM receipt_transition_outcomes WHERE request = NEW.request) "
    "ON CONFLICT (dedupe_key) DO NOTHING; "
    "END",
)
TRANSITION_CALL = (
    "INSERT INTO receipt_transitions (request, receipt_id, expected, new_status, at, source, "
    "liqpay_status, detail, changes, jobs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
TRANSITION_OUTCOMES = (
    "SELECT o.request, r.* FROM receipt_transition_outcomes o "
    "JOIN receipts r ON r.id = o.receipt_id"
)


def jobs_json(jobs: Sequence[NewJob], now: datetime) -> str:
    return json.dumps(
        [
            {
                "kind": job.kind,
                "payload": dict(job.payload),
                "run_at": ts(job.run_at or now),
                "group_key": job.group_key,
                "dedupe_key": job.dedupe_key,
            }
            for job in jobs
        ]
    )
