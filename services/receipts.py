"""The receipt state machine and everything that moves a receipt after it is issued.

    draft -> awaiting -> paid | failed | expired | cancelled;  paid -> refunded

"Partly refunded" is not a status: it is a paid receipt whose refunded sum
(`refunded_amount`, services/refund_ledger.py) is above 0; it becomes refunded when nothing
is left.

Money wins: a payment LiqPay reports for a failed, expired or cancelled receipt (the customer
paid at the last moment) still makes it paid, and the owner is told it came late.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr

from services import fiscal_policy
from services.clock import Clock, utcnow
from services.crypto import SecretBox
from services.keys import KeysUnreadable as KeysUnreadable  # re-exported
from services.keys import NoKeys as NoKeys
from services.keys import ShopKeys
from services.liqpay import (
    Credentials,
    LiqPayClient,
    LiqPayRefused,
    LiqPayUnavailable,
    PaymentNotFound,
    PaymentState,
    StatusAnswer,
    payment_state,
)
from services.notifications import NotificationKind, OutboxSignal, recipients
from services.refund_ledger import RefundLedger
from services.reminders import reminder_jobs
from services.reports import PaymentReport as PaymentReport  # re-exported: callers use it
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
from storage.models.shops import Member, Role
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.settings import SettingsRepository
from storage.protocols.shops import ShopRepository

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
AUDIENCE_TTL = 60.0
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


class ReceiptService:
    def __init__(
        self,
        receipts: ReceiptRepository,
        shop_settings: SettingsRepository,
        shops: ShopRepository,
        liqpay: LiqPayClient,
        box: SecretBox,
        signal: OutboxSignal,
        clock: Clock = utcnow,
        *,
        fiscal: FiscalSettingsRepository | None = None,
        fiscal_signal: OutboxSignal | None = None,
    ) -> None:
        self.repo = receipts
        self.fiscal = fiscal  # None: no fiscal registrar in this process
        self.fiscal_signal = fiscal_signal  # wakes the fiscal worker
        self.shop_settings = shop_settings
        self.shops = shops
        self.liqpay = liqpay
        self.box = box
        self.signal = signal
        self.clock = clock
        self.keys = ShopKeys(shop_settings, shops, box, signal)
        self._audience: dict[int, tuple[float, list[int], set[int]]] = {}
        # records refunded sums LiqPay reports (services/refund_ledger.py); set by the app
        self.ledger: RefundLedger | None = None

    # the shop's LiqPay keys (services/keys.py)

    def private_key(self, encrypted: bytes) -> SecretStr:
        return self.keys.private_key(encrypted)

    async def require_credentials(self, shop_id: int) -> Credentials:
        return await self.keys.require_credentials(shop_id)

    async def credentials_for(self, receipt: Receipt) -> Credentials:
        return await self.keys.credentials_for(receipt, self.clock())

    async def signing_key(
        self, receipt: Receipt, *, fresh: bool = False
    ) -> tuple[str, bytes] | None:
        return await self.keys.signing_key(receipt, fresh=fresh)

    async def keys_unreadable(self, receipt: Receipt, encrypted: bytes) -> None:
        await self.keys.keys_unreadable(receipt, encrypted, self.clock())

    async def audience(self, shop_id: int) -> tuple[list[int], set[int]]:
        """The shop's owners and all its members, remembered for a minute: every payment
        notifies them. (A removed cashier stops being told within that minute.)"""
        now = time.monotonic()
        cached = self._audience.get(shop_id)
        if cached is None or cached[0] < now:
            owners = await self.shops.member_ids(shop_id, Role.OWNER)
            members = set(await self.shops.member_ids(shop_id))
            cached = self._audience[shop_id] = (now + AUDIENCE_TTL, owners, members)
        return cached[1], cached[2]

    async def notifications_for(
        self, receipt: Receipt, kind: str, *, owners_only: bool = False
    ) -> list[NewJob]:
        owners, members = await self.audience(receipt.shop_id)
        return recipients(receipt, kind, owners, members, owners_only=owners_only)

    async def for_member(self, member: Member, receipt_id: int) -> Receipt | None:
        receipt = await self.repo.get(receipt_id)
        if receipt is None or not can_access(member, receipt):
            return None
        return receipt

    async def card_shown(self, receipt: Receipt, chat_id: int, message_id: int) -> None:
        """A receipt's card was sent. The issuing cashier's copy is the one kept current (the
        notifier edits it); an owner's look does not take it over."""
        if receipt.card_message_id is None or chat_id == receipt.cashier_id:
            await self.repo.set_card_message(receipt.id, chat_id, message_id)

    async def pending(self, member: Member, offset: int, limit: int) -> tuple[list[Receipt], int]:
        """A page of unpaid receipts, newest first: the shop's for an owner, a cashier's own."""
        cashier = None if member.is_owner else member.user_id
        return await self.repo.list_by_status(
            member.shop_id, PENDING, cashier_id=cashier, offset=offset, limit=limit
        )

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
    ) -> Receipt | None:
        """One allowed transition as one transaction, with its event, notifications and
        `jobs`. None when the receipt is no longer in a state that may move to `new`."""
        if receipt.status not in sources_of(new):
            return None  # a repeat or a stale status: nothing to write (the store re-checks)
        notifications = await self.notifications_for(receipt, notify) if notify else []
        now = self.clock()
        caused = [*notifications, *(jobs or [])]
        if new is S.AWAITING:  # its reminders come with it, in the same transaction
            caused += reminder_jobs(receipt, await self.shop_settings.get(receipt.shop_id), now)
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
        notifications = await self.notifications_for(
            receipt, NotificationKind.MISMATCH, owners_only=True
        )
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

    async def refresh(self, receipt: Receipt, source: EventSource = EventSource.USER) -> Receipt:
        """Ask LiqPay afresh and apply the answer. `payment_not_found` means awaiting."""
        creds = await self.credentials_for(receipt)
        try:
            answer = await self.liqpay.status(creds, receipt.order_id)
        except PaymentNotFound:
            return receipt
        return await self.apply_report(receipt, _status_report(answer), source)

    async def check(self, receipt: Receipt) -> Receipt:
        """The «Check status» button: ask LiqPay now; an unpaid receipt past its expiry is
        expired on the spot instead of waiting for the next sweep."""
        if receipt.status is S.AWAITING and receipt.expires_at <= self.clock():
            return await self.expire(receipt)
        return await self.refresh(receipt)

    async def cancel(self, receipt: Receipt) -> Receipt:
        """Cancel an awaiting receipt: first make sure it was not paid meanwhile, then
        withdraw the LiqPay invoice. LiqPay errors propagate and change nothing."""
        fresh = await self.refresh(receipt)
        if fresh.status is not S.AWAITING or fresh.flagged:
            return fresh  # paid meanwhile, or money arrived that the owner must look at
        if fresh.channel in LIQPAY_INVOICE_CHANNELS:
            await self._cancel_invoice(fresh)
        # the card is redrawn by the outbox too: showing it here may fail after the cancel
        moved = await self.move(fresh, S.CANCELLED, EventSource.USER, notify=NotificationKind.CARD)
        return moved or fresh

    async def expire(self, receipt: Receipt) -> Receipt:
        """Past its expiry: make sure it was not paid, withdraw the invoice, mark expired."""
        fresh = await self.refresh(receipt, EventSource.POLL)
        if fresh.status is not S.AWAITING or fresh.flagged:
            return fresh  # a flagged receipt had money arrive: it is not "expired unpaid"
        if fresh.channel in LIQPAY_INVOICE_CHANNELS:
            await self._cancel_invoice(fresh)
        moved = await self.move(fresh, S.EXPIRED, EventSource.POLL, notify=NotificationKind.EXPIRED)
        return moved or fresh

    async def settle_draft(
        self, draft: Receipt, *, lease: datetime | None = None
    ) -> Receipt | None:
        """A draft left by an outage: if LiqPay knows the order, track it as awaiting (or
        paid); if not and it is past its expiry, withdraw anything that might exist and drop
        it. Returns None when the draft was dropped. `lease`: the issuing lease the caller
        holds on it (a draft someone else is issuing is never dropped)."""
        creds = await self.credentials_for(draft)
        try:
            answer = await self.liqpay.status(creds, draft.order_id)
        except PaymentNotFound:
            if draft.expires_at > self.clock():
                return draft
            if draft.channel in LIQPAY_INVOICE_CHANNELS:
                await self._cancel_invoice(draft)
            if await self.repo.delete_draft(draft.id, lease):
                return None
            return draft  # flagged: kept for the owner
        # LiqPay knows the order: the invoice exists. Track it like any other (and redraw
        # the card, which still offers Retry), then apply what LiqPay says about it.
        report = _status_report(answer)
        if payment_state(report.status) is PaymentState.PAID:
            return await self.apply_report(draft, report, EventSource.POLL)
        awaiting = await self.move(
            draft, S.AWAITING, EventSource.POLL, notify=NotificationKind.CARD,
            liqpay_status=report.status,
        )  # fmt: skip
        if awaiting is None:
            return await self.repo.get(draft.id)
        return await self.apply_report(awaiting, report, EventSource.POLL)

    async def _cancel_invoice(self, receipt: Receipt) -> None:
        creds = await self.credentials_for(receipt)
        try:
            await self.liqpay.invoice_cancel(creds, receipt.order_id)
        except LiqPayRefused as exc:
            # An invoice that is already gone can't be paid either; anything else is logged.
            log.warning("invoice_cancel for receipt %s refused: %s", receipt.id, exc.err_code)


def _status_report(answer: StatusAnswer) -> PaymentReport:
    """LiqPay's `status` answer; one with an absurd field counts as LiqPay not answering
    sensibly (nothing changes; the next check asks again)."""
    try:
        return PaymentReport.from_status(answer)
    except ValueError as exc:
        raise LiqPayUnavailable(str(exc)) from None
