"""Issuing an invoice: a draft receipt first (its order id reserved), then LiqPay.

A LiqPay refusal removes the draft. LiqPay being unreachable keeps it, so a retry reuses the
same order id: LiqPay itself then refuses a second invoice for it, and we never make two.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from services.liqpay import Credentials, LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.money import format_amount
from services.polling import first_check
from services.receipts import NoKeys, ReceiptService
from services.settings import Settings
from services.sms import SmsError, TurboSmsClient
from storage.models import (
    Channel,
    EventSource,
    NewDraft,
    NumberedText,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)

log = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class IssueResult:
    receipt: Receipt
    sms_error: str | None = None
    in_progress: bool = False  # another tap is making this very invoice right now


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


class InvoiceNotConfirmed(Exception):
    """LiqPay did not answer the invoice request; the draft keeps its order id for a retry."""

    def __init__(self, receipt: Receipt) -> None:
        super().__init__(f"receipt {receipt.id} not confirmed by LiqPay")
        self.receipt = receipt


class InvoiceService:
    def __init__(
        self,
        receipts: ReceiptService,
        settings: Settings,
        sms: TurboSmsClient,
        default_description: str = "Payment for receipt No {number}",
    ) -> None:
        self.receipts = receipts
        self.repo = receipts.repo
        self.shop_settings = receipts.shop_settings
        self.liqpay = receipts.liqpay
        self.settings = settings
        self.sms = sms
        self.default_description = default_description
        self._in_flight: set[int] = set()

    async def issue(self, request: InvoiceRequest) -> IssueResult:
        """Make the invoice. The same idempotency key never makes a second receipt.
        Raises NoKeys, SmsNotConfigured, CurrencyChanged, InvoiceRefused or
        InvoiceNotConfirmed."""
        creds = await self.receipts.require_credentials(request.shop_id)
        shop = await self.shop_settings.get(request.shop_id)
        if request.channel is Channel.SMS and not shop.has_sms:
            raise SmsNotConfigured
        if request.currency is not None and request.currency != shop.currency:
            raise CurrencyChanged(shop.currency)
        now = self.receipts.clock()
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
        receipt, created = await self.repo.create_draft(draft, now, [first_check()])
        if not created:  # a second tap on the same Confirm: the first one is handling it
            return IssueResult(receipt, in_progress=receipt.status is ReceiptStatus.DRAFT)
        return await self._complete(receipt, creds, request.language, ask_first=False)

    async def retry(self, receipt: Receipt, language: str = "uk") -> IssueResult:
        """Finish a draft left by an outage, with the same order id."""
        if receipt.status is not ReceiptStatus.DRAFT:
            return IssueResult(receipt)
        creds = await self.receipts.credentials_for(receipt)
        return await self._complete(receipt, creds, language, ask_first=True)

    async def _complete(
        self, draft: Receipt, creds: Credentials, language: str, *, ask_first: bool
    ) -> IssueResult:
        if draft.id in self._in_flight:
            return IssueResult(draft, in_progress=True)
        self._in_flight.add(draft.id)
        try:
            if draft.channel in (Channel.EMAIL, Channel.PRIVAT24):
                receipt = await self._send_invoice(draft, creds, language, ask_first=ask_first)
                return IssueResult(receipt)
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
            receipt = await self._activate(draft, link=link, token=None)
        finally:
            self._in_flight.discard(draft.id)
        sms_error = await self.send_sms(receipt) if draft.channel is Channel.SMS else None
        return IssueResult(receipt, sms_error=sms_error)

    async def _send_invoice(
        self, draft: Receipt, creds: Credentials, language: str, *, ask_first: bool
    ) -> Receipt:
        if ask_first and await self._known_to_liqpay(draft, creds):
            return await self._activate(draft, link=None, token=None)
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
            )
        except LiqPayUnavailable as exc:
            raise InvoiceNotConfirmed(draft) from exc
        except LiqPayRefused as exc:
            if exc.err_code == "order_id_duplicate":
                return await self._activate(draft, link=None, token=None)
            await self.repo.delete_draft(draft.id)
            raise InvoiceRefused(exc.err_code, exc.err_description) from exc
        return await self._activate(draft, link=answer.href, token=answer.token)

    async def _known_to_liqpay(self, draft: Receipt, creds: Credentials) -> bool:
        """After an outage: did the first attempt reach LiqPay after all?"""
        try:
            await self.liqpay.status(creds, draft.order_id)
        except PaymentNotFound:
            return False
        except LiqPayUnavailable as exc:
            raise InvoiceNotConfirmed(draft) from exc
        return True

    async def _activate(self, draft: Receipt, *, link: str | None, token: str | None) -> Receipt:
        moved = await self.receipts.move(
            draft,
            ReceiptStatus.AWAITING,
            EventSource.USER,
            changes=ReceiptChanges(link=link, invoice_token=token),
        )
        if moved is None:  # a callback got there first (it was paid meanwhile)
            current = await self.repo.get(draft.id)
            return current or draft
        return moved

    async def send_sms(self, receipt: Receipt) -> str | None:
        """Send the payment link by SMS; returns why it failed, or None when sent."""
        shop = await self.shop_settings.get(receipt.shop_id)
        if not shop.sms_token_enc or not shop.sms_sender or not receipt.link or not receipt.contact:
            return "not_configured"
        token = self.receipts.box.decrypt(shop.sms_token_enc)
        text = f"{format_amount(receipt.amount, receipt.currency)}: {receipt.link}"
        try:
            await self.sms.send(token, shop.sms_sender, receipt.contact, text)
        except SmsError as exc:
            log.warning("SMS for receipt %s not sent: %s", receipt.id, exc.reason)
            return exc.reason
        return None


__all__ = [
    "CurrencyChanged",
    "InvoiceNotConfirmed",
    "InvoiceRefused",
    "InvoiceRequest",
    "InvoiceService",
    "IssueResult",
    "NoKeys",
    "SmsNotConfigured",
]
