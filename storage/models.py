"""Typed rows the store hands to services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    CASHIER = "cashier"


class ReceiptStatus(StrEnum):
    DRAFT = "draft"  # order id reserved, LiqPay not yet confirmed the invoice
    AWAITING = "awaiting"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class Channel(StrEnum):
    EMAIL = "email"
    PRIVAT24 = "privat24"
    SMS = "sms"
    LINK = "link"


class EventSource(StrEnum):
    CALLBACK = "callback"
    POLL = "poll"
    USER = "user"


@dataclass(frozen=True)
class Member:
    shop_id: int
    shop_name: str
    user_id: int
    role: Role
    name: str

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER


@dataclass(frozen=True)
class ShopSettings:
    shop_id: int
    public_key: str | None
    private_key_enc: bytes | None
    api_version: int
    invoice_lifetime: int  # seconds
    currency: str
    sms_token_enc: bytes | None
    sms_sender: str | None

    @property
    def has_keys(self) -> bool:
        return bool(self.public_key and self.private_key_enc)

    @property
    def has_sms(self) -> bool:
        return bool(self.sms_token_enc and self.sms_sender)


@dataclass(frozen=True)
class Receipt:
    id: int
    shop_id: int
    number: int
    cashier_id: int
    amount: int  # kopecks
    currency: str
    description: str
    channel: Channel
    contact: str | None
    order_id: str
    public_key: str | None
    link: str | None
    invoice_token: str | None
    status: ReceiptStatus
    liqpay_status: str | None
    flagged: str | None
    expires_at: datetime
    created_at: datetime
    paid_at: datetime | None
    payment_id: str | None
    card_mask: str | None
    card_chat_id: int | None
    card_message_id: int | None
    last_checked_at: datetime | None
    issuing_until: datetime | None = None  # the issuing lease (see services/invoices.py)


@dataclass(frozen=True)
class ReceiptEvent:
    receipt_id: int
    at: datetime
    source: EventSource
    from_status: ReceiptStatus | None
    to_status: ReceiptStatus
    liqpay_status: str | None
    detail: str | None


class InviteOutcome(StrEnum):
    JOINED = "joined"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_MEMBER = "already_member"


@dataclass(frozen=True)
class NewNotification:
    chat_id: int
    kind: str


@dataclass(frozen=True)
class OutboxItem:
    id: int
    chat_id: int
    receipt_id: int
    kind: str
    attempts: int
    created_at: datetime
