"""Issue #15: the fiscal sale names what was sold. A receipt with stored lines sells one
goods line per line (code, name, price, quantity, tax, barcode, UKTZED) and one payment of
their sum; a receipt without lines (made before lines were stored) sells one line named by
the shop's default goods name — never its order id, its "payment for receipt N"
description or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.fiscal.registrar import receipt_uuid
from services.goods.names import goods_code
from services.refunds.lines import pick
from services.refunds.worker import JobWorker
from storage.models.lines import ReturnedLine, SaleLine, basket_total
from storage.models.receipts import Channel, ReceiptStatus
from storage.models.refunds import NewRefund
from storage.models.settings import SettingsChanges
from tests.builders import Shop, make_receipt
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal_fixtures import Desk

COFFEE = SaleLine(
    code="K1", name="Кава зернова", unit="kg", quantity=250, price=45000, tax_codes=(1,),
    barcode="4820000000001", uktzed="0901210000", item_id=4,
)  # fmt: skip
BOUQUET = SaleLine(code="B1", name="Букет", unit="piece", quantity=2000, price=50000, item_id=5)
DEFAULT = SaleLine(code="Nabc", name="Напої", unit="piece", quantity=1000, price=3333)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


async def sell_of(desk: Desk, shop: Shop, fake: FakeCheckbox, **kw: object) -> dict:  # type: ignore[type-arg]
    receipt = await make_receipt(desk.store, shop, desk.clock(), channel=Channel.LINK, **kw)  # type: ignore[arg-type]
    moved = await desk.pay(receipt)
    assert moved.status is ReceiptStatus.PAID
    await desk.run_jobs()
    [sell] = fake.sells()
    assert isinstance(sell.body, dict)
    return sell.body


async def test_each_stored_line_is_a_goods_line_and_the_payment_is_their_sum(
    desk: Desk, shop: Shop, fake: FakeCheckbox
) -> None:
    lines = (COFFEE, BOUQUET, DEFAULT)
    total = basket_total(lines)
    body = await sell_of(desk, shop, fake, amount=total, lines=lines)
    assert body["goods"] == [
        {"good": {"code": "K1", "name": "Кава зернова", "price": 45000, "tax": [1],
                  "barcode": "4820000000001", "uktzed": "0901210000"}, "quantity": 250},
        # a catalogue item without tax codes is not taxed
        {"good": {"code": "B1", "name": "Букет", "price": 50000}, "quantity": 2000},
        # the default goods name's line takes the shop's fiscal tax rate, as sales did
        {"good": {"code": "Nabc", "name": "Напої", "price": 3333, "tax": [8]}, "quantity": 1000},
    ]  # fmt: skip
    assert [p["value"] for p in body["payments"]] == [total] == [11250 + 100000 + 3333]


async def test_a_receipt_without_lines_names_the_shops_default_goods_name(
    desk: Desk, shop: Shop, fake: FakeCheckbox
) -> None:
    await desk.store.settings.update(
        shop.shop_id, SettingsChanges(default_goods_name="Квіти та рослини")
    )
    receipt = await make_receipt(desk.store, shop, desk.clock(), channel=Channel.LINK)
    await desk.pay(receipt)
    await desk.run_jobs()
    [sell] = fake.sells()
    assert isinstance(sell.body, dict)
    [line] = sell.body["goods"]
    assert line["good"]["name"] == "Квіти та рослини"
    assert line["good"]["code"] == goods_code("Квіти та рослини")
    assert receipt.order_id not in line["good"]["code"]
    assert "Coffee beans" not in str(sell.body)  # the description is not the goods name


# returns by goods


def returns_worker(desk: Desk) -> JobWorker:
    from tests.fiscal.test_fiscal_returns import returns_worker as worker

    return worker(desk)


async def test_a_refund_of_some_goods_returns_exactly_those_lines(
    desk: Desk, shop: Shop, fake: FakeCheckbox
) -> None:
    store = desk.store
    lines = (COFFEE, BOUQUET)
    receipt = await make_receipt(
        store, shop, desk.clock(), channel=Channel.LINK, amount=basket_total(lines), lines=lines
    )
    sale = await desk.pay(receipt)
    await desk.run_jobs()
    worker = returns_worker(desk)
    stored = await store.receipt_lines.of_receipt(sale.id)
    one_bouquet = pick(stored[1], 1000)
    assert one_bouquet == ReturnedLine(2, 1000, 50000, 0)
    refund, _ = await store.refunds.reserve(
        NewRefund(sale.id, 50000, "k1", shop.owner_id, 0, (one_bouquet,)), desk.clock()
    )
    assert refund is not None
    await desk.pay(sale, refunded=50000)  # LiqPay tells the refund went back
    assert await worker.drain()
    [first] = [r.body for r in fake.sells() if r.body.get("related_receipt_id")]
    assert first["related_receipt_id"] == receipt_uuid(sale.order_id)
    assert first["goods"] == [
        {"good": {"code": "B1", "name": "Букет", "price": 50000}, "quantity": 1000,
         "is_return": True}
    ]  # fmt: skip
    assert [p["value"] for p in first["payments"]] == [50000]
    # a second refund: a part of the weighed line (0,1 of 0,25 kg)
    stored = await store.receipt_lines.of_receipt(sale.id)
    coffee = pick(stored[0], 100)
    assert coffee.amount == 4500
    paid = await store.receipts.get(sale.id)
    assert paid is not None
    refund, _ = await store.refunds.reserve(
        NewRefund(sale.id, 4500, "k2", shop.owner_id, 50000, (coffee,)), desk.clock()
    )
    assert refund is not None
    await desk.pay(paid, refunded=54500)
    assert await worker.drain()
    second = [r.body for r in fake.sells() if r.body.get("related_receipt_id")][-1]
    assert second["goods"] == [
        {"good": {"code": "K1", "name": "Кава зернова", "price": 45000, "tax": [1],
                  "barcode": "4820000000001", "uktzed": "0901210000"},
         "quantity": 100, "is_return": True}
    ]  # fmt: skip
    assert [line.returned for line in await store.receipt_lines.of_receipt(sale.id)] == [
        100,
        1000,
    ]
