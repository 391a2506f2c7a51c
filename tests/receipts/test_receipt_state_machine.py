"""The receipt state machine: allowed moves, and cancel() against LiqPay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses

from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayUnavailable
from services.notifications.jobs import NotificationKind
from services.receipts.state import ReceiptService
from services.receipts.transitions import ALLOWED, sources_of
from storage.models.receipts import Channel, EventSource, Receipt, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.builders import PUBLIC_KEY, Shop, make_receipt, make_shop
from tests.conftest import FakeClock
from tests.doubles.liqpay_mock import MockedLiqPay
from tests.payment_fixtures import make_service, outbox_rows

S = ReceiptStatus


@dataclass
class Env:
    store: SqliteStore
    receipts: ReceiptService
    liqpay: MockedLiqPay
    shop: Shop
    clock: FakeClock
    db_path: Path

    async def receipt(self, **kwargs: object) -> Receipt:
        return await make_receipt(self.store, self.shop, self.clock(), **kwargs)  # type: ignore[arg-type]

    async def reload(self, receipt: Receipt) -> Receipt:
        found = await self.store.receipts.get(receipt.id)
        assert found is not None
        return found


@pytest.fixture
async def env(
    store: SqliteStore, box: SecretBox, clock: FakeClock, db_path: Path
) -> AsyncIterator[Env]:
    shop = await make_shop(store, box, clock())
    with aioresponses() as mock:
        async with aiohttp.ClientSession() as session:
            receipts = make_service(store, session, box, clock)
            yield Env(store, receipts, MockedLiqPay(mock), shop, clock, db_path)


# the design


def test_allowed_matches_the_design() -> None:
    assert ALLOWED == {
        S.DRAFT: {S.AWAITING, S.PAID},
        S.AWAITING: {S.PAID, S.FAILED, S.EXPIRED, S.CANCELLED},
        S.PAID: {S.REFUNDED},
        S.FAILED: {S.PAID},
        S.EXPIRED: {S.PAID},
        S.CANCELLED: {S.PAID},
        S.REFUNDED: set(),
    }
    assert set(ALLOWED) == set(ReceiptStatus)


def test_sources_of_inverts_allowed() -> None:
    assert set(sources_of(S.PAID)) == {S.DRAFT, S.AWAITING, S.FAILED, S.EXPIRED, S.CANCELLED}
    assert sources_of(S.REFUNDED) == [S.PAID]
    assert sources_of(S.AWAITING) == [S.DRAFT]
    assert sources_of(S.DRAFT) == []


async def test_allowed_move_writes_event_and_notifications(env: Env) -> None:
    receipt = await env.receipt()
    moved = await env.receipts.move(
        receipt, S.FAILED, EventSource.POLL, notify=NotificationKind.FAILED, liqpay_status="failure"
    )
    assert moved is not None
    assert moved.status is S.FAILED
    assert moved.liqpay_status == "failure"
    last = (await env.store.receipt_queries.events(receipt.id))[-1]
    assert (last.from_status, last.to_status, last.source, last.liqpay_status) == (
        S.AWAITING,
        S.FAILED,
        EventSource.POLL,
        "failure",
    )
    rows = await outbox_rows(env.store, receipt.id)
    assert {(r["chat_id"], r["kind"]) for r in rows} == {
        (env.shop.cashier_id, "failed"),
        (env.shop.owner_id, "failed"),
    }


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.AWAITING, S.REFUNDED),
        (S.AWAITING, S.AWAITING),
        (S.PAID, S.AWAITING),
        (S.PAID, S.CANCELLED),
        (S.PAID, S.EXPIRED),
        (S.PAID, S.FAILED),
        (S.REFUNDED, S.PAID),
        (S.CANCELLED, S.AWAITING),
        (S.EXPIRED, S.CANCELLED),
        (S.FAILED, S.EXPIRED),
        (S.DRAFT, S.CANCELLED),
    ],
)
async def test_disallowed_move_returns_none_and_writes_nothing(
    env: Env, start: ReceiptStatus, target: ReceiptStatus
) -> None:
    receipt = await env.receipt(status=start)
    events = await env.store.receipt_queries.events(receipt.id)
    outbox = await outbox_rows(env.store)

    moved = await env.receipts.move(receipt, target, EventSource.USER, notify=NotificationKind.PAID)

    assert moved is None
    assert (await env.reload(receipt)).status is start
    assert await env.store.receipt_queries.events(receipt.id) == events
    assert await outbox_rows(env.store) == outbox


async def test_stale_receipt_object_cannot_move_twice(env: Env) -> None:
    """The move is a compare-and-set on the stored status, not on the caller's copy."""
    receipt = await env.receipt()
    assert await env.receipts.move(receipt, S.CANCELLED, EventSource.USER) is not None
    assert await env.receipts.move(receipt, S.EXPIRED, EventSource.POLL) is None
    assert (await env.reload(receipt)).status is S.CANCELLED
    assert [e.to_status for e in await env.store.receipt_queries.events(receipt.id)] == [
        S.AWAITING,
        S.CANCELLED,
    ]


