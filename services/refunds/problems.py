"""Why a refund was refused before LiqPay was asked, and why one FAILED (the stored code)."""

from __future__ import annotations

import re
from enum import StrEnum


class RefundProblem(StrEnum):
    NOT_OWNER = "not_owner"
    NOT_PAID = "not_paid"  # not a paid receipt (or refunded in full already)
    NOTHING_LEFT = "nothing_left"
    TOO_MUCH = "too_much"  # more than is left unrefunded
    IN_FLIGHT = "in_flight"  # another refund of this receipt is under way
    CHANGED = "changed"  # refunded since the confirmation was made: it is stale
    NO_KEYS = "no_keys"
    KEYS_UNREADABLE = "keys_unreadable"
    CHOOSE_GOODS = "choose_goods"  # an amount typed for a receipt of several goods lines
    QUANTITY_TOO_BIG = "quantity_too_big"  # more of a line than was sold and not returned
    QUANTITY_FORMAT = "quantity_format"  # not a quantity, zero, or too precise for the unit


class RefundFailure(StrEnum):
    """Why a refund is FAILED (stored in refunds.error; texts are bot/refunds/views.py's)."""

    NO_KEYS = "no_keys"  # LiqPay was never asked
    KEYS_UNREADABLE = "keys_unreadable"  # LiqPay was never asked
    NOT_REFUNDED = "not_refunded"  # LiqPay's status, days later, shows the money not back
    REFUSED = "liqpay_refused"  # LiqPay refused it; its err_code follows a colon


_LEGACY_FAILURES = {  # what refunds.error held before these codes
    "NoKeys": RefundFailure.NO_KEYS,
    "KeysUnreadable": RefundFailure.KEYS_UNREADABLE,
    "never confirmed": RefundFailure.NOT_REFUNDED,
}
_ERR_CODE = re.compile(r"[^A-Za-z0-9_.-]")


def refused_error(err_code: str) -> str:
    """The stored error of a refund LiqPay refused: the code and LiqPay's err_code, reduced
    to the characters a code has (it is shown to people)."""
    return f"{RefundFailure.REFUSED}:{_ERR_CODE.sub('', err_code)[:64]}"


def failure_of(error: str | None) -> tuple[RefundFailure, str]:
    """A FAILED refund's stored error as (why, LiqPay's err_code or "")."""
    if not error:
        return RefundFailure.NOT_REFUNDED, ""
    head, _, code = error.partition(":")
    try:
        return RefundFailure(head), _ERR_CODE.sub("", code)[:64]
    except ValueError:
        pass
    if error in _LEGACY_FAILURES:
        return _LEGACY_FAILURES[error], ""
    return RefundFailure.REFUSED, _ERR_CODE.sub("", error)[:64]  # a raw err_code, as before


class RefundRefused(Exception):
    def __init__(self, problem: RefundProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem
