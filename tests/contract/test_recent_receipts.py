"""Contract: the shop's recent receipts of one amount (what a warning about a second invoice
for the same sale is looked up in)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storage.models.receipts import Channel, EventSource, Receipt, ReceiptStatus
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import new_draft

S = ReceiptStatus
PENDING = [S.AWAITING, S.DRAFT]


async def issue(
    store: Store,
    clock: FakeClock,
    shop_id: int,
    key: str,
    *,
    amount: int = 12345,
    currency: str = "UAH",
    contact: str | None = "crash@example.com",
    status: ReceiptStatus = S.AWAITING,
    cashier_id: int = 1,
) -> Receipt:
    draft = replace(
        new_draft(shop_id, clock, key=key, cashier_id=cashier_id, amount=amount),
        currency=currency,
        contact=contact,
        channel=Channel.EMAIL if contact else Channel.LINK,
    )
    receipt, created = await store.receipts.create_draft(draft, clock())
    assert created
    path = {S.AWAITING: [S.AWAITING], S.PAID: [S.AWAITING, S.PAID]}.get(status, [])
    if status in (S.CANCELLED, S.EXPIRED):
        path = [S.AWAITING, status]
    for new in path:
        moved = await store.receipts.transition(
            receipt.id, expected=[receipt.status], new=new, source=EventSource.USER, now=clock()
        )
        assert moved is not None
        receipt = moved
    return receipt


async def recent(store: Store, clock: FakeClock, shop_id: int, currency: str = "UAH") -> list[int]:
    found = await store.receipt_queries.recent_with_amount(
        shop_id,
        12345,
        currency,
        statuses=PENDING,
        created_since=clock() - timedelta(minutes=30),
        expires_after=clock(),
    )
    return [r.id for r in found]


async def test_recent_receipts_of_one_amount_newest_first(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock, owner_id=1)).shop_id
    other_shop = (await make_owner(store, clock, owner_id=2)).shop_id
    old = await issue(store, clock, shop, "old")
    clock.advance(minutes=31)  # `old` is out of the window from here on
    elsewhere = await issue(store, clock, other_shop, "other-shop")
    await issue(store, clock, shop, "other-amount", amount=12346)
    await issue(store, clock, shop, "other-currency", currency="USD")
    for final in (S.PAID, S.CANCELLED, S.EXPIRED):
        await issue(store, clock, shop, f"closed-{final}", status=final)
    first = await issue(store, clock, shop, "first", cashier_id=7)
    draft = await issue(store, clock, shop, "draft", status=S.DRAFT, contact="x@example.com")
    link = await issue(store, clock, shop, "link", contact=None)

    # every contact and every cashier of the shop: the rule about them is the service's
    assert await recent(store, clock, shop) == [link.id, draft.id, first.id]
    assert len(await recent(store, clock, shop, currency="USD")) == 1
    assert await recent(store, clock, other_shop) == [elsewhere.id]
    assert old.id not in await recent(store, clock, shop)

    # one created exactly at the window's start is in it; one past its expiry is not
    clock.advance(minutes=30)
    assert await recent(store, clock, shop) == [link.id, draft.id, first.id]
    clock.advance(seconds=1)
    assert await recent(store, clock, shop) == []


async def test_an_expired_unpaid_receipt_is_not_recent(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock)).shop_id
    receipt = await issue(store, clock, shop, "short")
    found = await store.receipt_queries.recent_with_amount(
        shop,
        12345,
        "UAH",
        statuses=PENDING,
        created_since=clock() - timedelta(minutes=30),
        expires_after=receipt.expires_at,  # awaiting still, but not payable any more
    )
    assert found == []


async def test_the_limit_keeps_the_newest(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock)).shop_id
    made = [await issue(store, clock, shop, f"n{n}") for n in range(3)]
    found = await store.receipt_queries.recent_with_amount(
        shop,
        12345,
        "UAH",
        statuses=PENDING,
        created_since=clock() - timedelta(minutes=30),
        expires_after=clock(),
        limit=2,
    )
    assert [r.id for r in found] == [made[2].id, made[1].id]
    assert (
        await store.receipt_queries.recent_with_amount(
            shop, 12345, "UAH", statuses=[], created_since=clock(), expires_after=clock()
        )
        == []
    )
