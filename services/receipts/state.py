"""The receipt service callers use: the transitions (ReceiptMoves, transitions.py), a
member's reads, the shop's LiqPay keys, and what asks LiqPay first: a status check, cancel,
expiry, a draft left by an outage."""

from __future__ import annotations

import logging
from datetime import datetime

from pydantic import SecretStr

from services.core.clock import Clock, utcnow
from services.core.crypto import SecretBox
from services.liqpay.answers import PaymentReport as PaymentReport  # re-exported: callers use it
from services.liqpay.answers import StatusAnswer
from services.liqpay.client import LiqPayClient, LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.liqpay.signing import Credentials
from services.liqpay.statuses import PaymentState, payment_state
from services.notifications.jobs import NotificationKind, OutboxSignal
from services.receipts.audience import Audience, ReceiptNotices
from services.receipts.transitions import (
    LIQPAY_INVOICE_CHANNELS,
    PENDING,
    Applied,
    ReceiptMoves,
    can_access,
)
from services.refunds.ledger import RefundLedger
from services.settings.keys import KeysUnreadable as KeysUnreadable  # re-exported
from services.settings.keys import NoKeys as NoKeys
from services.settings.keys import ShopKeys
from storage.models.jobs import NewJob
from storage.models.receipts import EventSource, Receipt, ReceiptChanges, ReceiptStatus
from storage.models.settings import ShopSettings
from storage.models.shops import Member
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.lines import ReceiptLinesRepository
from storage.protocols.receipt_queries import ReceiptQueries
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.settings import SettingsRepository
from storage.protocols.shops import ShopRepository

log = logging.getLogger(__name__)

S = ReceiptStatus


class ReceiptService:
    def __init__(
        self,
        receipts: ReceiptRepository,
        queries: ReceiptQueries,
        shop_settings: SettingsRepository,
        shops: ShopRepository,
        liqpay: LiqPayClient,
        box: SecretBox,
        signal: OutboxSignal,
        clock: Clock = utcnow,
        *,
        fiscal: FiscalSettingsRepository | None = None,
        fiscal_signal: OutboxSignal | None = None,
        ledger: RefundLedger | None = None,
        notices: ReceiptNotices | None = None,
        lines: ReceiptLinesRepository | None = None,
    ) -> None:
        self.repo = receipts
        self.lines = lines  # the receipts' goods lines (None: not read, e.g. in a unit test)
        self.queries = queries
        self.shop_settings = shop_settings
        self.shops = shops
        self.liqpay = liqpay
        self.box = box
        self.signal = signal
        self.clock = clock
        self.keys = ShopKeys(shop_settings, shops, box, signal)
        self.notices = notices or ReceiptNotices(Audience(shops))
        self.audience = self.notices.audience
        self.moves = ReceiptMoves(
            receipts, shop_settings, self.notices, signal, clock,
            fiscal=fiscal, fiscal_signal=fiscal_signal, ledger=ledger,
        )  # fmt: skip

    # the transitions (transitions.py)

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
        return await self.moves.move(
            receipt, new, source, notify=notify, changes=changes,
            liqpay_status=liqpay_status, detail=detail, jobs=jobs, shop=shop,
        )  # fmt: skip

    async def apply(self, receipt: Receipt, report: PaymentReport, source: EventSource) -> Applied:
        return await self.moves.apply(receipt, report, source)

    async def apply_report(
        self, receipt: Receipt, report: PaymentReport, source: EventSource
    ) -> Receipt:
        return await self.moves.apply_report(receipt, report, source)

    async def notifications_for(
        self, receipt: Receipt, kind: str, *, owners_only: bool = False
    ) -> list[NewJob]:
        return await self.notices(receipt, kind, owners_only=owners_only)

    # the shop's LiqPay keys (services/settings/keys.py)

    def private_key(self, encrypted: bytes) -> SecretStr:
        return self.keys.private_key(encrypted)

    async def require_credentials(self, shop_id: int) -> Credentials:
        return await self.keys.require_credentials(shop_id)

    def credentials(self, shop: ShopSettings) -> Credentials:
        return self.keys.credentials(shop)

    async def credentials_for(self, receipt: Receipt) -> Credentials:
        return await self.keys.credentials_for(receipt, self.clock())

    async def signing_key(
        self, receipt: Receipt, *, fresh: bool = False
    ) -> tuple[str, bytes] | None:
        return await self.keys.signing_key(receipt, fresh=fresh)

    async def keys_unreadable(self, receipt: Receipt, encrypted: bytes) -> None:
        await self.keys.keys_unreadable(receipt, encrypted, self.clock())

    # a member's reads, and what asks LiqPay first

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
        return await self.queries.list_by_status(
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
