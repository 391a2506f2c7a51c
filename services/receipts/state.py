"""The receipt service callers use: the transitions (transitions.py) plus a member's reads
and what asks LiqPay first: a status check, cancel, expiry, a draft left by an outage."""

from __future__ import annotations

import logging
from datetime import datetime

from services.liqpay.answers import PaymentReport as PaymentReport  # re-exported: callers use it
from services.liqpay.answers import StatusAnswer
from services.liqpay.client import LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.liqpay.statuses import PaymentState, payment_state
from services.notifications.jobs import NotificationKind
from services.receipts.transitions import (
    LIQPAY_INVOICE_CHANNELS,
    PENDING,
    ReceiptTransitions,
    can_access,
)
from services.settings.keys import KeysUnreadable as KeysUnreadable  # re-exported
from services.settings.keys import NoKeys as NoKeys
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.shops import Member

log = logging.getLogger(__name__)

S = ReceiptStatus


class ReceiptService(ReceiptTransitions):
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
