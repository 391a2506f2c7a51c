"""What one reconciliation of a shop's Kyiv day found: plain values, kept as a JSON object
(the store's `reconciliations`, the owner's notice payload) and read back by the texts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Side(StrEnum):
    """How a side of the check went (LiqPay, the registrar)."""

    OK = "ok"
    UNAVAILABLE = "unavailable"  # not answering: nothing was changed on its account
    REFUSED = "refused"  # answered with an error (e.g. the keys may not read the archive)
    NO_KEYS = "no_keys"  # LiqPay keys not set, or not readable (SECRET_KEY changed)
    OFF = "off"  # fiscalisation is not on: nothing to compare


class FixKind(StrEnum):
    """What the bot fixed. Values are stored: never change one."""

    MARKED_PAID = "marked_paid"  # LiqPay took the money, the bot had missed it
    REFUND_RECORDED = "refund_recorded"  # a refund made in LiqPay's cabinet


class ProblemKind(StrEnum):
    """What the bot can't fix. Values are stored: never change one."""

    UNKNOWN_ORDER = "unknown_order"  # LiqPay took money for an order the bot doesn't know
    NOT_CONFIRMED = "not_confirmed"  # LiqPay lists a payment the bot could not mark paid
    NOT_IN_LIQPAY = "not_in_liqpay"  # paid in the bot, LiqPay does not say so
    NO_PAYMENT = "no_payment"  # a fiscal receipt the bot has no payment for
    NOT_REGISTERED = "not_registered"  # paid beyond the grace time, no fiscal receipt yet
    REGISTRAR_MISSING = "registrar_missing"  # registered in the bot, the registrar lacks it


@dataclass(frozen=True)
class Entry:
    """One fixed or unfixed line: a receipt (by number), an order or a fiscal receipt."""

    kind: str
    amount: int  # kopecks
    currency: str = "UAH"
    number: int | None = None  # the bot's receipt number
    order_id: str | None = None  # an order the bot doesn't know
    code: str | None = None  # a fiscal code


@dataclass(frozen=True)
class ZTotals:
    """One shift closed that day: its Z report's card sales and returns (the registrar's
    balance) and the bot's registered sales and returns in the shift's time. Kopecks."""

    serial: int | None
    card_sales: int
    card_returns: int
    bot_sales: int
    bot_returns: int

    @property
    def agrees(self) -> bool:
        return (self.card_sales, self.card_returns) == (self.bot_sales, self.bot_returns)


def _add(sums: dict[str, int], currency: str, kopecks: int) -> None:
    sums[currency] = sums.get(currency, 0) + kopecks


@dataclass
class Result:
    day: date
    liqpay: Side = Side.OK
    fiscal: Side = Side.OFF
    payments: int = 0  # LiqPay's payments of the day the bot has paid too
    takings: dict[str, int] = field(default_factory=dict)  # their sum per currency
    refunds: int = 0  # receipts with money given back, as LiqPay and the bot agree
    refunded: dict[str, int] = field(default_factory=dict)
    to_register: int = 0  # of the payments: those the registrar is to have
    registered: int = 0  # of those: registered, the registrar agreeing
    registered_sum: int = 0  # kopecks (a fiscal receipt is in hryvnias)
    fixes: list[Entry] = field(default_factory=list)
    problems: list[Entry] = field(default_factory=list)
    refusal: str | None = None  # LiqPay's err_code when it refused the archive
    unreadable: int = 0  # rows LiqPay listed that could not be read (skipped)
    zreport: Side = Side.OFF  # the Z reports of the shifts closed that day (OFF: not read)
    shifts: list[ZTotals] = field(default_factory=list)  # those shifts, oldest first

    def payment(self, currency: str, kopecks: int) -> None:
        self.payments += 1
        _add(self.takings, currency, kopecks)

    def refund(self, currency: str, kopecks: int) -> None:
        self.refunds += 1
        _add(self.refunded, currency, kopecks)

    @property
    def checked(self) -> bool:
        """LiqPay was asked and answered: the figures mean something."""
        return self.liqpay is Side.OK

    @property
    def all_well(self) -> bool:
        """Nothing off, nothing fixed: the owner needs no message for it."""
        return (
            self.checked
            and self.fiscal in (Side.OK, Side.OFF)
            and not self.fixes
            and not self.problems
            and not self.unreadable
            and self.zreport in (Side.OK, Side.OFF)
            and self.z_agrees
        )

    @property
    def z_agrees(self) -> bool:
        return all(shift.agrees for shift in self.shifts)

    def to_payload(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["day"] = self.day.isoformat()
        payload["liqpay"] = self.liqpay.value
        payload["fiscal"] = self.fiscal.value
        payload["zreport"] = self.zreport.value
        return payload

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Result:
        def entries(key: str) -> list[Entry]:
            return [Entry(**item) for item in payload.get(key, [])]

        return cls(
            day=date.fromisoformat(str(payload["day"])),
            liqpay=Side(payload.get("liqpay", Side.OK)),
            fiscal=Side(payload.get("fiscal", Side.OFF)),
            payments=int(payload.get("payments", 0)),
            takings={str(k): int(v) for k, v in payload.get("takings", {}).items()},
            refunds=int(payload.get("refunds", 0)),
            refunded={str(k): int(v) for k, v in payload.get("refunded", {}).items()},
            to_register=int(payload.get("to_register", 0)),
            registered=int(payload.get("registered", 0)),
            registered_sum=int(payload.get("registered_sum", 0)),
            fixes=entries("fixes"),
            problems=entries("problems"),
            refusal=payload.get("refusal"),
            unreadable=int(payload.get("unreadable", 0)),
            zreport=Side(payload.get("zreport", Side.OFF)),
            shifts=[ZTotals(**item) for item in payload.get("shifts", [])],
        )
