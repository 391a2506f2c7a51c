"""What a Confirm asks of the invoice service, and what it answers: the request, the
outcome, and the refusals it raises."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum

from services.invoices.leases import Lease
from storage.models.lines import SaleLine
from storage.models.receipts import Channel, Receipt

MAX_DESCRIPTION = 500  # characters; and at most twice that in UTF-8 bytes, so the link fits a QR


def description_fits(text: str) -> bool:
    return len(text) <= MAX_DESCRIPTION and len(text.encode()) <= 2 * MAX_DESCRIPTION


def make_order_id(shop_id: int) -> str:
    """Tied to the shop, random otherwise, so it tells nothing about the shop's volume."""
    return f"{shop_id}-{secrets.token_hex(10)}"


@dataclass(frozen=True)
class InvoiceRequest:
    shop_id: int
    cashier_id: int
    amount: int  # kopecks
    description: str | None  # None: "Payment for receipt No N"
    channel: Channel
    contact: str | None
    idempotency_key: str
    currency: str | None = None  # as the cashier saw it; None: the shop's
    language: str = "uk"  # of the customer's LiqPay page; Ukrainian, like the description
    # what is sold (the basket), adding up to `amount`; none ("amount only"): one line named
    # by the shop's default goods name (services/goods/names.py)
    lines: tuple[SaleLine, ...] = ()


class Outcome(StrEnum):
    MADE = "made"
    NOT_CONFIRMED = "not_confirmed"  # LiqPay did not answer: the draft waits for Retry
    BUSY = "busy"  # someone else is making this very invoice right now
    ALREADY_MADE = "already_made"  # made before this tap


@dataclass(frozen=True)
class IssueResult:
    receipt: Receipt
    outcome: Outcome = Outcome.MADE
    sms_error: str | None = None
    lease: Lease | None = None  # held until `InvoiceService.shown`


class InvoiceRefused(Exception):
    def __init__(self, err_code: str, err_description: str) -> None:
        super().__init__(err_code)
        self.err_code = err_code
        self.err_description = err_description


class SmsNotConfigured(Exception):
    pass


class CurrencyChanged(Exception):
    """The owner changed the shop's currency while the cashier was filling in the invoice."""

    def __init__(self, currency: str) -> None:
        super().__init__(currency)
        self.currency = currency
