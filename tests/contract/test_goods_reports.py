"""Contract: the goods lines in reports on every engine — top items over paid receipts (the
cashier's own, the period's bounds, refunded receipts and returned quantities left out), the
export's row per line (receipts without lines as one row, batches past the batch size), and
the cashier's recent items."""

from __future__ import annotations

from datetime import timedelta

from storage.models.lines import SaleLine
from storage.models.receipts import Channel, EventSource, NewDraft, Receipt, ReceiptChanges
from storage.models.receipts import ReceiptStatus as S
from storage.models.reports import LineExportRow, TopItem
from storage.protocols.store import Store
from tests.contract.test_reports import (
    CASHIER,
    END,
    OWNER,
    START,
    collect,
    receipt,
    shop_with_cashier,
)

_keys = iter(range(1, 10**9))


def line(
    code: str, quantity: int, price: int, unit: str = "piece", item_id: int | None = 1
) -> SaleLine:
    return SaleLine(
        code=code,
        name=f"Item {code}",
        unit=unit,
        quantity=quantity,
        price=price,
        item_id=item_id,
    )


async def sale(
    store: Store,
    shop_id: int,
    lines: tuple[SaleLine, ...],
    *,
    paid: bool = True,
    cashier_id: int = OWNER,
    when=START + timedelta(days=1),  # type: ignore[no-untyped-def]
    refunded: bool = False,
) -> Receipt:
    key = f"g{next(_keys)}"
    draft = NewDraft(
        shop_id=shop_id,
        cashier_id=cashier_id,
        amount=sum(x.total for x in lines),
        currency="UAH",
        description=f"Продаж {key}",
        channel=Channel.EMAIL,
        contact="b@example.com",
        idempotency_key=key,
        order_id=f"o-{key}",
        expires_at=when + timedelta(days=1),
    )
    made, _ = await store.receipts.create_draft(draft, when, lines=lines)
    moved = await store.receipts.transition(
        made.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=when
    )
    assert moved is not None
    if paid:
        moved = await store.receipts.transition(
            made.id,
            expected=[S.AWAITING],
            new=S.PAID,
            source=EventSource.CALLBACK,
            now=when,
            changes=ReceiptChanges(paid_at=when, payment_id=f"p-{key}"),
        )
        assert moved is not None
    if refunded:
        moved = await store.receipts.transition(
            made.id, expected=[S.PAID], new=S.REFUNDED, source=EventSource.CALLBACK, now=when
        )
        assert moved is not None
    return moved


async def test_top_items_sum_the_paid_lines_by_item(store: Store) -> None:
    shop = await shop_with_cashier(store)
    other = await shop_with_cashier_elsewhere(store)
    await sale(store, shop, (line("A", 2000, 4500), line("B", 250, 45001, "kg")))
    await sale(store, shop, (line("A", 1000, 4500),), cashier_id=CASHIER)
    await sale(store, shop, (line("C", 1000, 100),))
    await sale(store, shop, (line("G", 1000, 10**6, item_id=None),))  # amount only: no item
    await sale(store, shop, (line("A", 9000, 4500),), paid=False)  # awaiting: not sold
    await sale(store, shop, (line("B", 9000, 45001, "kg"),), refunded=True)
    await sale(store, shop, (line("A", 5000, 4500),), when=END)  # after the period
    await sale(store, shop, (line("A", 5000, 4500),), when=START - timedelta(seconds=1))
    await sale(store, other, (line("A", 7000, 4500),))
    top = await store.reports.top_items(shop, START, END)
    assert top == [
        TopItem("A", "Item A", "piece", 3000, 13500),
        TopItem("B", "Item B", "kg", 250, 11250),  # 112,5025 rounded half up: 112,50
        TopItem("C", "Item C", "piece", 1000, 100),
    ]
    own = await store.reports.top_items(shop, START, END, cashier_id=CASHIER)
    assert own == [TopItem("A", "Item A", "piece", 1000, 4500)]
    assert await store.reports.top_items(shop, START, END, limit=1) == top[:1]


async def test_a_line_sum_rounds_half_up_like_line_sum(store: Store) -> None:
    shop = await shop_with_cashier(store)
    odd = line("K", 333, 1501, "kg")  # 499,833 kopecks → 500
    half = line("H", 500, 1001, "kg")  # 500,5 → 501
    await sale(store, shop, (odd, half))
    top = {t.code: t.total for t in await store.reports.top_items(shop, START, END)}
    assert top == {"K": odd.total, "H": half.total} == {"K": 500, "H": 501}


async def shop_with_cashier_elsewhere(store: Store) -> int:
    shop = await store.shops.create_shop(99, "Other", "Інша", START - timedelta(days=60))
    return shop.shop_id


async def test_the_export_has_a_row_per_line(store: Store) -> None:
    shop = await shop_with_cashier(store)
    first = await sale(store, shop, (line("A", 2000, 4500), line("B", 250, 45000, "kg")))
    old = await receipt(store, shop, START + timedelta(days=2), status=S.PAID, amount=777)
    third = await sale(store, shop, (line("C", 1000, 100),), cashier_id=CASHIER, paid=False)
    rows = await collect(store.reports.export_line_rows(shop, START, END, batch_size=2))
    assert rows == [
        LineExportRow(first.number, first.created_at, 1, "A", "Item A", "piece", 2000, 4500, 9000),
        LineExportRow(first.number, first.created_at, 2, "B", "Item B", "kg", 250, 45000, 11250),
        LineExportRow(old.number, old.created_at, 1, "", old.description, "", 1000, 777, 777),
        LineExportRow(third.number, third.created_at, 1, "C", "Item C", "piece", 1000, 100, 100),
    ]
    mine = await collect(store.reports.export_line_rows(shop, START, END, cashier_id=CASHIER))
    assert [r.code for r in mine] == ["C"]
    paid = await collect(store.reports.export_line_rows(shop, START, END, statuses=[S.PAID]))
    assert [r.number for r in paid] == [first.number, first.number, old.number]
    assert await collect(store.reports.export_line_rows(shop, START, END, statuses=[])) == []


async def test_recent_items_are_the_cashiers_newest_first(store: Store) -> None:
    shop = await shop_with_cashier(store)
    await sale(
        store,
        shop,
        (line("A", 1000, 100, item_id=1), line("B", 1000, 100, item_id=2)),
        cashier_id=CASHIER,
    )
    await sale(
        store,
        shop,
        (line("C", 1000, 100, item_id=3), line("X", 1000, 100)),
        cashier_id=CASHIER,
        paid=False,
    )
    await sale(store, shop, (line("D", 1000, 100, item_id=4),))  # the owner's
    await sale(store, shop, (line("A", 1000, 100, item_id=1),), cashier_id=CASHIER)
    assert await store.reports.recent_items(shop, CASHIER, 10) == [1, 3, 2]
    assert await store.reports.recent_items(shop, CASHIER, 2) == [1, 3]
    assert await store.reports.recent_items(shop, OWNER, 10) == [4]
