"""Receipts, their append-only events, and the jobs their changes cause."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.models.common import IntegrityViolation
from storage.models.fiscal import FiscalChanges, FiscalState, FiscalTotals
from storage.models.jobs import NewJob
from storage.models.receipts import (
    CurrencyTotal,
    EventSource,
    NewDraft,
    PaymentMismatch,
    Receipt,
    ReceiptChanges,
    ReceiptEvent,
    ReceiptStatus,
)
from storage.postgres.engine import CODEC, PostgresEngine, Tx
from storage.postgres.jobs import insert_jobs, jobs_cte_args, jobs_ctes
from storage.rows import event_from, receipt_from

KEY_RACE_ATTEMPTS = 3
_CHANGE_COLUMNS = frozenset(
    {
        "link", "invoice_token", "paid_at", "payment_id", "card_mask", "expires_at",
        "payment_rrn", "payment_auth_code", "payment_bank", "payment_system", "fiscal_state",
    }
)  # fmt: skip
_FISCAL_COLUMNS = frozenset(
    {"fiscal_code", "fiscal_date", "fiscal_url", "fiscal_error", "fiscal_attempt"}
)

# Compare-and-set of the fiscal state, as _TRANSITION: $2 the expected states, $3 whether a
# receipt without one matches too.
_FISCAL_TRANSITION = """
    WITH prior AS (
        SELECT id, fiscal_state FROM receipts
        WHERE id = $1 AND (fiscal_state = ANY($2::text[]) OR ($3 AND fiscal_state IS NULL))
        FOR UPDATE
    ), changed AS (
        UPDATE receipts r SET {assignments} FROM prior WHERE r.id = prior.id
        RETURNING r.*, prior.fiscal_state AS fiscal_from
    ), event AS (
        INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, detail,
                                    fiscal_from, fiscal_to)
        SELECT id, $4, $5, status, status, $6, fiscal_from, fiscal_state FROM changed
    )
    SELECT * FROM changed
"""

# The shop's counter row, locked by the upsert until the draft commits: concurrent drafts
# of one shop take turns and get consecutive numbers; a rolled-back one gives its back.
_NEXT_NUMBER = (
    "INSERT INTO receipt_counters (shop_id, last_number) VALUES ($1, 1) ON CONFLICT (shop_id) "
    "DO UPDATE SET last_number = receipt_counters.last_number + 1 RETURNING last_number"
)

_INSERT_DRAFT = """
    INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, description, channel,
                          contact, order_id, idempotency_key, status, expires_at, created_at,
                          public_key, issuing_until, issuing_replica)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'draft', $11, $12, $13, $14, $15)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING *
"""

# Compare-and-set in one statement: `prior` locks the receipt only while its status is one
# of $2 (re-checked on the latest version after waiting for a concurrent change), the
# UPDATE sets the new values, and the event records the status it came from.
_TRANSITION = """
    WITH prior AS (
        SELECT id, status FROM receipts WHERE id = $1 AND status = ANY($2::text[]) FOR UPDATE
    ), changed AS (
        UPDATE receipts r SET {assignments} FROM prior WHERE r.id = prior.id
        RETURNING r.*, prior.status AS from_status
    ), event AS (
        INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status,
                                    liqpay_status, detail)
        SELECT id, $3, $4, from_status, status, $5, $6 FROM changed
    )
    SELECT * FROM changed
"""
# The same with the jobs it causes, still one statement: one round trip, and the jobs'
# group locks held only while it runs.
_TRANSITION_WITH_JOBS = _TRANSITION.replace(
    "\n    SELECT * FROM changed\n", ",{jobs}\n    SELECT * FROM changed\n"
)

_FLAG = """
    WITH changed AS (
        UPDATE receipts SET flagged = $2, flag_amount = $7, flag_currency = $8,
                            flag_payment_id = $9
        WHERE id = $1 AND (flagged, flag_amount, flag_currency, flag_payment_id)
                          IS DISTINCT FROM ($2, $7::bigint, $8::text, $9::text)
        RETURNING id, status
    ), event AS (
        INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status,
                                    liqpay_status, detail)
        SELECT id, $3, $4, status, status, $5, $6 FROM changed
    )
    SELECT count(*) FROM changed
