"""Issue #15: the fiscal sale names what was sold. A receipt with stored lines sells one
goods line per line (code, name, price, quantity, tax, barcode, UKTZED) and one payment of
their sum; a receipt without lines (made before lines were stored) sells one line named by
the shop's default goods name — never its order id, its "payment for receipt N"
description or nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from services.core.crypto import SecretBox
from services.goods.names import goods_code
from storage.models.lines import SaleLine, basket_total
from storage.models.receipts import Channel, ReceiptStatus
from storage.models.settings import SettingsChanges
from storage.sqlite.store import SqliteStore
from tests.builders import Shop, make_receipt, make_shop
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal_fixtures import Desk, make_desk, set_up_register

COFFEE = SaleLine(
    code="K1", name="Кава зернова", unit="kg", quantity=250, price=45000, tax_codes=(1,),
    barcode="4820000000001", uktzed="0901210000", item_id=4,
)  # fmt: skip
BOUQUET = SaleLine(code="B1", name="Букет", unit="piece", quantity=2000, price=50000, item_id=5)
DEFAULT = SaleLine(code="Nabc", name="Напої", unit="piece", quantity=1000, price=3333)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def shop(store: SqliteStore, box: SecretBox, clock: FakeClock, fake: FakeCheckbox) -> Shop:
    made = await make_shop(store, box, clock())
    await set_up_register(store, box, fake, made, clock())  # the shop's tax code: 8
    return made


@pytest.fixture
def desk(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeCheckbox,
    clock: FakeClock,
) -> Desk:  # fmt: skip
    return make_desk(store, http, box, fake, clock)


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
