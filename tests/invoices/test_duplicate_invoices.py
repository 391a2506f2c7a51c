"""The rule about a second invoice for the same sale (services/invoices/duplicates.py), on a real
SQLite store: same shop, amount, currency and customer, unpaid, from the last half hour."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.invoices.duplicates import DuplicateCheck, customer_key
from storage.models.receipts import Channel, EventSource, NewDraft, Receipt, ReceiptStatus
from storage.models.shops import Member, Role
from storage.sqlite.store import SqliteStore
from tests.conftest import FakeClock

S = ReceiptStatus
OWNER_ID, CASHIER_ID, OTHER_CASHIER_ID = 1, 2, 3


@pytest.fixture
async def shop(store: SqliteStore, clock: FakeClock) -> int:
    owner = await store.shops.create_shop(OWNER_ID, "Olena", "Coffee", clock())
    return owner.shop_id


def member(shop_id: int, user_id: int) -> Member:
    role = Role.OWNER if user_id == OWNER_ID else Role.CASHIER
    return Member(shop_id, "Coffee", user_id, role, "")


_keys = iter(range(1, 10**6))


async def issue(
    store: SqliteStore,
    clock: FakeClock,
    shop_id: int,
    *,
    channel: Channel = Channel.EMAIL,
    contact: str | None = "crash@example.com",
    amount: int = 12345,
    cashier_id: int = CASHIER_ID,
    status: ReceiptStatus = S.AWAITING,
    lifetime: timedelta = timedelta(hours=1),
) -> Receipt:
    key = f"k{next(_keys)}"
    draft = NewDraft(
        shop_id=shop_id, cashier_id=cashier_id, amount=amount, currency="UAH",
        description="Coffee", channel=channel, contact=contact, idempotency_key=key,
        order_id=f"order-{key}", expires_at=clock() + lifetime,
    )  # fmt: skip
    receipt, _ = await store.receipts.create_draft(draft, clock())
    path = {S.DRAFT: [], S.AWAITING: [S.AWAITING]}.get(status, [S.AWAITING, status])
    for new in path:
        moved = await store.receipts.transition(
            receipt.id, expected=[receipt.status], new=new, source=EventSource.USER, now=clock()
        )
        assert moved is not None
        receipt = moved
    return receipt


async def earlier(
    store: SqliteStore,
    clock: FakeClock,
    shop_id: int,
    *,
    user_id: int = CASHIER_ID,
    channel: Channel = Channel.EMAIL,
    contact: str | None = "crash@example.com",
    amount: int = 12345,
) -> Receipt | None:
    check = DuplicateCheck(store.receipt_queries, clock)
    found = await check.earlier_unpaid(member(shop_id, user_id), amount, "UAH", channel, contact)
    return None if found is None else found.receipt


async def test_an_unpaid_invoice_for_the_same_sale_is_found(
    store: SqliteStore, clock: FakeClock, shop: int
) -> None:
    first = await issue(store, clock, shop)
    clock.advance(minutes=29)
    assert await earlier(store, clock, shop) == first
    assert await earlier(store, clock, shop, contact="Crash@Example.COM") == first
    draft = await issue(store, clock, shop, status=S.DRAFT)  # LiqPay may have it: it counts
    assert await earlier(store, clock, shop) == draft


async def test_nothing_when_anything_differs(
    store: SqliteStore, clock: FakeClock, shop: int
) -> None:
    other_shop = (await store.shops.create_shop(9, "Ira", "Tea", clock())).shop_id
    await issue(store, clock, other_shop)
    for status in (S.PAID, S.CANCELLED, S.EXPIRED, S.FAILED):
        await issue(store, clock, shop, status=status)
    await issue(store, clock, shop, contact=None, channel=Channel.LINK)
    assert await earlier(store, clock, shop) is None
    await issue(store, clock, shop)
    assert await earlier(store, clock, shop, amount=12346) is None
    assert await earlier(store, clock, shop, contact="other@example.com") is None
    assert await earlier(store, clock, shop, channel=Channel.LINK, contact=None) is None
    assert await earlier(store, clock, other_shop, user_id=9) is not None
    clock.advance(minutes=30, seconds=1)
    assert await earlier(store, clock, shop) is None


async def test_an_invoice_past_its_expiry_is_not_waiting(
    store: SqliteStore, clock: FakeClock, shop: int
) -> None:
    receipt = await issue(store, clock, shop, lifetime=timedelta(minutes=10))
    clock.advance(minutes=9)
    assert await earlier(store, clock, shop) == receipt
    clock.advance(minutes=1)  # still "awaiting" until the poller sees it, but not payable
    assert await earlier(store, clock, shop) is None


async def test_phones_are_one_customer_by_sms_and_privat24(
    store: SqliteStore, clock: FakeClock, shop: int
) -> None:
    sms = await issue(store, clock, shop, channel=Channel.SMS, contact="380501234567")
    found = await earlier(store, clock, shop, channel=Channel.PRIVAT24, contact="050 123 45 67")
    assert found == sms
    assert customer_key(Channel.EMAIL, "380501234567") != customer_key(Channel.SMS, "380501234567")


async def test_another_cashiers_invoice_counts_but_stays_theirs(
    store: SqliteStore, clock: FakeClock, shop: int
) -> None:
    theirs = await issue(store, clock, shop, cashier_id=OTHER_CASHIER_ID)
    check = DuplicateCheck(store.receipt_queries, clock)
    found = await check.earlier_unpaid(
        member(shop, CASHIER_ID), 12345, "UAH", Channel.EMAIL, "crash@example.com"
    )
    assert found is not None and found.receipt == theirs and not found.visible
    by_owner = await check.earlier_unpaid(
        member(shop, OWNER_ID), 12345, "UAH", Channel.EMAIL, "crash@example.com"
    )
    assert by_owner is not None and by_owner.visible
    mine = await issue(store, clock, shop)
    newer = await issue(store, clock, shop, cashier_id=OTHER_CASHIER_ID)
    found = await check.earlier_unpaid(
        member(shop, CASHIER_ID), 12345, "UAH", Channel.EMAIL, "crash@example.com"
    )
    assert found is not None and found.receipt == mine and found.visible  # theirs is newer
    assert newer.id > mine.id
