"""The receipt state machine and everything that moves a receipt after it is issued.

    draft -> awaiting -> paid | failed | expired | cancelled;  paid -> refunded

"Partly refunded" is not a status: it is a paid receipt whose refunded sum
(`refunded_amount`, services/refunds/ledger.py) is above 0; it becomes refunded when nothing
is left.

Money wins: a payment LiqPay reports for a failed, expired or cancelled receipt (the customer
paid at the last moment) still makes it paid, and the owner is told it came late.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.core.clock import Clock, utcnow
from services.fiscal import policy as fiscal_policy
from services.liqpay.answers import PaymentReport
from services.liqpay.statuses import PaymentState, payment_state
from services.notifications.jobs import NotificationKind, OutboxSignal
from services.receipts.audience import ReceiptNotices
from services.refunds.ledger import RefundLedger
from services.reminders.service import reminder_jobs
from storage.models.fiscal import FiscalState
from storage.models.jobs import NewJob
from storage.models.receipts import (
    Channel,
    EventSource,
    PaymentMismatch,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from storage.models.settings import ShopSettings
from storage.models.shops import Member
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.settings import SettingsRepository

log = logging.getLogger(__name__)

S = ReceiptStatus
ALLOWED: dict[ReceiptStatus, frozenset[ReceiptStatus]] = {
    S.DRAFT: frozenset({S.AWAITING, S.PAID}),
    S.AWAITING: frozenset({S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED}),
    S.PAID: frozenset({S.REFUNDED}),
    S.FAILED: frozenset({S.PAID}),
    S.EXPIRED: frozenset({S.PAID}),
    S.CANCELLED: frozenset({S.PAID}),
    S.REFUNDED: frozenset(),
}
LIQPAY_INVOICE_CHANNELS = frozenset({Channel.EMAIL, Channel.PRIVAT24})
PENDING = (S.AWAITING, S.DRAFT)  # what /pending lists: unpaid, and drafts left by an outage
MISMATCH_FLAG = "mismatch"  # receipts.flagged: a payment differed; the facts are beside it


def sources_of(target: ReceiptStatus) -> list[ReceiptStatus]:
    return [state for state, targets in ALLOWED.items() if target in targets]


def can_access(member: Member, receipt: Receipt) -> bool:
    """An owner sees the shop's receipts; a cashier only their own."""
    if receipt.shop_id != member.shop_id:
        return False
    return member.is_owner or receipt.cashier_id == member.user_id


@dataclass(frozen=True)
class Applied:
    """What one `apply` call did. `receipt` is as it is now; `applied` is True only when this
    call's own write happened (a transition or a flag), not a concurrent call's."""

    receipt: Receipt
    applied: bool = False
    flagged: bool = False


