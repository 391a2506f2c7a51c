"""Receipts, their append-only events, and the jobs their changes cause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage.models.common import IntegrityViolation
from storage.models.fiscal import FiscalChanges, FiscalState
from storage.models.jobs import NewJob
from storage.models.lines import SaleLine
from storage.models.receipts import (
    EventSource,
    NewDraft,
    PaymentMismatch,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from storage.postgres.engine import CODEC, PostgresEngine, Tx
from storage.postgres.job_inserts import insert_jobs, jobs_cte_args, jobs_ctes
from storage.postgres.lines import insert_lines
from storage.postgres.transitions import (
    CHANGE_COLUMNS,
    FISCAL_COLUMNS,
    FISCAL_TRANSITION,
    TRANSITION,
    TRANSITION_WITH_JOBS,
)
from storage.rows import receipt_from

KEY_RACE_ATTEMPTS = 3

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
    """Creates, reads and moves receipts; the lists and totals are PostgresReceiptQueries'."""

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
        lines: Sequence[SaleLine] = (),
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
            await insert_lines(tx, created["id"], lines)
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
        assert set(fields) <= CHANGE_COLUMNS  # names from the dataclass, never from input
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
            sql = TRANSITION.format(assignments=assignments)
        else:
            ctes = jobs_ctes(first + len(values), receipt=1, now=3)
            sql = TRANSITION_WITH_JOBS.format(assignments=assignments, jobs=ctes)
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

    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE receipts SET card_chat_id = $2, card_message_id = $3 WHERE id = $1",
            receipt_id,
            chat_id,
            message_id,
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
        assert set(fields) <= FISCAL_COLUMNS  # names from the dataclass, never from input
        values: dict[str, Any] = dict(fields)
        values["fiscal_state"] = new.value
        first = 7  # $1..$6 are the statement's own
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(values, start=first))
        sql = FISCAL_TRANSITION.format(assignments=assignments)
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
