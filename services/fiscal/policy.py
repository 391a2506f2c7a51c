"""What a paid receipt means for fiscalization, and the fiscal jobs on the store's queue.

The store takes plain values: these functions decide whether a receipt is to be
registered, which jobs do it, and when a shop's shift is closed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from services.core.clock import utcnow
from services.core.periods import KYIV
from storage.models.fiscal import FiscalMode, FiscalSettings, FiscalState
from storage.models.jobs import NewJob
from storage.models.receipts import Receipt

FISCAL_SALE = "fiscal.sale"  # payload {"attempt": int}; receipt_id set
# a late receipt dated at its payment (services/fiscal/offline.py): payload {"shop_id",
# "attempt"}; receipt_id set; one job of a register's group in flight at a time
FISCAL_LATE = "fiscal.late"
# Checkbox: a sale registered more than this after the bank transaction goes through offline
# mode dated at the transaction (docs/checkbox-offline.md)
LATE_AFTER = timedelta(minutes=5)
FISCAL_CLOSE_SHIFT = "fiscal.close_shift"  # payload {"shop_id", "day", "minutes"}
FISCAL_CURRENCY = "UAH"  # a Ukrainian fiscal receipt is in hryvnias
# What /pending lists for the owner as "paid but not registered".
UNREGISTERED = (FiscalState.NOT_REGISTERED, FiscalState.REGISTERING, FiscalState.FAILED)
# A receipt that could not reach the registrar keeps this as its fiscal_error (while
# NOT_REGISTERED): the card says "the registrar is not answering, retrying".
UNAVAILABLE = "unavailable"


class Route(StrEnum):
    """How a paid receipt not registered yet will be registered."""

    ONLINE = "online"  # sent to the tax service when the registrar takes it
    DATED_AT_PAYMENT = "dated_at_payment"  # offline, dated at the payment (not yet made)


def late(receipt: Receipt, now: datetime) -> bool:
    """Registered now, it would be dated more than LATE_AFTER after its payment."""
    return receipt.paid_at is not None and late_at(receipt.paid_at, now)


def late_at(moment: datetime, now: datetime) -> bool:
    """Registered now, something that happened at `moment` would be dated too late."""
    return now - moment > LATE_AFTER


def late_return_job(
    shop_id: int, receipt_id: int, amount: int, total: int, at: datetime, refund: int | None
) -> NewJob:
    """A return registered more than LATE_AFTER after the refund (`at`), dated at it, in its
    register's group like the late sales; `refund` (the refund's id, when the bot made it)
    names the goods given back."""
    payload: dict[str, object] = {
        "shop_id": shop_id, "return": {"amount": amount, "total": total, "at": at.isoformat()}
    }  # fmt: skip
    if refund is not None:
        payload["refund"] = refund
    return NewJob(
        FISCAL_LATE,
        payload,
        group_key=register_group(shop_id),
        dedupe_key=f"{FISCAL_LATE}:return:{receipt_id}:{total}",
        receipt_id=receipt_id,
    )


def route(receipt: Receipt, now: datetime | None = None) -> Route:
    """The one place that decides it: offline, dated at the payment, once registering it
    now would date it more than LATE_AFTER after the payment (where the payment's time can
    no longer be used, the job registers it online and tells the owner why)."""
    return Route.DATED_AT_PAYMENT if late(receipt, now or utcnow()) else Route.ONLINE


def register_group(shop_id: int) -> str:
    """Everything that sends documents to a shop's register goes one job at a time: sales,
    late batches, returns (group keys share the jobs' namespace; per shop, so one shop's
    queue never holds up another's)."""
    return f"fiscal.register:{shop_id}"


def late_job(shop_id: int, receipt_id: int, attempt: int) -> NewJob:
    return NewJob(
        FISCAL_LATE,
        {"shop_id": shop_id, "attempt": attempt},
        group_key=register_group(shop_id),
        dedupe_key=f"{FISCAL_LATE}:{receipt_id}:{attempt}",
        receipt_id=receipt_id,
    )


def active(settings: FiscalSettings | None) -> bool:
    """Set up and switched on."""
    return settings is not None and settings.configured and settings.enabled


def sale_key(receipt_id: int, attempt: int) -> str:
    return f"{FISCAL_SALE}:{receipt_id}:{attempt}"


def sale_job(shop_id: int, receipt_id: int, attempt: int) -> NewJob:
    """One job per receipt and attempt, whoever asks (payment, button, repeat); in its
    register's group, so it never runs beside a late batch that has the register offline."""
    return NewJob(
        FISCAL_SALE,
        {"attempt": attempt},
        group_key=register_group(shop_id),
        dedupe_key=sale_key(receipt_id, attempt),
        receipt_id=receipt_id,
    )


def on_paid(
    settings: FiscalSettings | None, receipt: Receipt
) -> tuple[FiscalState | None, list[NewJob]]:
    """The fiscal state a receipt gets as it becomes paid, and the jobs that go in the same
    transaction: registered automatically in AUTO mode, waiting for the button in MANUAL."""
    if not active(settings) or receipt.currency != FISCAL_CURRENCY:
        return None, []
    assert settings is not None
    if receipt.fiscal_state is not None:
        return receipt.fiscal_state, []
    if settings.mode is not FiscalMode.AUTO:
        return FiscalState.NOT_REGISTERED, []
    job = sale_job(receipt.shop_id, receipt.id, receipt.fiscal_attempt)
    return FiscalState.NOT_REGISTERED, [job]


def registrable(receipt: Receipt) -> bool:
    """Whether the Register / Retry button belongs on the receipt."""
    return receipt.fiscal_state in (FiscalState.NOT_REGISTERED, FiscalState.FAILED)


def next_close(minutes: int, now: datetime) -> tuple[date, datetime]:
    """The Kyiv day and the UTC moment of the next shift close at `minutes` after Kyiv
    midnight, strictly after `now` (zoneinfo makes it right across DST changes)."""
    local = now.astimezone(KYIV)
    day = local.date()
    for _ in range(2):
        moment = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=KYIV)
        if moment > local:
            return day, moment.astimezone(now.tzinfo)
        day += timedelta(days=1)
    raise AssertionError("unreachable")


def close_shift_job(settings: FiscalSettings, now: datetime) -> NewJob:
    day, moment = next_close(settings.close_shift_at, now)
    minutes = settings.close_shift_at
    return NewJob(
        FISCAL_CLOSE_SHIFT,
        {"shop_id": settings.shop_id, "day": day.isoformat(), "minutes": minutes},
        run_at=moment,
        dedupe_key=f"{FISCAL_CLOSE_SHIFT}:{settings.shop_id}:{day.isoformat()}:{minutes}",
    )


def kyiv_midnight(moment: datetime) -> datetime:
    local = moment.astimezone(KYIV)
    return datetime.combine(local.date(), time(0), tzinfo=KYIV).astimezone(moment.tzinfo)