"""


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


class _KeyTaken(Exception):
    """A concurrent draft with the same idempotency key committed first."""


class PostgresReceipts:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def create_draft(
        self,
        draft: NewDraft,
        now: datetime,
        jobs: Sequence[NewJob] = (),
        *,
        issuing_until: datetime | None = None,
        issuing_replica: str | None = None,
    ) -> tuple[Receipt, bool]:
        by_key = "SELECT * FROM receipts WHERE idempotency_key = $1"

        async def op(tx: Tx) -> tuple[Receipt, bool]:
            existing = await tx.one(by_key, draft.idempotency_key)
            if existing is not None:
                return receipt_from(existing, CODEC), False
            number = int(await tx.value(_NEXT_NUMBER, draft.shop_id))
            created = await tx.one(
                _INSERT_DRAFT,
                draft.shop_id, number, draft.cashier_id, draft.amount, draft.currency,
                draft.description_for(number), draft.channel.value, draft.contact,
                draft.order_id, draft.idempotency_key, draft.expires_at, now, draft.public_key,
                issuing_until, issuing_replica,
            )  # fmt: skip
            if created is None:
                raise _KeyTaken  # roll back, so the number we took is not used up
            await insert_jobs(tx, jobs, now, created["id"])
            return receipt_from(created, CODEC), True

        for _ in range(KEY_RACE_ATTEMPTS):
            try:
                return await self._db.transaction(op)
            except _KeyTaken:
                winner = await self._db.one(by_key, draft.idempotency_key)
                if winner is not None:  # committed before our insert saw the conflict
                    return receipt_from(winner, CODEC), False
                # ...and deleted since (a refused draft): try ours again
        raise IntegrityViolation(f"idempotency key {draft.idempotency_key!r} kept changing")

    async def delete_draft(self, receipt_id: int, lease: datetime | None = None) -> bool:
        # A flagged draft has events and an owner alert: it stays for the owner to see.
        sql = (
            "DELETE FROM receipts WHERE id = $1 AND status = 'draft' AND flagged IS NULL "
            "AND issuing_until IS NOT DISTINCT FROM $2::timestamptz"
        )
        return await self._db.execute(sql, receipt_id, lease) > 0

    async def by_idempotency_key(self, key: str) -> Receipt | None:
        row = await self._db.one("SELECT * FROM receipts WHERE idempotency_key = $1", key)
        return receipt_from(row, CODEC) if row else None

    async def take_issue_lease(
        self, receipt_id: int, now: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        sql = (
            "UPDATE receipts SET issuing_until = $2, issuing_replica = $4 WHERE id = $1 "
            "AND status = 'draft' AND (issuing_until IS NULL OR issuing_until < $3)"
        )
        return await self._db.execute(sql, receipt_id, until, now, holder) > 0

    async def move_issue_lease(
        self, receipt_id: int, held: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        sql = (
            "UPDATE receipts SET issuing_until = $2, issuing_replica = $4 "
            "WHERE id = $1 AND issuing_until = $3"
        )
        return await self._db.execute(sql, receipt_id, until, held, holder) > 0

    async def release_issue_lease(
        self, receipt_id: int, held: datetime, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> bool:
        sql = (
            "UPDATE receipts SET issuing_until = NULL, issuing_replica = NULL "
            "WHERE id = $1 AND issuing_until = $2 RETURNING id"
        )
        if not jobs:
            return await self._db.one(sql, receipt_id, held) is not None

        async def op(tx: Tx) -> bool:
            if await tx.one(sql, receipt_id, held) is None:
                return False
            await insert_jobs(tx, jobs, now, receipt_id)
            return True

        return await self._db.transaction(op)

    async def leased_receipts(self, limit: int, cashier_id: int | None = None) -> list[Receipt]:
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE issuing_until IS NOT NULL "
            "AND ($1::bigint IS NULL OR cashier_id = $1) ORDER BY issuing_until, id LIMIT $2",
            cashier_id,
            limit,
        )
        return [receipt_from(r, CODEC) for r in rows]

    async def get(self, receipt_id: int) -> Receipt | None:
        row = await self._db.one("SELECT * FROM receipts WHERE id = $1", receipt_id)
        return receipt_from(row, CODEC) if row else None

    async def get_many(self, receipt_ids: Sequence[int]) -> list[Receipt]:
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE id = ANY($1::bigint[]) ORDER BY id",
            sorted(set(receipt_ids)),
        )
        return [receipt_from(r, CODEC) for r in rows]

    async def by_order_id(self, order_id: str) -> Receipt | None:
        row = await self._db.one_by_key(
            "SELECT *, order_id AS key FROM receipts WHERE order_id = ANY($1::text[])", order_id
        )
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
        assert set(fields) <= _CHANGE_COLUMNS  # names from the dataclass, never from input
        values: dict[str, Any] = {k: _plain(v) for k, v in fields.items()}
        if liqpay_status is not None:
            values["liqpay_status"] = liqpay_status
        values["status"] = new.value
        first = 7  # $1..$6 are the statement's own
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(values, start=first))
        args: tuple[Any, ...] = (
            receipt_id, [s.value for s in expected], now, source.value, liqpay_status, detail,
            *values.values(),
        )  # fmt: skip
        if not jobs:
            sql = _TRANSITION.format(assignments=assignments)
        else:
            ctes = jobs_ctes(first + len(values), receipt=1, now=3)
            sql = _TRANSITION_WITH_JOBS.format(assignments=assignments, jobs=ctes)
            args += jobs_cte_args(jobs, now)
        row = await self._db.one(sql, *args)
        return receipt_from(row, CODEC) if row else None

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
        args = (receipt_id, reason, now, source.value, liqpay_status, detail, *facts)
        if not jobs:
            return bool(await self._db.value(_FLAG, *args))

        async def op(tx: Tx) -> bool:
            if not await tx.value(_FLAG, *args):
                return False
            await insert_jobs(tx, jobs, now, receipt_id)
            return True

        return await self._db.transaction(op)

    async def list_by_status(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        if not statuses:
            return [], 0
        where = "shop_id = $1 AND status = ANY($2::text[])"
        params: list[Any] = [shop_id, [s.value for s in statuses]]
        if cashier_id is not None:
            params.append(cashier_id)
            where += " AND cashier_id = $3"
        n = len(params)
        # Both at once, on two of the pool's connections: one round trip's wait, not two.
        total, rows = await asyncio.gather(
            self._db.value(f"SELECT COUNT(*) FROM receipts WHERE {where}", *params),  # noqa: S608
            self._db.all(
                f"SELECT * FROM receipts WHERE {where} "  # noqa: S608
                f"ORDER BY id DESC LIMIT ${n + 1} OFFSET ${n + 2}",
                *params,
                limit,
                offset,
            ),
        )
        return [receipt_from(r, CODEC) for r in rows], int(total)

    async def recent_with_amount(
        self,
        shop_id: int,
        amount: int,
        currency: str,
        *,
        statuses: Sequence[ReceiptStatus],
        created_since: datetime,
        expires_after: datetime,
        limit: int = 50,
    ) -> list[Receipt]:
        if not statuses:
            return []
        rows = await self._db.all(
            "SELECT * FROM receipts WHERE shop_id = $1 AND status = ANY($2::text[]) "
            "AND amount = $3 AND currency = $4 AND created_at >= $5 AND expires_at > $6 "
            "ORDER BY id DESC LIMIT $7",
            shop_id, [s.value for s in statuses], amount, currency, created_since,
            expires_after, limit,
        )  # fmt: skip
        return [receipt_from(r, CODEC) for r in rows]

    async def totals(
        self,
        shop_id: int,
        statuses: Sequence[ReceiptStatus],
        *,
        cashier_id: int | None = None,
        paid_from: datetime | None = None,
        paid_until: datetime | None = None,
        expires_after: datetime | None = None,
    ) -> list[CurrencyTotal]:
        if not statuses:
            return []
        where = "shop_id = $1 AND status = ANY($2::text[])"
        params: list[Any] = [shop_id, [s.value for s in statuses]]
        for column, value in (
            ("cashier_id =", cashier_id),
            ("paid_at >=", paid_from),
            ("paid_at <", paid_until),
            ("expires_at >", expires_after),
        ):
            if value is not None:
                params.append(value)
                where += f" AND {column} ${len(params)}"
        rows = await self._db.all(
            f"SELECT currency, COUNT(*), SUM(amount) FROM receipts WHERE {where} "  # noqa: S608
            "GROUP BY currency ORDER BY currency",
            *params,
        )
        return [CurrencyTotal(r[0], int(r[1]), int(r[2])) for r in rows]

    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE receipts SET card_chat_id = $2, card_message_id = $3 WHERE id = $1",
            receipt_id,
            chat_id,
            message_id,
        )

    async def events(self, receipt_id: int) -> list[ReceiptEvent]:
        rows = await self._db.all(
            "SELECT * FROM receipt_events WHERE receipt_id = $1 ORDER BY id", receipt_id
        )
        return [event_from(r, CODEC) for r in rows]

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
        values: dict[str, Any] = dict(fields)
        values["fiscal_state"] = new.value
        first = 7  # $1..$6 are the statement's own
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(values, start=first))
        sql = _FISCAL_TRANSITION.format(assignments=assignments)
        args = (
            receipt_id, [s.value for s in expected if s is not None],
            any(s is None for s in expected), now, source.value, detail, *values.values(),
        )  # fmt: skip
        if not jobs:
            row = await self._db.one(sql, *args)
            return receipt_from(row, CODEC) if row else None

        async def op(tx: Tx) -> Receipt | None:
            row = await tx.one(sql, *args)
            if row is None:
                return None
            await insert_jobs(tx, jobs, now, receipt_id)
            return receipt_from(row, CODEC)

        return await self._db.transaction(op)

    async def list_by_fiscal_state(
        self,
        shop_id: int,
        states: Sequence[FiscalState],
        *,
        statuses: Sequence[ReceiptStatus],
        offset: int = 0,
        limit: int = 10,
    ) -> tuple[list[Receipt], int]:
        if not states or not statuses:
            return [], 0
        where = "shop_id = $1 AND fiscal_state = ANY($2::text[]) AND status = ANY($3::text[])"
        params = (shop_id, [s.value for s in states], [s.value for s in statuses])
        total = await self._db.value(f"SELECT COUNT(*) FROM receipts WHERE {where}", *params)  # noqa: S608
        rows = await self._db.all(
            f"SELECT * FROM receipts WHERE {where} ORDER BY id DESC LIMIT $4 OFFSET $5",  # noqa: S608
            *params,
            limit,
            offset,
        )
        return [receipt_from(r, CODEC) for r in rows], int(total)

    async def fiscal_totals(self, shop_id: int, since: datetime, until: datetime) -> FiscalTotals:
        row = await self._db.one(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM receipts WHERE shop_id = $1 "
            "AND fiscal_state = 'registered' AND fiscal_date >= $2 AND fiscal_date < $3",
            shop_id,
            since,
            until,
        )
        return FiscalTotals(int(row[0]), int(row[1])) if row else FiscalTotals(0, 0)
