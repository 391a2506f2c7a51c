"""Helpers shared by the payment-tracking tests: a shop with keys, receipts in any state,
signed LiqPay callbacks, a stand-in for LiqPay's API over aioresponses, and the
notification and status-check jobs as the store's job queue holds them."""

from __future__ import annotations

import inspect
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
from aioresponses import CallbackResult, aioresponses

from services.core.clock import Clock
from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayClient
from services.liqpay.signing import decode_data, encode_data, sign, verify
from services.notifications.jobs import NOTIFY, OutboxSignal
from services.payments.polling import CHECK, first_check
from services.receipts.state import ReceiptService
from storage.models.jobs import JobState
from storage.models.receipts import Channel, EventSource, NewDraft, Receipt, ReceiptStatus
from storage.models.settings import SettingsChanges
from storage.protocols.store import Store

OWNER_ID = 1001
CASHIER_ID = 2002
PUBLIC_KEY = "sandbox_i123"
PRIVATE_KEY = "priv-key"
API_URL = "https://lp.test/api/"
REQUEST_URL = API_URL + "request"
AMOUNT = 25050  # kopecks: 250.50 UAH
NOT_FOUND = {
    "result": "error",
    "status": "error",
    "err_code": "payment_not_found",
    "err_description": "payment not found",
}

S = ReceiptStatus


@dataclass(frozen=True)
class Shop:
    shop_id: int
    owner_id: int
    cashier_id: int


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
        draft, created, [first_check()], issuing_until=issuing_until
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


def make_service(
    store: Store,
    session: aiohttp.ClientSession,
    box: SecretBox,
    clock: Clock,
    signal: OutboxSignal | None = None,
) -> ReceiptService:
    client = LiqPayClient(session, API_URL, retry_delay=0)
    return ReceiptService(
        store.receipts, store.settings, store.shops, client, box, signal or OutboxSignal(), clock
    )


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


async def outbox_rows(store: Store, receipt_id: int | None = None) -> list[dict[str, Any]]:
    """The notification jobs (of one receipt), oldest first, as plain dicts."""
    return [
        {
            "id": job.id,
            "chat_id": job.payload["chat_id"],
            "kind": job.payload["kind"],
            "receipt_id": job.receipt_id,
            "state": job.state.value,
            "attempts": job.attempts,
            "last_error": job.last_error,
            "run_at": job.run_at,
            "finished_at": job.finished_at,
        }
        for job in await store.jobs.find(kind=NOTIFY, receipt_id=receipt_id)
    ]


async def next_check_at(store: Store, receipt_id: int) -> datetime:
    """When the receipt's status-check job is due next."""
    [job] = await store.jobs.find(kind=CHECK, receipt_id=receipt_id, state=JobState.PENDING)
    return job.run_at


_NEEDS_STREAM_WRITER = "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters


class MockResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds responses without the `stream_writer` argument aiohttp
    3.14 requires (pnuckowski/aioresponses#289); supply a stand-in that reports no output.
    Older aiohttp does not take the argument at all."""

    def __init__(self, method: str, url: Any, **kwargs: Any) -> None:
        if _NEEDS_STREAM_WRITER:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
        super().__init__(method, url, **kwargs)


def answer(status: int = 200, payload: Any = None, body: str = "") -> CallbackResult:
    content_type = "application/json" if payload is not None else "text/plain"
    return CallbackResult(
        status=status,
        payload=payload,
        body=body,
        content_type=content_type,
        response_class=MockResponse,
    )


@dataclass
class FakeLiqPay:
    """LiqPay's /api/request behind aioresponses. Checks each request's signature, records
    the decoded payloads, answers `status` per order (default: payment_not_found)."""

    mock: aioresponses
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: set[str] = field(default_factory=set)  # actions answered with HTTP 503
    cancel_answer: dict[str, Any] = field(
        default_factory=lambda: {"result": "ok", "invoice_id": 4242}
    )
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.mock.post(REQUEST_URL, callback=self._answer, repeat=True)

    def _answer(self, url: Any, **kwargs: Any) -> CallbackResult:
        form = kwargs["data"]
        payload = verify(PRIVATE_KEY, form["data"], form["signature"])
        assert payload == decode_data(form["data"])
        self.requests.append(payload)
        action = payload["action"]
        if action in self.unavailable:
            return answer(503, body="Service Unavailable")
        if action == "status":
            return answer(payload=self.statuses.get(payload["order_id"], NOT_FOUND))
        if action == "invoice_cancel":
            return answer(payload=self.cancel_answer)
        return answer(400, payload={"result": "error", "err_code": "err_api_action"})

    def actions(self, order_id: str | None = None) -> list[str]:
        return [r["action"] for r in self.requests if order_id is None or r["order_id"] == order_id]

    def paid(self, receipt: Receipt, **overrides: Any) -> None:
        self.statuses[receipt.order_id] = payment_payload(receipt, "success", **overrides)

    def waiting(self, receipt: Receipt, status: str = "invoice_wait") -> None:
        self.statuses[receipt.order_id] = {
            "result": "ok",
            "status": status,
            "order_id": receipt.order_id,
            "amount": receipt.amount / 100,
            "currency": receipt.currency,
        }
