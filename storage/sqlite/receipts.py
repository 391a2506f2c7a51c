"""Receipts, their append-only events, and the jobs their changes cause."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.models.fiscal import FiscalChanges, FiscalState
from storage.models.jobs import NewJob
from storage.models.lines import SaleLine
from storage.models.receipts import (
    EventSource,
    NewDraft,
    NumberedText,
    PaymentMismatch,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from storage.rows import receipt_from
from storage.sqlite.codec import CODEC, ts, ts_or_none
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.jobs import insert_jobs, jobs_insert
from storage.sqlite.lines import lines_insert
from storage.sqlite.receipt_queries import marks
from storage.sqlite.transitions import (
    CHANGE_COLUMNS,
    TRANSITION_CALL,
    TRANSITION_OUTCOMES,
    jobs_json,
)
from storage.sqlite.tx import Call, Stmt, Tx

_FISCAL_COLUMNS = frozenset(
    {"fiscal_code", "fiscal_date", "fiscal_url", "fiscal_error", "fiscal_attempt"}
)
_GET_MANY_CHUNK = 500


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


_BY_ORDER_IDS = "SELECT *, order_id AS key FROM receipts WHERE order_id IN ({keys})"

_FLAG_EVENT = (
    "INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, "
    "liqpay_status, detail) SELECT id, ?, ?, status, status, ?, ? FROM receipts "
    "WHERE id = ? AND changes() > 0"
)


class SqliteReceipts:
    """Creates, reads and moves receipts; the lists and totals are SqliteReceiptQueries'."""

    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def create_draft(
        self,
        draft: NewDraft,
        now: datetime,
        jobs: Sequence[NewJob] = (),
        *,
        issuing_until: datetime | None = None,
        issuing_replica: str | None = None,
        lines: Sequence[SaleLine] = (),
    ) -> tuple[Receipt, bool]:
        key = draft.idempotency_key
        if isinstance(draft.description, NumberedText):
            description, template = draft.description.template, 1
        else:
            description, template = draft.description, 0
        values = (
            draft.cashier_id, draft.amount, draft.currency, template, description, description,
            draft.channel.value, draft.contact, draft.order_id, key, ts(draft.expires_at),
            ts(now), draft.public_key, ts_or_none(issuing_until), issuing_replica, draft.shop_id,
        )  # fmt: skip
        statements = [
            # The shop's next number, unless this idempotency key made a receipt already.
            Stmt(
                "INSERT INTO receipt_counters (shop_id, last_number) SELECT ?, 1 "
                "WHERE NOT EXISTS (SELECT 1 FROM receipts WHERE idempotency_key = ?) "
                "ON CONFLICT (shop_id) DO UPDATE SET last_number = last_number + 1",
                (draft.shop_id, key),
            ),
            Stmt(
                "INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, "
                "description, channel, contact, order_id, idempotency_key, status, expires_at, "
                "created_at, public_key, issuing_until, issuing_replica) "
                "SELECT shop_id, last_number, ?, ?, ?, "
                "CASE WHEN ? THEN replace(?, '{number}', last_number) ELSE ? END, "
                "?, ?, ?, ?, 'draft', ?, ?, ?, ?, ? FROM receipt_counters "
                "WHERE shop_id = ? AND changes() > 0 RETURNING id",
                values,
                rows=True,
            ),
            # Each guarded by the statement before: the lines by the draft's insert, the
            # jobs by the lines' (which inserted rows exactly when the draft was inserted).
            *lines_insert(lines, key),
            *jobs_insert(jobs, now, receipt_key=key, guarded=True),
            Stmt("SELECT * FROM receipts WHERE idempotency_key = ?", (key,), rows=True),
        ]
        results = await self._db.batch(statements)
        created, [row] = bool(results[1]), results[-1]
        return receipt_from(row, CODEC), created

    async def delete_draft(self, receipt_id: int, lease: datetime | None = None) -> bool:
        # A flagged draft has events and an owner alert: it stays for the owner to see.
        sql = (
            "DELETE FROM receipts WHERE id = ? AND status = 'draft' AND flagged IS NULL "
            "AND issuing_until IS ?"
        )
        return await self._db.execute(sql, (receipt_id, ts_or_none(lease))) > 0

    async def by_idempotency_key(self, key: str) -> Receipt | None:
        row = await self._db.one("SELECT * FROM receipts WHERE idempotency_key = ?", (key,))
        return receipt_from(row, CODEC) if row else None

    async def take_issue_lease(
        self, receipt_id: int, now: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        sql = (
            "UPDATE receipts SET issuing_until = ?, issuing_replica = ? WHERE id = ? "
            "AND status = 'draft' AND (issuing_until IS NULL OR issuing_until < ?)"
        )
        return await self._db.execute(sql, (ts(until), holder, receipt_id, ts(now))) > 0

    async def move_issue_lease(
        self, receipt_id: int, held: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        sql = (
            "UPDATE receipts SET issuing_until = ?, issuing_replica = ? "
            "WHERE id = ? AND issuing_until = ?"
        )
        return await self._db.execute(sql, (ts(until), holder, receipt_id, ts(held))) > 0

    async def release_issue_lease(
        self, receipt_id: int, held: datetime, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> bool:
        released, *_ = await self._db.batch(
            [
                Stmt(
                    "UPDATE receipts SET issuing_until = NULL, issuing_replica = NULL "
                    "WHERE id = ? AND issuing_until = ?",
                    (receipt_id, ts(held)),
                ),
                *jobs_insert(jobs, now, receipt_id=receipt_id, guarded=True),
            ]
        )
        return bool(released)

    async def leased_receipts(self, limit: int, cashier_id: int | None = None) -> list[Receipt]:
        sql = "SELECT * FROM receipts WHERE issuing_until IS NOT NULL"
        params: list[Any] = []
        if cashier_id is not None:
            sql += " AND cashier_id = ?"
            params.append(cashier_id)
        sql += " ORDER BY issuing_until, id LIMIT ?"
        params.append(limit)
        return [receipt_from(r, CODEC) for r in await self._db.all(sql, params)]

    async def get(self, receipt_id: int) -> Receipt | None:
        row = await self._db.one("SELECT * FROM receipts WHERE id = ?", (receipt_id,))
        return receipt_from(row, CODEC) if row else None

    async def get_many(self, receipt_ids: Sequence[int]) -> list[Receipt]:
        found: list[Receipt] = []
        ids = sorted(set(receipt_ids))
        for start in range(0, len(ids), _GET_MANY_CHUNK):
            chunk = ids[start : start + _GET_MANY_CHUNK]
            sql = f"SELECT * FROM receipts WHERE id IN ({marks(chunk)}) ORDER BY id"  # noqa: S608
            found += [receipt_from(r, CODEC) for r in await self._db.all(sql, chunk)]
        return found

    async def by_order_id(self, order_id: str) -> Receipt | None:
        row = await self._db.one_by_key(_BY_ORDER_IDS, order_id)
        return receipt_from(row, CODEC) if row else None

    async def transition(
        self,
        receipt_id: int,
        *,
        expected: Sequence[ReceiptStatus],
        new: ReceiptStatus,
        source: EventSource,
        now: datetime,
        changes: ReceiptChanges | None = None,
        liqpay_status: str | None = None,
        detail: str | None = None,
        jobs: Sequence[NewJob] = (),
    ) -> Receipt | None:
        fields = changes.assigned() if changes is not None else {}
        assert set(fields) <= CHANGE_COLUMNS  # names from the dataclass, never from input
        changes_json = json.dumps(
            {k: ts_or_none(v) if isinstance(v, datetime) else v for k, v in fields.items()}
        )
        row = await self._db.call(
            Call(
                TRANSITION_CALL,
                (
                    receipt_id,
                    json.dumps([s.value for s in expected]),
                    new.value,
                    ts(now),
                    source.value,
                    liqpay_status,
                    detail,
                    changes_json,
                    jobs_json(jobs, now),
                ),
                TRANSITION_OUTCOMES,
            )
        )
        return receipt_from(row, CODEC) if row is not None else None

    async def flag(
        self,
        receipt_id: int,
        *,
        reason: str,
        source: EventSource,
        now: datetime,
        liqpay_status: str | None,
        jobs: Sequence[NewJob] = (),
        mismatch: PaymentMismatch | None = None,
    ) -> bool:
        facts = (
            (mismatch.amount, mismatch.currency, mismatch.payment_id) if mismatch else (None,) * 3
        )
        detail = f"flagged: {reason}"
        if mismatch is not None:
            detail += f" amount={facts[0]} currency={facts[1]} payment_id={facts[2]}"

        statements = [
            Stmt(
                "UPDATE receipts SET flagged = ?, flag_amount = ?, flag_currency = ?, "
                "flag_payment_id = ? WHERE id = ? AND NOT (flagged IS ? AND flag_amount IS ? "
                "AND flag_currency IS ? AND flag_payment_id IS ?)",
                (reason, *facts, receipt_id, reason, *facts),
            ),
            Stmt(_FLAG_EVENT, (ts(now), source.value, liqpay_status, detail, receipt_id)),
            *jobs_insert(jobs, now, receipt_id=receipt_id, guarded=True),
        ]
        flagged, *_ = await self._db.batch(statements)
        return bool(flagged)

    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE receipts SET card_chat_id = ?, card_message_id = ? WHERE id = ?",
            (chat_id, message_id, receipt_id),
        )

    async def fiscal_transition(
        self,
        receipt_id: int,
        *,
        expected: Sequence[FiscalState | None],
        new: FiscalState,
        source: EventSource,
        now: datetime,
        changes: FiscalChanges | None = None,
        detail: str | None = None,
        jobs: Sequence[NewJob] = (),
    ) -> Receipt | None:
        fields = changes.assigned() if changes is not None else {}
        assert set(fields) <= _FISCAL_COLUMNS  # names from the dataclass, never from input
        values = {k: _plain(v) for k, v in fields.items()}
        values["fiscal_state"] = new.value
        assignments = ", ".join(f"{name} = ?" for name in values)
        states = [s.value for s in expected if s is not None]
        match_none = any(s is None for s in expected)
        compare = f"(fiscal_state IN ({marks(states)}) OR (? AND fiscal_state IS NULL))"

        event = (
            "INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, "  # noqa: S608
            "detail, fiscal_from, fiscal_to) "
            "SELECT id, ?, ?, status, status, ?, fiscal_state, ? FROM receipts "
            f"WHERE id = ? AND {compare}"
        )

        async def op(tx: Tx) -> Receipt | None:
            recorded = await tx.execute(
                event,
                (ts(now), source.value, detail, new.value, receipt_id, *states, int(match_none)),
            )
            if not recorded:
                return None
            row = await tx.one(
                f"UPDATE receipts SET {assignments} WHERE id = ? RETURNING *",  # noqa: S608
                (*values.values(), receipt_id),
            )
            assert row is not None
            await insert_jobs(tx, jobs, now, receipt_id)
            return receipt_from(row, CODEC)

        return await self._db.write(op)
