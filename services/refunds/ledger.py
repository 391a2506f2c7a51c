"""A receipt's refunded sum, whoever refunded: this bot, or the LiqPay cabinet.

LiqPay reports the cumulative refunded sum (`refund_amount`) in callbacks and `status`
answers, and `reversed` once everything went back. The receipt keeps that sum: paid with a
sum above 0 is "partly refunded", and it becomes REFUNDED when nothing is left. Each rise of
the sum is one compare-and-set with its event, the notices (the issuing cashier and the
owners, once per sum) and, when the shop registers fiscal receipts, the return receipt's
job — so a repeated callback changes nothing and a racing one is told once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from services.core.clock import Clock
from services.fiscal import policy as fiscal_policy
from services.notifications.jobs import NotificationKind, OutboxSignal, notify_job
from storage.models.jobs import NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.refunds import REFUNDS_IN_FLIGHT, Refund, RefundState
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.refunds import RefundRepository

log = logging.getLogger(__name__)

# payload {"amount", "total"} and, when the rise is one refund of ours, its "refund" id (the
# return receipt lists that refund's goods lines); receipt_id set
FISCAL_RETURN = "fiscal.return"
CAS_ATTEMPTS = 5
REFUNDABLE = (ReceiptStatus.PAID, ReceiptStatus.REFUNDED)

# (receipt, kind) -> the notices to the issuing cashier and the owners, plus the card
Audience = Callable[[Receipt, str], Awaitable[list[NewJob]]]


def return_key(receipt_id: int, total: int) -> str:
    return f"{FISCAL_RETURN}:{receipt_id}:{total}"


def return_job(receipt_id: int, amount: int, total: int, refund_id: int | None = None) -> NewJob:
    """One return receipt per rise of the refunded sum (to `total`), whoever asks."""
    payload: dict[str, int] = {"amount": amount, "total": total}
    if refund_id is not None:
        payload["refund"] = refund_id
    return NewJob(
        FISCAL_RETURN,
        payload,
        dedupe_key=return_key(receipt_id, total),
        receipt_id=receipt_id,
    )


class RefundLedger:
    def __init__(
        self,
        receipts: ReceiptRepository,
        refunds: RefundRepository,
        audience: Audience,
        signal: OutboxSignal,
        clock: Clock,
        *,
        fiscal: FiscalSettingsRepository | None = None,
        fiscal_signal: OutboxSignal | None = None,
    ) -> None:
        self.receipts = receipts
        self.refunds = refunds
        self.audience = audience
        self.signal = signal
        self.clock = clock
        self.fiscal = fiscal
        self.fiscal_signal = fiscal_signal

    async def _jobs(
        self, receipt: Receipt, delta: int, total: int, refund: Refund | None = None
    ) -> list[NewJob]:
        jobs = []
        for job in await self.audience(receipt, NotificationKind.REFUND):
            chat = int(job.payload["chat_id"])
            if job.payload["kind"] == NotificationKind.REFUND:
                job = notify_job(
                    chat,
                    NotificationKind.REFUND,
                    dedupe_key=f"refund:{receipt.id}:{total}:{chat}",
                    amount=delta,
                    total=total,
                )
            jobs.append(job)
        if await self._registers_returns(receipt):
            # the rise is exactly this refund: its return receipt lists its goods
            ours = refund is not None and (refund.amount, refund.refunded_before) == (
                delta,
                receipt.refunded_amount,
            )
            jobs.append(
                return_job(receipt.id, delta, total, refund.id if ours and refund else None)
            )
        return jobs

    async def _registers_returns(self, receipt: Receipt) -> bool:
        """A return receipt belongs to a refund of a sale that is (or may yet be) registered:
        a failed one too, since the owner may retry it; its return job waits for the sale."""
        if self.fiscal is None or receipt.fiscal_state is None:
            return False
        return fiscal_policy.active(await self.fiscal.get(receipt.shop_id))

    async def record(
        self,
        receipt: Receipt,
        total: int,
        source: EventSource,
        *,
        liqpay_status: str | None = None,
        refund: Refund | None = None,
    ) -> Receipt | None:
        """Raise the receipt's refunded sum to `total` (capped at its amount), settling
        `refund` as DONE in the same transaction when given, or the receipt's refund in
        flight when `total` covers it. The receipt as it is afterwards; None when nothing
        was written by this call (a repeat, an older sum, a refund settled already)."""
        current: Receipt | None = receipt
        for _ in range(CAS_ATTEMPTS):
            if current is None or current.status not in REFUNDABLE:
                return None
            total = min(max(total, current.refunded_amount), current.amount)
            settles = refund or await self.refunds.in_flight(current.id)
            if settles is not None and total < settles.refunded_before + settles.amount:
                settles = None if refund is None else settles  # not this refund's money yet
            if settles is None and total == current.refunded_amount:
                return None  # a repeat: nothing new
            delta = total - current.refunded_amount
            status = ReceiptStatus.REFUNDED if total >= current.amount else ReceiptStatus.PAID
            jobs = await self._jobs(current, delta, total, settles) if delta > 0 else []
            recorded = await self.refunds.record_refunded(
                current.id,
                expected_refunded=current.refunded_amount,
                refunded=total,
                status=status,
                source=source,
                now=self.clock(),
                liqpay_status=liqpay_status,
                detail=f"refunded {current.refunded_amount} -> {total}",
                jobs=jobs,
                refund_id=settles.id if settles else None,
                refund_expected=REFUNDS_IN_FLIGHT if settles else (),
                refund_state=RefundState.DONE if settles else None,
            )
            if recorded is not None:
                if jobs:
                    self.signal.notify()
                    if self.fiscal_signal is not None:
                        self.fiscal_signal.notify()
                if delta > 0:
                    log.info(
                        "Receipt %s: refunded %s of %s kopecks (%s)",
                        current.id, total, current.amount, source.value,
                    )  # fmt: skip
                return recorded
            if refund is not None:
                fresh = await self.refunds.get(refund.id)
                if fresh is None or not fresh.in_flight:
                    return None  # settled by someone else meanwhile
                refund = fresh
            current = await self.receipts.get(receipt.id)
        log.warning(
            "Receipt %s: the refunded sum kept changing; left for the next report", receipt.id
        )
        return None
