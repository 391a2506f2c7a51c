"""The receipt state machine and everything that moves a receipt after it is issued.

    draft -> awaiting -> paid | failed | expired | cancelled;  paid -> refunded

Money wins: a payment LiqPay reports for a failed, expired or cancelled receipt (the customer
paid at the last moment) still makes it paid, and the owner is told it came late.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from services.clock import Clock, utcnow
from services.crypto import SecretBox, SecretKeyMismatch
from services.liqpay import (
    Credentials,
    LiqPayClient,
    LiqPayRefused,
    PaymentNotFound,
    PaymentState,
    StatusAnswer,
    payment_state,
)
from services.money import from_wire
from services.notifications import NotificationKind, OutboxSignal, recipients
from storage.interface import Store
from storage.models import (
    Channel,
    EventSource,
    Member,
    NewNotification,
    Receipt,
    ReceiptStatus,
    Role,
)

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
AUDIENCE_TTL = 60.0


def sources_of(target: ReceiptStatus) -> list[ReceiptStatus]:
    return [state for state, targets in ALLOWED.items() if target in targets]


class NoKeys(Exception):
    """The shop has no LiqPay keys yet."""


def can_access(member: Member, receipt: Receipt) -> bool:
    """An owner sees the shop's receipts; a cashier only their own."""
    if receipt.shop_id != member.shop_id:
        return False
    return member.is_owner or receipt.cashier_id == member.user_id


