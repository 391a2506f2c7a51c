from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.models.lines import ReturnedLine


class RefundState(StrEnum):
    RESERVED = "reserved"  # recorded, LiqPay not asked yet
    SENT = "sent"  # LiqPay asked (or being asked); the answer not recorded yet
    UNKNOWN = "unknown"  # LiqPay's answer was lost (a timeout): ask `status`, never resend
    DONE = "done"  # the money went back
    FAILED = "failed"  # LiqPay refused, or no refund came of it


REFUNDS_IN_FLIGHT = (RefundState.RESERVED, RefundState.SENT, RefundState.UNKNOWN)


@dataclass(frozen=True)
class NewRefund:
    """A refund the owner confirmed; the store reserves it before LiqPay is asked."""

    receipt_id: int
    amount: int  # kopecks
    idempotency_key: str  # the confirmation button's: a double tap is the same refund
    requested_by: int  # the owner's user id
    refunded_before: int  # the receipt's refunded sum the owner saw when confirming
    lines: tuple[ReturnedLine, ...] = ()  # the goods it gives back (none: an amount only)


@dataclass(frozen=True)
class Refund:
    id: int
    receipt_id: int
    amount: int  # kopecks
    state: RefundState
    idempotency_key: str
    requested_by: int
    refunded_before: int  # the receipt's refunded sum when this refund was reserved
    error: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def in_flight(self) -> bool:
        return self.state in REFUNDS_IN_FLIGHT
