from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from storage.models.jobs import NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.refunds import NewRefund, Refund, RefundState


class RefundRepository(Protocol):
    """Refunds of paid receipts, and the receipt's refunded sum (receipts.refunded_amount).

    A refund is reserved before LiqPay is asked; at most one is in flight (RESERVED, SENT or
    UNKNOWN) per receipt; every change is a compare-and-set."""

    async def reserve(
        self, refund: NewRefund, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> tuple[Refund | None, bool]:
        """In one transaction: insert the refund (RESERVED, refunded_before = the receipt's
        refunded sum, created_at = updated_at = now) and `jobs` (their receipt_id set), if the
        receipt is PAID, its refunded sum is still `refund.refunded_before` (what the owner
        saw when confirming: a compare-and-set), `refund.amount` is at most what is left
        unrefunded and no other refund of it is in flight; with `refund.lines`, each line's
        returned quantity rises by the line's quantity if it is still the `returned_before`
        the owner saw and stays within what was sold (compare-and-set; refund_lines keeps
        them). A key already used: (that refund, False), nothing written. Refused: (None,
        False), nothing written. Else (the new refund, True)."""
        ...

    async def get(self, refund_id: int) -> Refund | None: ...

    async def by_key(self, idempotency_key: str) -> Refund | None: ...

    async def in_flight(self, receipt_id: int) -> Refund | None:
        """The receipt's refund in flight, if any."""
        ...

    async def for_receipt(self, receipt_id: int) -> list[Refund]:
        """Oldest first."""
        ...

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
        """Compare-and-set of a refund's state (updated_at = now, error set) with `jobs`
        (their receipt_id the refund's), in one transaction; None, nothing written, when
        its state is not one of `expected`. A refund in flight that becomes FAILED gives
        its lines' quantities back (they may be returned again)."""
        ...

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
        """In one transaction: if the receipt is PAID or REFUNDED with refunded_amount
        `expected_refunded`, and `refunded` is more than that, set it to `refunded` with
        `status` and append the event (detail set); when `refunded` equals it, the receipt
        is left alone. With `refund_id`, that refund moves from one of `refund_expected` to
        `refund_state` in the same transaction. Then `jobs` (their receipt_id set). The
        receipt as it now is; None, and nothing written, when either compare failed or
        `refunded` is less than `expected_refunded`."""
        ...

    async def unsettled(self, limit: int) -> list[Refund]:
        """Refunds in flight, oldest first (what a restart resolves)."""
        ...