@dataclass(frozen=True)
class PaymentReport:
    """What LiqPay said about one order, from a callback or a `status` answer."""

    status: str | None
    amount: int | None
    currency: str | None
    payment_id: str | None
    card_mask: str | None
    paid_at: datetime | None

    @classmethod
    def from_status(cls, answer: StatusAnswer) -> PaymentReport:
        return cls(
            status=answer.status,
            amount=from_wire(answer.amount) if answer.amount is not None else None,
            currency=answer.currency,
            payment_id=str(answer.payment_id) if answer.payment_id is not None else None,
            card_mask=answer.sender_card_mask2,
            paid_at=answer.paid_at,
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> PaymentReport:
        """From a verified callback payload (read directly: this is the hot path)."""
        amount, payment_id = payload.get("amount"), payload.get("payment_id")
        stamp = payload.get("end_date") or payload.get("create_date")
        return cls(
            status=str(payload["status"]) if payload.get("status") is not None else None,
            amount=from_wire(amount) if amount is not None else None,
            currency=str(payload["currency"]) if payload.get("currency") is not None else None,
            payment_id=str(payment_id) if payment_id is not None else None,
            card_mask=str(payload.get("sender_card_mask2") or "") or None,
            paid_at=datetime.fromtimestamp(int(stamp) / 1000, UTC) if stamp else None,
        )


class ReceiptService:
    def __init__(
        self,
        store: Store,
        liqpay: LiqPayClient,
        box: SecretBox,
        signal: OutboxSignal,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.liqpay = liqpay
        self.box = box
        self.signal = signal
        self.clock = clock
        self._private_keys: dict[bytes, SecretStr] = {}
        self._audience: dict[int, tuple[float, list[int], set[int]]] = {}

    async def credentials(self, shop_id: int) -> Credentials | None:
        settings = await self.store.get_settings(shop_id)
        if not settings.public_key or not settings.private_key_enc:
            return None
        try:
            private_key = self.private_key(settings.private_key_enc)
        except SecretKeyMismatch:
            log.error("Shop %s: stored keys can't be read (SECRET_KEY changed?)", shop_id)
            return None  # as if unset: the owner enters the keys again
        return Credentials(settings.public_key, private_key, settings.api_version)

    def private_key(self, encrypted: bytes) -> SecretStr:
        """Decrypt a stored private key, remembering it: callbacks need it on every request."""
        key = self._private_keys.get(encrypted)
        if key is None:
            key = self._private_keys[encrypted] = SecretStr(self.box.decrypt(encrypted))
        return key

    async def require_credentials(self, shop_id: int) -> Credentials:
        creds = await self.credentials(shop_id)
        if creds is None:
            raise NoKeys
        return creds

    async def credentials_for(self, receipt: Receipt) -> Credentials:
        """The key pair the receipt's invoice was made with, even if the shop has new keys."""
        current = await self.require_credentials(receipt.shop_id)
        if not receipt.public_key or receipt.public_key == current.public_key:
            return current
        encrypted = await self.store.private_key_for(receipt.shop_id, receipt.public_key)
        if encrypted is None:
            raise NoKeys
        return Credentials(receipt.public_key, self.private_key(encrypted), current.version)

    async def audience(self, shop_id: int) -> tuple[list[int], set[int]]:
        """The shop's owners and all its members, remembered for a minute: every payment
        notifies them. (A removed cashier stops being told within that minute.)"""
        now = time.monotonic()
        cached = self._audience.get(shop_id)
        if cached is None or cached[0] < now:
            owners = await self.store.member_ids(shop_id, Role.OWNER)
            members = set(await self.store.member_ids(shop_id))
            cached = self._audience[shop_id] = (now + AUDIENCE_TTL, owners, members)
        return cached[1], cached[2]

    async def notifications_for(
        self, receipt: Receipt, kind: str, *, owners_only: bool = False
    ) -> list[NewNotification]:
        owners, members = await self.audience(receipt.shop_id)
        return recipients(receipt, kind, owners, members, owners_only=owners_only)

    async def for_member(self, member: Member, receipt_id: int) -> Receipt | None:
        receipt = await self.store.get_receipt(receipt_id)
        if receipt is None or not can_access(member, receipt):
            return None
        return receipt

    async def move(
        self,
        receipt: Receipt,
        new: ReceiptStatus,
        source: EventSource,
        *,
        notify: str | None = None,
        changes: dict[str, Any] | None = None,
        liqpay_status: str | None = None,
        detail: str | None = None,
    ) -> Receipt | None:
        """One allowed transition as one transaction, with its event and notifications.
        None when the receipt is no longer in a state that may move to `new`."""
        if receipt.status not in sources_of(new):
            return None  # a repeat or a stale status: nothing to write (the store re-checks)
        notifications = await self.notifications_for(receipt, notify) if notify else []
        moved = await self.store.transition(
            receipt.id,
            expected=sources_of(new),
            new=new,
            source=source,
            now=self.clock(),
            changes=changes,
            liqpay_status=liqpay_status,
            detail=detail,
            notifications=notifications,
        )
        if moved is not None and notifications:
            self.signal.notify()
        return moved

    async def apply_report(
        self, receipt: Receipt, report: PaymentReport, source: EventSource
    ) -> Receipt:
        """Apply what LiqPay said. Repeats and stale statuses change nothing."""
        state = payment_state(report.status)
        if state is PaymentState.PAID and (
            report.amount != receipt.amount or (report.currency or "") != receipt.currency
        ):
            await self._flag_mismatch(receipt, report, source)
            return await self.store.get_receipt(receipt.id) or receipt
        targets = {
            PaymentState.PAID: S.PAID,
            PaymentState.FAILED: S.FAILED,
            PaymentState.REFUNDED: S.REFUNDED,
        }
        target = targets.get(state)
        if target is None or receipt.status not in sources_of(target):
            return receipt  # still waiting, a repeat, or older than what we know
        changes: dict[str, Any] = {}
        notify = {S.FAILED: NotificationKind.FAILED, S.REFUNDED: NotificationKind.REFUNDED}.get(
            target, NotificationKind.PAID
        )
        if target is S.PAID:
            if receipt.status in (S.EXPIRED, S.CANCELLED):
                notify = NotificationKind.PAID_LATE
            changes = {
                "paid_at": report.paid_at or self.clock(),
                "payment_id": report.payment_id,
                "card_mask": report.card_mask,
            }
        moved = await self.move(
            receipt, target, source, notify=notify, changes=changes, liqpay_status=report.status
        )
        return moved or await self.store.get_receipt(receipt.id) or receipt

    async def _flag_mismatch(
        self, receipt: Receipt, report: PaymentReport, source: EventSource
    ) -> None:
        reason = f"paid {report.amount} {report.currency} (payment {report.payment_id})"
        log.warning("Receipt %s: paid amount or currency differs: %s", receipt.id, reason)
        notifications = await self.notifications_for(
            receipt, NotificationKind.MISMATCH, owners_only=True
        )
        if await self.store.flag(
            receipt.id,
            reason=reason,
            source=source,
            now=self.clock(),
            liqpay_status=report.status,
            notifications=notifications,
        ):
            self.signal.notify()

    async def refresh(self, receipt: Receipt, source: EventSource = EventSource.USER) -> Receipt:
        """Ask LiqPay afresh and apply the answer. `payment_not_found` means awaiting."""
        creds = await self.credentials_for(receipt)
        try:
            answer = await self.liqpay.status(creds, receipt.order_id)
        except PaymentNotFound:
            return receipt
        return await self.apply_report(receipt, PaymentReport.from_status(answer), source)

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
            if await self.store.delete_draft(draft.id, lease):
                return None
            return draft  # flagged: kept for the owner
        # LiqPay knows the order: the invoice exists. Track it like any other (and redraw
        # the card, which still offers Retry), then apply what LiqPay says about it.
        report = PaymentReport.from_status(answer)
        if payment_state(report.status) is PaymentState.PAID:
            return await self.apply_report(draft, report, EventSource.POLL)
        awaiting = await self.move(
            draft, S.AWAITING, EventSource.POLL, notify=NotificationKind.CARD,
            liqpay_status=report.status,
        )  # fmt: skip
        if awaiting is None:
            return await self.store.get_receipt(draft.id)
        return await self.apply_report(awaiting, report, EventSource.POLL)

    async def _cancel_invoice(self, receipt: Receipt) -> None:
        creds = await self.credentials_for(receipt)
        try:
            await self.liqpay.invoice_cancel(creds, receipt.order_id)
        except LiqPayRefused as exc:
            # An invoice that is already gone can't be paid either; anything else is logged.
            log.warning("invoice_cancel for receipt %s refused: %s", receipt.id, exc.err_code)