class ReceiptMoves:
    """Moves a receipt: one allowed transition as one transaction, and what LiqPay reports
    applied to it. The receipt service (state.py) holds one and adds the reads and the
    LiqPay checks."""

    def __init__(
        self,
        receipts: ReceiptRepository,
        shop_settings: SettingsRepository,
        notices: ReceiptNotices,
        signal: OutboxSignal,
        clock: Clock = utcnow,
        *,
        fiscal: FiscalSettingsRepository | None = None,
        fiscal_signal: OutboxSignal | None = None,
        ledger: RefundLedger | None = None,
    ) -> None:
        self.repo = receipts
        self.shop_settings = shop_settings  # a shop's reminder settings
        self.notices = notices
        self.signal = signal
        self.clock = clock
        self.fiscal = fiscal  # None: no fiscal registrar in this process
        self.fiscal_signal = fiscal_signal  # wakes the fiscal worker
        self.ledger = ledger  # records refunded sums LiqPay reports (services/refunds/ledger.py)

    async def move(
        self,
        receipt: Receipt,
        new: ReceiptStatus,
        source: EventSource,
        *,
        notify: str | None = None,
        changes: ReceiptChanges | None = None,
        liqpay_status: str | None = None,
        detail: str | None = None,
        jobs: list[NewJob] | None = None,
        shop: ShopSettings | None = None,
    ) -> Receipt | None:
        """One allowed transition as one transaction, with its event, notifications and
        `jobs`. None when the receipt is no longer in a state that may move to `new`.
        `shop`: the shop's settings when the caller has just read them (else read here)."""
        if receipt.status not in sources_of(new):
            return None  # a repeat or a stale status: nothing to write (the store re-checks)
        notifications = await self.notices(receipt, notify) if notify else []
        now = self.clock()
        caused = [*notifications, *(jobs or [])]
        if new is S.AWAITING:  # its reminders come with it, in the same transaction
            shop = shop or await self.shop_settings.get(receipt.shop_id)
            caused += reminder_jobs(receipt, shop, now)
        moved = await self.repo.transition(
            receipt.id,
            expected=sources_of(new),
            new=new,
            source=source,
            now=now,
            changes=changes,
            liqpay_status=liqpay_status,
            detail=detail,
            jobs=caused,
        )
        if moved is not None:
            if notifications:
                self.signal.notify()
            if jobs and self.fiscal_signal is not None:
                self.fiscal_signal.notify()
        return moved

    async def apply_report(
        self, receipt: Receipt, report: PaymentReport, source: EventSource
    ) -> Receipt:
        """Apply what LiqPay said; the receipt as it is afterwards."""
        return (await self.apply(receipt, report, source)).receipt

    async def apply(self, receipt: Receipt, report: PaymentReport, source: EventSource) -> Applied:
        """Apply what LiqPay said. Repeats and stale statuses change nothing."""
        state = payment_state(report.status)
        refunds = state is PaymentState.REFUNDED or report.refunded > 0
        if refunds and self.ledger is not None and receipt.status in (S.PAID, S.REFUNDED):
            total = report.refunded or receipt.amount  # `reversed` alone: all of it went back
            recorded = await self.ledger.record(receipt, total, source, liqpay_status=report.status)
            return Applied(recorded or receipt, applied=recorded is not None)
        if state is PaymentState.PAID and (
            report.amount != receipt.amount or (report.currency or "") != receipt.currency
        ):
            flagged = await self._flag_mismatch(receipt, report, source)
            current = await self.repo.get(receipt.id) or receipt
            return Applied(current, applied=flagged, flagged=flagged)
        targets = {
            PaymentState.PAID: S.PAID,
            PaymentState.FAILED: S.FAILED,
            PaymentState.REFUNDED: S.REFUNDED,
        }
        target = targets.get(state)
        if target is None or receipt.status not in sources_of(target):
            return Applied(receipt)  # still waiting, a repeat, or older than what we know
        changes = None
        jobs: list[NewJob] = []
        notify = {S.FAILED: NotificationKind.FAILED, S.REFUNDED: NotificationKind.REFUNDED}.get(
            target, NotificationKind.PAID
        )
        if target is S.PAID:
            if receipt.status in (S.EXPIRED, S.CANCELLED):
                notify = NotificationKind.PAID_LATE
            # A registrar is asked in the same transaction that makes the receipt paid, so a
            # crash between the two can't lose it.
            fiscal_state, jobs = await self._fiscal_on_paid(receipt)
            changes = ReceiptChanges(
                paid_at=report.paid_at or self.clock(),
                payment_id=report.payment_id,
                card_mask=report.card_mask,
                payment_rrn=report.rrn,
                payment_auth_code=report.auth_code,
                payment_bank=report.bank,
                payment_system=report.payment_system,
                fiscal_state=fiscal_state,
            )
        moved = await self.move(
            receipt, target, source, notify=notify, changes=changes,
            liqpay_status=report.status, jobs=jobs,
        )  # fmt: skip
        if moved is None:  # another call moved it first (the store's compare-and-set said no)
            return Applied(await self.repo.get(receipt.id) or receipt)
        return Applied(moved, applied=True)

    async def _fiscal_on_paid(self, receipt: Receipt) -> tuple[FiscalState | None, list[NewJob]]:
        if self.fiscal is None:
            return None, []
        settings = await self.fiscal.get(receipt.shop_id)
        return fiscal_policy.on_paid(settings, receipt)

    async def _flag_mismatch(
        self, receipt: Receipt, report: PaymentReport, source: EventSource
    ) -> bool:
        """Keep what came in for the owner to see; True when this call flagged it."""
        mismatch = PaymentMismatch(report.amount, report.currency, report.payment_id)
        notifications = await self.notices(receipt, NotificationKind.MISMATCH, owners_only=True)
        flagged = await self.repo.flag(
            receipt.id,
            reason=MISMATCH_FLAG,
            source=source,
            now=self.clock(),
            liqpay_status=report.status,
            jobs=notifications,
            mismatch=mismatch,
        )
        if flagged:
            log.warning(
                "Receipt %s: LiqPay reports %s kopecks %s (payment %s), the receipt is for "
                "%s kopecks %s: flagged for the owner",
                receipt.id, report.amount, report.currency, report.payment_id,
                receipt.amount, receipt.currency,
            )  # fmt: skip
            self.signal.notify()
        return flagged
