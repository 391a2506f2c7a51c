"""Issuing an invoice: a draft receipt first (its order id reserved), then LiqPay.

A LiqPay refusal removes the draft. LiqPay being unreachable keeps it, so a retry reuses the
same order id: LiqPay itself then refuses a second invoice for it, and we never make two.

Whoever makes the invoice holds the receipt's issuing lease in the store, from the draft
until the person who confirmed it has been shown what became of it. Confirm or Retry while
the lease is live answers "being made"; a lease that expired means its holder died (a kill,
a crash, a replica gone): the next Confirm or Retry takes it and asks LiqPay first, and
services/invoices/recovery.py tells the cashier what became of the invoice if nobody asks.
"""

from __future__ import annotations

from datetime import timedelta

from services.config import Settings
from services.invoices.duplicates import DuplicateCheck
from services.invoices.goods import liqpay_goods, receipt_lines
from services.invoices.leases import SHOW_LEASE, IssueLeases, Lease, LeaseLost
from services.invoices.requests import (
    CurrencyChanged,
    InvoiceRefused,
    InvoiceRequest,
    IssueResult,
    Outcome,
    SmsNotConfigured,
    make_order_id,
)
from services.invoices.sms import InvoiceSms
from services.liqpay.client import LiqPayError, LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.liqpay.signing import Credentials
from services.notifications.jobs import NotificationKind, notify_job
from services.payments.polling import first_check
from services.receipts.state import NoKeys, ReceiptService
from services.receipts.transitions import LIQPAY_INVOICE_CHANNELS, can_access
from services.turbosms import TurboSmsClient
from storage.models.lines import SaleLine
from storage.models.receipts import (
    Channel,
    EventSource,
    NewDraft,
    NumberedText,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from storage.models.settings import ShopSettings
from storage.models.shops import Member


class InvoiceService:
    def __init__(
        self,
        receipts: ReceiptService,
        settings: Settings,
        sms: TurboSmsClient,
        default_description: str = "Payment for receipt No {number}",
        *,
        replica_id: str | None = None,
    ) -> None:
        self.receipts = receipts
        self.repo = receipts.repo
        self.shop_settings = receipts.shop_settings
        self.liqpay = receipts.liqpay
        self.settings = settings
        self.sms = InvoiceSms(self.shop_settings, receipts.box, sms)
        self.default_description = default_description
        self.leases = IssueLeases(
            self.repo, self.liqpay, receipts.signal, receipts.clock, holder=replica_id
        )
        self.duplicates = DuplicateCheck(receipts.queries, receipts.clock)  # before a second one

    async def issue(self, request: InvoiceRequest) -> IssueResult:
        """Make the invoice. The same idempotency key never makes a second receipt: a repeat
        resumes the first one. Raises NoKeys, SmsNotConfigured, CurrencyChanged,
        LinesDoNotAddUp (the amount is not the lines' sum), InvoiceRefused or LiqPayError
        (nothing is left being made then)."""
        shop = await self.shop_settings.get(request.shop_id)  # the one read of this Confirm
        creds = self.receipts.credentials(shop)
        if request.channel is Channel.SMS and not shop.has_sms:
            raise SmsNotConfigured
        if request.currency is not None and request.currency != shop.currency:
            raise CurrencyChanged(shop.currency)
        lines = receipt_lines(shop, request.amount, request.description, request.lines)
        now = self.receipts.clock()
        lease_until = now + self.leases.for_call(asks_status=False)
        draft = NewDraft(
            shop_id=request.shop_id,
            cashier_id=request.cashier_id,
            amount=request.amount,
            currency=shop.currency,
            description=request.description or NumberedText(self.default_description),
            channel=request.channel,
            contact=request.contact,
            idempotency_key=request.idempotency_key,
            order_id=make_order_id(request.shop_id),
            expires_at=now + timedelta(seconds=shop.invoice_lifetime),
            public_key=creds.public_key,
        )
        receipt, created = await self.repo.create_draft(
            draft,
            now,
            [first_check()],
            issuing_until=lease_until,
            issuing_replica=self.leases.holder,
            lines=lines,
        )
        if not created:  # a second tap on the same Confirm, or Confirm again after a restart
            return await self.resume(receipt, request.language)
        lease = Lease(receipt.id, lease_until)
        return await self._complete(
            lease, receipt, creds, request.language, ask_first=False, shop=shop
        )

    async def resume(self, receipt: Receipt, language: str = "uk") -> IssueResult:
        """Confirm again or Retry: finish a draft with the same order id, asking LiqPay first
        whether an earlier attempt reached it."""
        if receipt.status is not ReceiptStatus.DRAFT:
            return IssueResult(receipt, Outcome.ALREADY_MADE)
        creds = await self.receipts.credentials_for(receipt)
        lease = await self.leases.take(receipt.id, self.leases.for_call(asks_status=True))
        if lease is None:
            current = await self.repo.get(receipt.id) or receipt
            if current.status is not ReceiptStatus.DRAFT:
                return IssueResult(current, Outcome.ALREADY_MADE)
            return IssueResult(current, Outcome.BUSY)
        return await self._complete(lease, receipt, creds, language, ask_first=True)

    async def _complete(
        self,
        lease: Lease,
        draft: Receipt,
        creds: Credentials,
        language: str,
        *,
        ask_first: bool,
        shop: ShopSettings | None = None,
    ) -> IssueResult:
        """`shop`: the settings issue() read, for the move's reminders and the SMS."""
        try:
            if draft.channel in LIQPAY_INVOICE_CHANNELS:
                receipt = await self._send_invoice(lease, draft, creds, language, ask_first, shop)
            else:
                link = self.liqpay.checkout_url(
                    creds,
                    order_id=draft.order_id,
                    amount=draft.amount,
                    currency=draft.currency,
                    description=draft.description,
                    expires_at=draft.expires_at,
                    server_url=self.settings.callback_url,
                    language=language,
                )
                receipt = await self._activate(draft, shop, link=link, token=None)
        except LiqPayUnavailable:
            await self.leases.renew(lease, SHOW_LEASE)
            return IssueResult(draft, Outcome.NOT_CONFIRMED, lease=lease)
        except LeaseLost:
            return IssueResult(draft, Outcome.BUSY)
        except (InvoiceRefused, LiqPayError):  # said as it is; nothing is left to recover
            await self.leases.release(lease)
            raise
        await self.leases.renew(lease, SHOW_LEASE)
        is_sms = draft.channel is Channel.SMS
        sms_error = await self.send_sms(receipt, shop=shop) if is_sms else None
        return IssueResult(receipt, Outcome.MADE, sms_error, lease)

    async def _send_invoice(
        self,
        lease: Lease,
        draft: Receipt,
        creds: Credentials,
        language: str,
        ask_first: bool,
        shop: ShopSettings | None,
    ) -> Receipt:
        if ask_first:
            await self.leases.hold(lease, self.leases.for_call(asks_status=True))
            if await self._known_to_liqpay(draft, creds):
                return await self._activate(draft, shop, link=None, token=None)
        await self.leases.hold(lease, self.leases.for_call(asks_status=False))
        try:
            answer = await self.liqpay.invoice_send(
                creds,
                order_id=draft.order_id,
                amount=draft.amount,
                currency=draft.currency,
                description=draft.description,
                expires_at=draft.expires_at,
                email=draft.contact if draft.channel is Channel.EMAIL else None,
                phone=draft.contact if draft.channel is Channel.PRIVAT24 else None,
                server_url=self.settings.callback_url,
                language=language,
                goods=liqpay_goods(await self._lines_of(draft)),
            )
        except LiqPayRefused as exc:
            if exc.err_code == "order_id_duplicate":
                return await self._activate(draft, shop, link=None, token=None)
            await self.repo.delete_draft(draft.id, lease.until)
            raise InvoiceRefused(exc.err_code, exc.err_description) from exc
        return await self._activate(draft, shop, link=answer.href, token=answer.token)

    async def _lines_of(self, draft: Receipt) -> list[SaleLine]:
        if self.receipts.lines is None:
            return []
        return [stored.line for stored in await self.receipts.lines.of_receipt(draft.id)]

    async def _known_to_liqpay(self, draft: Receipt, creds: Credentials) -> bool:
        """After an outage or a kill: did the first attempt reach LiqPay after all?"""
        try:
            await self.liqpay.status(creds, draft.order_id)
        except PaymentNotFound:
            return False
        return True

    async def _activate(
        self, draft: Receipt, shop: ShopSettings | None, *, link: str | None, token: str | None
    ) -> Receipt:
        moved = await self.receipts.move(
            draft,
            ReceiptStatus.AWAITING,
            EventSource.USER,
            changes=ReceiptChanges(link=link, invoice_token=token),
            shop=shop,
        )
        if moved is None:  # a callback got there first (it was paid meanwhile)
            current = await self.repo.get(draft.id)
            return current or draft
        return moved

    async def shown(self, result: IssueResult, chat_id: int, *, delivered: bool) -> None:
        """The person was shown the outcome, or showing it failed: then the outbox shows it
        to them later. Either way the lease is released."""
        if result.lease is None:
            return
        notices = [] if delivered else [notify_job(chat_id, NotificationKind.OUTCOME)]
        await self.leases.release(result.lease, notices)

    async def confirmed(self, member: Member, key: str) -> Receipt | None:
        """The receipt a Confirm with this key made (or is making), if any."""
        receipt = await self.repo.by_idempotency_key(f"{member.user_id}:{key}")
        if receipt is None or not can_access(member, receipt):
            return None
        return receipt

    async def being_made(self, member: Member) -> list[Receipt]:
        """This person's invoices whose outcome they have not been shown yet."""
        leased = await self.repo.leased_receipts(5, cashier_id=member.user_id)
        return [r for r in leased if r.shop_id == member.shop_id]

    async def send_sms(
        self, receipt: Receipt, text: str | None = None, *, shop: ShopSettings | None = None
    ) -> str | None:
        """See InvoiceSms.send."""
        return await self.sms.send(receipt, text, shop=shop)


__all__ = ["InvoiceService", "NoKeys"]
