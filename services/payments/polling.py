"""Which receipts are asked about at LiqPay, and for how long: the policy behind the
reconciler's status-check jobs (one per receipt, made with its draft)."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.models.jobs import NewJob
from storage.models.receipts import Receipt, ReceiptStatus

CHECK = "check"  # the job kind; the job's receipt_id is the receipt to ask about
S = ReceiptStatus
OPEN = frozenset({S.DRAFT, S.AWAITING})
# Failed, cancelled and expired receipts stay watched until shortly after their expiry: a
# customer can still pay a link after a declined card or a cashier's cancel, or finish a
# payment that was under way when the invoice expired.
CLOSED_BUT_PAYABLE = frozenset({S.FAILED, S.CANCELLED, S.EXPIRED})
LATE_PAYMENT_GRACE = timedelta(hours=1)


def needs_polling(receipt: Receipt, now: datetime) -> bool:
    if receipt.status in OPEN:
        return True
    return receipt.status in CLOSED_BUT_PAYABLE and receipt.expires_at > now - LATE_PAYMENT_GRACE


def first_check() -> NewJob:
    """The status-check job a new draft gets: due at once, so a draft left by an outage is
    settled by the next sweep."""
    return NewJob(CHECK)
