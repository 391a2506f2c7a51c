"""Refunds of paid receipts and the receipts' refunded sums."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.models.jobs import NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.refunds import NewRefund, Refund, RefundState
from storage.postgres.engine import CODEC, PostgresEngine, Row, Tx
from storage.postgres.job_inserts import insert_jobs
from storage.postgres.refund_lines import give_back, reserve_lines
from storage.rows import receipt_from, refund_from

_IN_FLIGHT_SQL = "state IN ('reserved', 'sent', 'unknown')"


class _Conflict(Exception):
    """A compare inside an operation failed after something was written: roll it back."""


class PostgresRefunds:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def reserve(
        self, refund: NewRefund, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> tuple[Refund | None, bool]:
        async def op(tx: Tx) -> tuple[Refund | None, bool]:
            # The receipt's row lock makes concurrent reserves of one receipt take turns.
            receipt = await tx.one(
                "SELECT status, amount, refunded_amount FROM receipts WHERE id = $1 FOR UPDATE",
                refund.receipt_id,
            )
            existing = await tx.one(
                "SELECT * FROM refunds WHERE idempotency_key = $1", refund.idempotency_key
            )
            if existing is not None:
                return refund_from(existing, CODEC), False
            if receipt is None or receipt["status"] != ReceiptStatus.PAID.value:
                return None, False
            if receipt["refunded_amount"] != refund.refunded_before:
                return None, False
            if receipt["refunded_amount"] + refund.amount > receipt["amount"]:
                return None, False
            busy = await tx.value(
                f"SELECT EXISTS (SELECT 1 FROM refunds WHERE receipt_id = $1 AND {_IN_FLIGHT_SQL})",  # noqa: S608
                refund.receipt_id,
            )
            if busy:
                return None, False
            row = await tx.one(
                "INSERT INTO refunds (receipt_id, amount, state, idempotency_key, requested_by, "
                "refunded_before, created_at, updated_at) "
                "VALUES ($1, $2, 'reserved', $3, $4, $5, $6, $6) RETURNING *",
                refund.receipt_id, refund.amount, refund.idempotency_key, refund.requested_by,
                receipt["refunded_amount"], now,
            )  # fmt: skip
            assert row is not None
            if not await reserve_lines(tx, row["id"], refund.receipt_id, refund.lines):
                raise _Conflict  # a line changed since the owner saw it: nothing written
            await insert_jobs(tx, jobs, now, refund.receipt_id)
            return refund_from(row, CODEC), True

        try:
            return await self._db.transaction(op)
        except _Conflict:
            return None, False

    async def get(self, refund_id: int) -> Refund | None:
        row = await self._db.one("SELECT * FROM refunds WHERE id = $1", refund_id)
        return refund_from(row, CODEC) if row else None

    async def by_key(self, idempotency_key: str) -> Refund | None:
        row = await self._db.one(
            "SELECT * FROM refunds WHERE idempotency_key = $1", idempotency_key
        )
        return refund_from(row, CODEC) if row else None

    async def in_flight(self, receipt_id: int) -> Refund | None:
        row = await self._db.one(
            f"SELECT * FROM refunds WHERE receipt_id = $1 AND {_IN_FLIGHT_SQL}",  # noqa: S608
            receipt_id,
        )
        return refund_from(row, CODEC) if row else None

    async def for_receipt(self, receipt_id: int) -> list[Refund]:
        rows = await self._db.all(
            "SELECT * FROM refunds WHERE receipt_id = $1 ORDER BY id", receipt_id
        )
        return [refund_from(r, CODEC) for r in rows]

    async def move(
        self,
        refund_id: int,
        *,
        expected: Sequence[RefundState],
        new: RefundState,
        now: datetime,
        error: str | None = None,
        jobs: Sequence[NewJob] = (),
    ) -> Refund | None:
        states = [s.value for s in expected]
        if not states:
            return None

        async def op(tx: Tx) -> Refund | None:
            row = await tx.one(
                "UPDATE refunds SET state = $1, error = $2, updated_at = $3 "
                "WHERE id = $4 AND state = ANY($5::text[]) RETURNING *",
                new.value, error, now, refund_id, states,
            )  # fmt: skip
            if row is None:
                return None
            if new is RefundState.FAILED:
                await give_back(tx, refund_id, row["receipt_id"])
            await insert_jobs(tx, jobs, now, row["receipt_id"])
            return refund_from(row, CODEC)

        return await self._db.transaction(op)

    async def record_refunded(
        self,
        receipt_id: int,
        *,
        expected_refunded: int,
        refunded: int,
        status: ReceiptStatus,
        source: EventSource,
        now: datetime,
        liqpay_status: str | None = None,
        detail: str | None = None,
        jobs: Sequence[NewJob] = (),
        refund_id: int | None = None,
        refund_expected: Sequence[RefundState] = (),
        refund_state: RefundState | None = None,
    ) -> Receipt | None:
        if refunded < expected_refunded:
            return None
        refund_states = [s.value for s in refund_expected]

        async def op(tx: Tx) -> Receipt | None:
            current = await tx.one("SELECT * FROM receipts WHERE id = $1 FOR UPDATE", receipt_id)
            if current is None or current["refunded_amount"] != expected_refunded:
                raise _Conflict
            if refund_id is not None:
                assert refund_state is not None
                moved = await tx.execute(
                    "UPDATE refunds SET state = $1, error = NULL, updated_at = $2 "
                    "WHERE id = $3 AND receipt_id = $4 AND state = ANY($5::text[])",
                    refund_state.value, now, refund_id, receipt_id, refund_states,
                )  # fmt: skip
                if not moved:
                    raise _Conflict
            row: Row | None = current
            if refunded > expected_refunded:
                if current["status"] not in (
                    ReceiptStatus.PAID.value,
                    ReceiptStatus.REFUNDED.value,
                ):
                    raise _Conflict
                await tx.execute(
                    "INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, "
                    "liqpay_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    receipt_id, now, source.value, current["status"], status.value,
                    liqpay_status, detail,
                )  # fmt: skip
                row = await tx.one(
                    "UPDATE receipts SET refunded_amount = $1, status = $2, "
                    "liqpay_status = COALESCE($3, liqpay_status) WHERE id = $4 RETURNING *",
                    refunded, status.value, liqpay_status, receipt_id,
                )  # fmt: skip
            assert row is not None
            await insert_jobs(tx, jobs, now, receipt_id)
            return receipt_from(row, CODEC)

        try:
            return await self._db.transaction(op)
        except _Conflict:
            return None

    async def unsettled(self, limit: int) -> list[Refund]:
        rows = await self._db.all(
            f"SELECT * FROM refunds WHERE {_IN_FLIGHT_SQL} ORDER BY id LIMIT $1",  # noqa: S608
            limit,
        )
        return [refund_from(r, CODEC) for r in rows]
