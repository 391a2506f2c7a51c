"""Contract: the receipts' registry searched, filtered and read page by page (keyset), as the
Mini App's list reads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from storage.models.fiscal import FiscalState
from storage.models.lines import SaleLine
from storage.models.receipt_search import ReceiptSearch
from storage.models.receipts import Channel, EventSource, Receipt, ReceiptChanges, ReceiptStatus
from storage.models.refunds import NewRefund, RefundState
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import new_draft

S = ReceiptStatus


async def issue(
    store: Store,
    clock: FakeClock,
    shop_id: int,
    key: str,
    *,
    amount: int = 10000,
    contact: str | None = "buyer@example.com",
    description: str = "Coffee",
    paid: bool = False,
    cashier_id: int = 1,
    lines: tuple[SaleLine, ...] = (),
) -> Receipt:
    draft = replace(
        new_draft(shop_id, clock, key=key, cashier_id=cashier_id, amount=amount),
        contact=contact,
        description=description,
        channel=Channel.EMAIL if contact else Channel.LINK,
    )
    receipt, _ = await store.receipts.create_draft(draft, clock(), lines=lines)
    moved = await store.receipts.transition(
        receipt.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=clock()
    )
    assert moved is not None
    if paid:
        moved = await store.receipts.transition(
            receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK,
            now=clock(),
            changes=ReceiptChanges(paid_at=clock(), fiscal_state=FiscalState.NOT_REGISTERED),
        )  # fmt: skip
        assert moved is not None
    return moved


async def ids(store: Store, query: ReceiptSearch) -> list[int]:
    return [r.id for r in await store.receipt_queries.search(query)]


async def test_pages_newest_first_by_keyset_of_one_shop(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock, owner_id=1)).shop_id
    other = (await make_owner(store, clock, owner_id=2)).shop_id
    made = [(await issue(store, clock, shop, f"p{i}")).id for i in range(5)]
    await issue(store, clock, other, "elsewhere")
    first = await ids(store, ReceiptSearch(shop, limit=2))
    assert first == made[::-1][:2]
    second = await ids(store, ReceiptSearch(shop, limit=2, before_id=first[-1]))
    assert second == made[::-1][2:4]
    last = await ids(store, ReceiptSearch(shop, limit=2, before_id=second[-1]))
    assert last == made[:1]
    assert await ids(store, ReceiptSearch(shop, limit=2, before_id=last[-1])) == []


async def test_filters_all_hold(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock, owner_id=1)).shop_id
    early = await issue(store, clock, shop, "early", paid=True)
    clock.advance(days=2)
    paid = await issue(store, clock, shop, "paid", paid=True, cashier_id=7)
    awaiting = await issue(store, clock, shop, "awaiting", cashier_id=7)
    link = await issue(store, clock, shop, "link", contact=None)
    assert await ids(store, ReceiptSearch(shop, statuses=(S.PAID,))) == [paid.id, early.id]
    assert await ids(store, ReceiptSearch(shop, cashier_id=7)) == [awaiting.id, paid.id]
    assert await ids(store, ReceiptSearch(shop, channels=(Channel.LINK,))) == [link.id]
    not_registered = ReceiptSearch(shop, fiscal_states=(FiscalState.NOT_REGISTERED,))
    assert await ids(store, not_registered) == [paid.id, early.id]
    since = ReceiptSearch(shop, created_from=clock() - timedelta(days=1))
    assert await ids(store, since) == [link.id, awaiting.id, paid.id]
    until = ReceiptSearch(shop, created_until=clock() - timedelta(days=1))
    assert await ids(store, until) == [early.id]
    both = ReceiptSearch(shop, statuses=(S.PAID,), cashier_id=7)
    assert await ids(store, both) == [paid.id]


async def test_search_terms_match_any(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock, owner_id=1)).shop_id
    amount = await issue(store, clock, shop, "a", amount=125000, contact="x@example.com")
    phone = await issue(store, clock, shop, "b", contact="+380501234567")
    text = await issue(store, clock, shop, "c", description="Букет 50% знижка_1")
    assert await ids(store, ReceiptSearch(shop, amount=125000)) == [amount.id]
    assert await ids(store, ReceiptSearch(shop, text="0501234")) == [phone.id]
    assert await ids(store, ReceiptSearch(shop, text="X@EXAMPLE")) == [amount.id]
    assert await ids(store, ReceiptSearch(shop, text="Букет")) == [text.id]
    # LIKE's wildcards are taken literally
    assert await ids(store, ReceiptSearch(shop, text="50%")) == [text.id]
    assert await ids(store, ReceiptSearch(shop, text="5_%")) == []
    assert await ids(store, ReceiptSearch(shop, text="ка_1")) == [text.id]
    by_number = await ids(store, ReceiptSearch(shop, number=phone.number))
    assert by_number == [phone.id]
    either = ReceiptSearch(shop, number=phone.number, amount=125000)
    assert await ids(store, either) == [phone.id, amount.id]
    # a term and a filter: the filter still holds
    assert await ids(store, ReceiptSearch(shop, amount=125000, statuses=(S.PAID,))) == []


async def test_refunds_in_flight(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock, owner_id=1)).shop_id
    refunding = await issue(store, clock, shop, "r1", paid=True)
    settled = await issue(store, clock, shop, "r2", paid=True)
    await issue(store, clock, shop, "r3", paid=True)
    reserved = []
    for receipt, key in ((refunding, "k-in-flight"), (settled, "k-done")):
        refund, created = await store.refunds.reserve(
            NewRefund(receipt.id, 100, key, 1, 0), clock()
        )
        assert created and refund is not None
        reserved.append(refund)
    done = await store.refunds.move(
        reserved[1].id, expected=[RefundState.RESERVED], new=RefundState.DONE, now=clock()
    )
    assert done is not None
    assert await ids(store, ReceiptSearch(shop, refunding=True)) == [refunding.id]
    await store.refunds.move(
        reserved[0].id, expected=[RefundState.RESERVED], new=RefundState.SENT, now=clock()
    )
    assert await ids(store, ReceiptSearch(shop, refunding=True)) == [refunding.id]
    other = (await make_owner(store, clock, owner_id=2)).shop_id
    assert await ids(store, ReceiptSearch(other, refunding=True)) == []


def goods(name: str, price: int = 5000, quantity: int = 2000) -> SaleLine:
    code = "C" + str(len(name))
    return SaleLine(code=code, name=name, unit="piece", quantity=quantity, price=price)


async def test_text_matches_a_goods_line_name(store: Store, clock: FakeClock) -> None:
    shop = (await make_owner(store, clock, owner_id=1)).shop_id
    other = (await make_owner(store, clock, owner_id=2)).shop_id
    basket = (goods("Еспресо"), goods("Круасан 10%_x"))
    sold = await issue(store, clock, shop, "a", amount=20000, lines=basket)
    beans = await issue(store, clock, shop, "b", description="Espresso beans")
    await issue(store, clock, other, "c", amount=20000, lines=basket)  # another shop's
    assert await ids(store, ReceiptSearch(shop, text="Еспресо")) == [sold.id]
    assert await ids(store, ReceiptSearch(shop, text="Круасан 10%_")) == [sold.id]
    assert await ids(store, ReceiptSearch(shop, text="Круасан 1_")) == []  # literal _
    assert await ids(store, ReceiptSearch(shop, text="Espresso")) == [beans.id]
    # with a filter: it still holds
    assert await ids(store, ReceiptSearch(shop, text="Еспресо", statuses=(S.PAID,))) == []