# cancel()


async def test_cancel_asks_status_first_and_keeps_a_paid_receipt(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL)
    env.liqpay.paid(receipt)

    result = await env.receipts.cancel(receipt)

    assert result.status is S.PAID
    assert (await env.reload(receipt)).status is S.PAID
    assert env.liqpay.actions() == ["status"]
    assert S.CANCELLED not in [
        e.to_status for e in await env.store.receipt_queries.events(receipt.id)
    ]


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.PRIVAT24])
async def test_cancel_withdraws_a_liqpay_invoice(env: Env, channel: Channel) -> None:
    receipt = await env.receipt(channel=channel)
    env.liqpay.waiting(receipt)

    result = await env.receipts.cancel(receipt)

    assert result.status is S.CANCELLED
    assert (await env.reload(receipt)).status is S.CANCELLED
    assert env.liqpay.actions() == ["status", "invoice_cancel"]
    sent = env.liqpay.requests[1]
    assert sent == {
        "version": 3,
        "public_key": PUBLIC_KEY,
        "action": "invoice_cancel",
        "order_id": receipt.order_id,
    }
    last = (await env.store.receipt_queries.events(receipt.id))[-1]
    assert (last.from_status, last.to_status, last.source) == (
        S.AWAITING,
        S.CANCELLED,
        EventSource.USER,
    )


@pytest.mark.parametrize("channel", [Channel.LINK, Channel.SMS])
async def test_cancel_of_a_link_receipt_sends_no_invoice_cancel(env: Env, channel: Channel) -> None:
    receipt = await env.receipt(channel=channel)  # LiqPay has not seen the link opened

    result = await env.receipts.cancel(receipt)

    assert result.status is S.CANCELLED
    assert env.liqpay.actions() == ["status"]


async def test_cancel_when_liqpay_is_unavailable_changes_nothing(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL)
    env.liqpay.unavailable.add("status")
    events = await env.store.receipt_queries.events(receipt.id)

    with pytest.raises(LiqPayUnavailable):
        await env.receipts.cancel(receipt)

    assert (await env.reload(receipt)).status is S.AWAITING
    assert await env.store.receipt_queries.events(receipt.id) == events
    assert "invoice_cancel" not in env.liqpay.actions()
    assert env.liqpay.actions() == ["status"] * 3  # status is retried, then given up


async def test_cancel_when_invoice_cancel_is_unavailable_changes_nothing(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.PRIVAT24)
    env.liqpay.waiting(receipt)
    env.liqpay.unavailable.add("invoice_cancel")
    events = await env.store.receipt_queries.events(receipt.id)

    with pytest.raises(LiqPayUnavailable):
        await env.receipts.cancel(receipt)

    assert (await env.reload(receipt)).status is S.AWAITING
    assert await env.store.receipt_queries.events(receipt.id) == events
    assert env.liqpay.actions() == ["status", "invoice_cancel"]  # never retried blindly


async def test_cancel_when_liqpay_refuses_invoice_cancel_still_cancels(env: Env) -> None:
    """An invoice LiqPay no longer has can't be paid either: the receipt is cancelled."""
    receipt = await env.receipt(channel=Channel.EMAIL)
    env.liqpay.waiting(receipt)
    env.liqpay.cancel_answer = {"result": "error", "err_code": "err_wrong", "status": "error"}

    result = await env.receipts.cancel(receipt)

    assert result.status is S.CANCELLED
    assert env.liqpay.actions() == ["status", "invoice_cancel"]


async def test_cancel_of_a_receipt_that_already_failed_changes_nothing(env: Env) -> None:
    receipt = await env.receipt(channel=Channel.EMAIL)
    env.liqpay.statuses[receipt.order_id] = {
        "status": "failure",
        "order_id": receipt.order_id,
        "payment_id": 1,
        "err_code": "limit",
    }
    result = await env.receipts.cancel(receipt)
    assert result.status is S.FAILED
    assert env.liqpay.actions() == ["status"]
