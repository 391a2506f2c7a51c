"""LiqPay's payment statuses mapped to what they mean for a receipt."""

from __future__ import annotations

import logging
from enum import StrEnum

log = logging.getLogger(__name__)


class PaymentState(StrEnum):
    AWAITING = "awaiting"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


_PAID = {"success", "sandbox", "wait_compensation", "wait_accept"}
FAILED_STATUSES = {"failure", "error"}
_REFUNDED = {"reversed"}
_AWAITING = {
    "invoice_wait", "processing", "prepared", "cash_wait", "hold_wait", "wait_secure",
    "wait_reserve", "wait_lc", "wait_card", "wait_qr", "wait_sender", "try_again",
}  # fmt: skip


def payment_state(status: str | None) -> PaymentState:
    """Map a LiqPay payment status to a receipt state; unknown ones count as awaiting."""
    if status in _PAID:
        return PaymentState.PAID
    if status in FAILED_STATUSES:
        return PaymentState.FAILED
    if status in _REFUNDED:
        return PaymentState.REFUNDED
    if status not in _AWAITING and not (status or "").endswith("_verify"):
        log.warning("Unknown LiqPay status %r: treated as awaiting", status)
    return PaymentState.AWAITING
