"""Builders shared by the tests, straight through the store: a shop with only its owner
(`make_owner`) or with a cashier and sandbox LiqPay keys (`make_shop`), receipts in any state
through real transitions (`make_receipt`) or made up in memory (`receipt_stub`), one whose
invoice the stand-in LiqPay knows (`make_liqpay_invoice`), and what LiqPay sends about a
payment (`payment_payload`, `signed_form`). A shop made through the bot's dialogs:
`make_shop_by_bot` in tests/bot_fixtures.py."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayClient
from services.liqpay.signing import Credentials, encode_data, sign
from services.payments.polling import first_check
from storage.models.lines import SaleLine
from storage.models.receipts import Channel, EventSource, NewDraft, Receipt, ReceiptStatus
from storage.models.settings import SettingsChanges
from storage.models.shops import Member
from storage.protocols.store import Store

S = ReceiptStatus
SHOP_CREATED = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

OWNER_ID = 1001
CASHIER_ID = 2002
PUBLIC_KEY = "sandbox_i123"
PRIVATE_KEY = "priv-key"
AMOUNT = 25050  # kopecks: 250.50 UAH


@dataclass(frozen=True)
class Shop:
    shop_id: int
    owner_id: int
    cashier_id: int


async def make_owner(
    store: Store, when: datetime | Callable[[], datetime] = SHOP_CREATED, owner_id: int = 1
) -> Member:
    """A shop with only its owner (no cashier, no keys): the owner's membership."""
    now = when if isinstance(when, datetime) else when()
    return await store.shops.create_shop(owner_id, f"Owner {owner_id}", f"Shop {owner_id}", now)


async def make_shop(
    store: Store,
    box: SecretBox,
    now: datetime,
    *,
    version: int = 3,
    owner_id: int = OWNER_ID,
    cashier_id: int = CASHIER_ID,
) -> Shop:
    """A shop with its owner, one cashier who joined by invite, and sandbox LiqPay keys."""
    owner = await store.shops.create_shop(owner_id, "Owner", "Shop", now)
    token = f"invite-{uuid.uuid4().hex}"
    await store.shops.create_invite(owner.shop_id, token, owner_id, now, now + timedelta(days=1))
    await store.shops.redeem_invite(token, cashier_id, "Cashier", now)
    await store.settings.save_keys(owner.shop_id, PUBLIC_KEY, box.encrypt(PRIVATE_KEY), True, now)
    if version != 3:
        await store.settings.update(owner.shop_id, SettingsChanges(api_version=version))
    return Shop(owner.shop_id, owner_id, cashier_id)


async def make_receipt(
    store: Store,
    shop: Shop,
    now: datetime,
    *,
    status: ReceiptStatus = S.AWAITING,
    amount: int = AMOUNT,
    currency: str = "UAH",
    channel: Channel = Channel.LINK,
    contact: str | None = None,
    lifetime: timedelta = timedelta(days=1),
    created_at: datetime | None = None,
    issuing_until: datetime | None = None,
    lines: tuple[SaleLine, ...] = (),
) -> Receipt:
    """A receipt of the cashier's, moved from draft to `status` through real transitions,
    with its status-check job as the invoice service makes it (and its issuing lease, when
    given, as its maker left it)."""
    created = created_at or now
    if contact is None and channel is Channel.EMAIL:
        contact = "buyer@example.com"
    if contact is None and channel in (Channel.PRIVAT24, Channel.SMS):
        contact = "380950000001"
    tag = uuid.uuid4().hex[:12]
    draft = NewDraft(
        shop_id=shop.shop_id,
        cashier_id=shop.cashier_id,
        amount=amount,
        currency=currency,
        description="Coffee beans",
        channel=channel,
        contact=contact,
        idempotency_key=f"key-{tag}",
        order_id=f"{shop.shop_id}-{tag}",
        expires_at=created + lifetime,
        public_key=PUBLIC_KEY,
    )
    receipt, _ = await store.receipts.create_draft(
        draft, created, [first_check()], issuing_until=issuing_until, lines=lines
    )
    path = {
        S.DRAFT: [],
        S.AWAITING: [S.AWAITING],
        S.PAID: [S.AWAITING, S.PAID],
        S.FAILED: [S.AWAITING, S.FAILED],
        S.EXPIRED: [S.AWAITING, S.EXPIRED],
        S.CANCELLED: [S.AWAITING, S.CANCELLED],
        S.REFUNDED: [S.AWAITING, S.PAID, S.REFUNDED],
    }[status]
    for step in path:
        moved = await store.receipts.transition(
            receipt.id,
            expected=[receipt.status],
            new=step,
            source=EventSource.USER,
            now=created,
        )
        assert moved is not None
        receipt = moved
    return receipt


async def make_liqpay_invoice(
    store: Store, liqpay: LiqPayClient, shop: Shop, now: datetime, amount: int = AMOUNT
) -> Receipt:
    """An e-mail receipt of `amount` awaiting payment (`make_receipt`), its invoice sent with
    the sandbox keys through `liqpay`: the stand-in LiqPay then knows it and can pay it."""
    receipt = await make_receipt(store, shop, now, channel=Channel.EMAIL, amount=amount)
    await liqpay.invoice_send(
        Credentials(PUBLIC_KEY, SecretStr(PRIVATE_KEY)), order_id=receipt.order_id,
        amount=amount, currency="UAH", description=receipt.description,
        expires_at=now + timedelta(hours=1), email=receipt.contact,
    )  # fmt: skip
    return receipt


def payment_payload(
    receipt: Receipt,
    status: str = "success",
    *,
    amount: Any = 250.5,
    currency: str | None = None,
    version: int = 3,
    public_key: str = PUBLIC_KEY,
    order_id: str | None = None,
    payment_id: int = 987654321,
    card_mask: str = "424242*42",
    end_date: int = 1_795_000_000_000,
) -> dict[str, Any]:
    """What LiqPay sends (or answers to `status`) about a payment for `receipt`."""
    return {
        "version": version,
        "public_key": public_key,
        "action": "pay",
        "status": status,
        "order_id": order_id or receipt.order_id,
        "amount": amount,
        "currency": currency or receipt.currency,
        "payment_id": payment_id,
        "paytype": "card",
        "sender_card_mask2": card_mask,
        "sender_card_bank": "pb",
        "create_date": end_date - 5_000,
        "end_date": end_date,
        "liqpay_order_id": "LQ" + (order_id or receipt.order_id),
    }


def signed_form(
    payload: dict[str, Any], private_key: str = PRIVATE_KEY, version: int | None = None
) -> dict[str, str]:
    """The form LiqPay POSTs: base64 JSON `data` and its signature (by the payload's version
    unless `version` forces another hash)."""
    data = encode_data(payload)
    hash_version = version if version is not None else int(payload.get("version", 3))
    return {"data": data, "signature": sign(private_key, data, hash_version)}


def receipt_stub(*, created: object, expires: object) -> Receipt:
    """A receipt made up in memory, for code that only reads its fields."""
    return Receipt(
        id=1,
        shop_id=1,
        number=1,
        cashier_id=1,
        amount=100,
        currency="UAH",
        description="x",
        channel=Channel.LINK,
        contact=None,
        order_id="1-x",
        public_key="sandbox_i123",
        link=None,
        invoice_token=None,
        status=S.AWAITING,
        liqpay_status=None,
        flagged=None,
        expires_at=expires,  # type: ignore[arg-type]
        created_at=created,  # type: ignore[arg-type]
        paid_at=None,
        payment_id=None,
        card_mask=None,
        card_chat_id=None,
        card_message_id=None,
    )
