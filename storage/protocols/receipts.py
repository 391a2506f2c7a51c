from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

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


class ReceiptRepository(Protocol):
    """Receipts, their append-only events, and the jobs their changes cause."""

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
        """In one transaction: take the shop's next receipt number from its counter (one row
        per shop updated atomically, so concurrent drafts never share a number and a number
        is never reused), insert the draft (status DRAFT, created_at = now, description
        `draft.description_for(number)`, holding the issuing lease until `issuing_until`,
        held by the replica `issuing_replica`), its goods `lines` (positions 1, 2, … in
        their order; see ReceiptLinesRepository) and `jobs` (their receipt_id set to the
        draft's).

        A draft with an idempotency key already used returns (that receipt, False) and
        writes nothing; otherwise (the new draft, True).
        IntegrityViolation for an unknown shop or an order id already used."""
        ...

    async def delete_draft(self, receipt_id: int, lease: datetime | None = None) -> bool:
        """Delete a receipt that is still a draft, not flagged and whose issuing lease is
        `lease` (None: a draft nobody is issuing), with its events and jobs. False (nothing
        deleted) otherwise."""
        ...

    async def by_idempotency_key(self, key: str) -> Receipt | None: ...

    # The issuing lease (receipts.issuing_until): until when a process is making the
    # invoice of a draft and showing its outcome, and which replica holds it (the holder
    # `None`: one that ReplicaRegistry never frees early). Every change is a compare-and-set.

    async def take_issue_lease(
        self, receipt_id: int, now: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        """Set the lease of a draft nobody holds (none, or one expired before `now`) to
        `until`, held by `holder`. False, and nothing written, otherwise."""
        ...

    async def move_issue_lease(
        self, receipt_id: int, held: datetime, until: datetime, holder: str | None = None
    ) -> bool:
        """Set the lease to `until`, held by `holder`, if it is still `held` (renew one's
        own, or take over one seen expired). False, and nothing written, otherwise."""
        ...

    async def release_issue_lease(
        self, receipt_id: int, held: datetime, now: datetime, jobs: Sequence[NewJob] = ()
    ) -> bool:
        """Clear the lease if it is still `held`, and insert `jobs` (the notifications that
        tell the outcome; their receipt_id set), in one transaction. False, and nothing
        written, when the lease is not `held` any more."""
        ...

    async def leased_receipts(self, limit: int, cashier_id: int | None = None) -> list[Receipt]:
        """Receipts under an issuing lease (of one cashier when given), the soonest to
        expire first."""
        ...

    async def get(self, receipt_id: int) -> Receipt | None: ...

    async def get_many(self, receipt_ids: Sequence[int]) -> list[Receipt]:
        """Those of the receipts that exist, by id."""
        ...

    async def by_order_id(self, order_id: str) -> Receipt | None: ...

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
        """Compare-and-set: if the receipt's status is one of `expected`, set it to `new`
        with `changes` (and liqpay_status when given), append the event (from the old
        status, at `now`) and insert `jobs` (their receipt_id set), all in one transaction;
        return the receipt as it now is. None, and nothing written, when the status was not
        one of `expected` (or there is no such receipt)."""
        ...

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
        """Mark the receipt for the owner's attention with `reason` and the facts of the
        payment that did not match it (`mismatch`, read back as Receipt.mismatch), status
        unchanged, with an event (detail "flagged: <reason>", plus the facts) and `jobs`, in
        one transaction. False, and nothing written, when it is already flagged with that
        very reason and those very facts."""
        ...

    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None:
        """Where the receipt's card is shown, so notifications can redraw it."""
        ...

    # The fiscal dimension of a paid receipt (fiscal_state and the fiscal_* fields).

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
        """Compare-and-set of the fiscal state: if it is one of `expected` (None matches a
        receipt without one), set it to `new` with `changes`, append the event (status
        unchanged, fiscal_from/fiscal_to set, at `now`) and insert `jobs` (their receipt_id
        set), in one transaction; the receipt as it now is. None, and nothing written,
        otherwise (or when there is no such receipt)."""
        ...
