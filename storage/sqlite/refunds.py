"""Refunds of paid receipts and the receipts' refunded sums."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.models.jobs import NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.refunds import NewRefund, Refund, RefundState
from storage.rows import receipt_from, refund_from
from storage.sqlite.codec import CODEC, ts
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.jobs import insert_jobs
from storage.sqlite.refund_lines import give_back, reserve_lines
from storage.sqlite.tx import Tx

_IN_FLIGHT_SQL = "state IN ('reserved', 'sent', 'unknown')"


class _Conflict(Exception):
    """A compare inside an operation failed after something was written: roll it back."""


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values)


class SqliteRefunds:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def reserve(
        self, refund: NewRefund, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> tuple[Refund | None, bool]:
        async def op(tx: Tx) -> tuple[Refund | None, bool]:
            existing = await tx.one(
                "SELECT * FROM refunds WHERE idempotency_key = ?", (refund.idempotency_key,)
            )
            if existing is not None:
                return refund_from(existing, CODEC), False
            row = await tx.one(
                "INSERT INTO refunds (receipt_id, amount, state, idempotency_key, requested_by, "
                "refunded_before, created_at, updated_at) "
                "SELECT r.id, ?, 'reserved', ?, ?, r.refunded_amount, ?, ? FROM receipts r "
                "WHERE r.id = ? AND r.status = 'paid' AND r.refunded_amount = ? "
                "AND r.refunded_amount + ? <= r.amount "
                "AND NOT EXISTS (SELECT 1 FROM refunds f WHERE f.receipt_id = r.id "
                "AND f.state IN ('reserved', 'sent', 'unknown')) RETURNING *",
                (
                    refund.amount, refund.idempotency_key, refund.requested_by, ts(now), ts(now),
                    refund.receipt_id, refund.refunded_before, refund.amount,
                ),
            )  # fmt: skip
            if row is None:
                return None, False
            if not await reserve_lines(tx, row["id"], refund.receipt_id, refund.lines):
                raise _Conflict  # a line changed since the owner saw it: nothing written
            await insert_jobs(tx, jobs, now, refund.receipt_id)
            return refund_from(row, CODEC), True

        try:
            return await self._db.write(op)
        except _Conflict:
            return None, False

    async def get(self, refund_id: int) -> Refund | None:
        row = await self._db.one("SELECT * FROM refunds WHERE id = ?", (refund_id,))
        return refund_from(row, CODEC) if row else None

    async def by_key(self, idempotency_key: str) -> Refund | None:
        row = await self._db.one(
            "SELECT * FROM refunds WHERE idempotency_key = ?", (idempotency_key,)
        )
        return refund_from(row, CODEC) if row else None

    async def in_flight(self, receipt_id: int) -> Refund | None:
        row = await self._db.one(
            f"SELECT * FROM refunds WHERE receipt_id = ? AND {_IN_FLIGHT_SQL}",  # noqa: S608
            (receipt_id,),
        )
        return refund_from(row, CODEC) if row else None

    async def for_receipt(self, receipt_id: int) -> list[Refund]:
        rows = await self._db.all(
            "SELECT * FROM refunds WHERE receipt_id = ? ORDER BY id", (receipt_id,)
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
                "UPDATE refunds SET state = ?, error = ?, updated_at = ? "  # noqa: S608
                f"WHERE id = ? AND state IN ({_marks(states)}) RETURNING *",
                (new.value, error, ts(now), refund_id, *states),
            )
            if row is None:
                return None
            if new is RefundState.FAILED:
                await give_back(tx, refund_id, row["receipt_id"])
            await insert_jobs(tx, jobs, now, row["receipt_id"])
            return refund_from(row, CODEC)

        return await self._db.write(op)

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
            if refund_id is not None:
                assert refund_state is not None
                moved = await tx.execute(
                    "UPDATE refunds SET state = ?, error = NULL, updated_at = ? "  # noqa: S608
                    f"WHERE id = ? AND receipt_id = ? AND state IN ({_marks(refund_states)})",
                    (refund_state.value, ts(now), refund_id, receipt_id, *refund_states),
                )
                if not moved:
                    return None
            if refunded > expected_refunded:
                recorded = await tx.execute(
                    "INSERT INTO receipt_events (receipt_id, at, source, from_status, "
                    "to_status, liqpay_status, detail) SELECT id, ?, ?, status, ?, ?, ? "
                    "FROM receipts WHERE id = ? AND status IN ('paid', 'refunded') "
                    "AND refunded_amount = ?",
                    (
                        ts(now), source.value, status.value, liqpay_status, detail, receipt_id,
                        expected_refunded,
                    ),
                )  # fmt: skip
                if not recorded:
                    raise _Conflict
                row = await tx.one(
                    "UPDATE receipts SET refunded_amount = ?, status = ?, "
                    "liqpay_status = COALESCE(?, liqpay_status) WHERE id = ? RETURNING *",
                    (refunded, status.value, liqpay_status, receipt_id),
                )
            else:
                row = await tx.one(
                    "SELECT * FROM receipts WHERE id = ? AND refunded_amount = ?",
                    (receipt_id, expected_refunded),
                )
                if row is None:
                    raise _Conflict
            assert row is not None
            await insert_jobs(tx, jobs, now, receipt_id)
            return receipt_from(row, CODEC)

        try:
            return await self._db.write(op)
        except _Conflict:
            return None

    async def unsettled(self, limit: int) -> list[Refund]:
        rows = await self._db.all(
            f"SELECT * FROM refunds WHERE {_IN_FLIGHT_SQL} ORDER BY id LIMIT ?",  # noqa: S608
            (limit,),
        )
        return [refund_from(r, CODEC) for r in rows]
