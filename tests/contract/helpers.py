"""Small builders the contract tests share; they use only the protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from storage.models.jobs import NewJob
from storage.models.receipts import (
    Channel,
    EventSource,
    NewDraft,
    NumberedText,
    Receipt,
    ReceiptStatus,
)
from storage.protocols.store import Store

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
S = ReceiptStatus


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_draft(
    shop_id: int,
    key: str,
    *,
    cashier_id: int = 1,
    amount: int = 25050,
    order_id: str | None = None,
    public_key: str | None = None,
) -> NewDraft:
    return NewDraft(
        shop_id=shop_id,
        cashier_id=cashier_id,
        amount=amount,
        currency="UAH",
        description=NumberedText("Receipt No {number}"),
        channel=Channel.LINK,
        contact=None,
        idempotency_key=key,
        order_id=order_id or f"order-{key}",
        expires_at=T0 + timedelta(days=1),
        public_key=public_key,
    )


async def make_draft(
    store: Store,
    shop_id: int,
    key: str,
    *,
    now: datetime = T0,
    jobs: Sequence[NewJob] = (),
    cashier_id: int = 1,
) -> Receipt:
    receipt, created = await store.receipts.create_draft(
        new_draft(shop_id, key, cashier_id=cashier_id), now, jobs
    )
    assert created
    return receipt


async def make_awaiting(store: Store, shop_id: int, key: str, *, cashier_id: int = 1) -> Receipt:
    draft = await make_draft(store, shop_id, key, cashier_id=cashier_id)
    moved = await store.receipts.transition(
        draft.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=T0
    )
    assert moved is not None
    return moved
