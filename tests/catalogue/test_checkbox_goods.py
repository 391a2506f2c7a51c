"""The Checkbox client reads the register's goods page by page from the stand-in Checkbox
(tests/doubles/checkbox.py), and the catalogue previews them as an import."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from pydantic import SecretStr

from services.catalogue.imports import preview
from services.catalogue.service import good_row
from services.checkbox.client import GOODS_PAGE, CheckboxClient
from services.fiscal.registrar import FiscalCredentials, FiscalUnavailable, RegisterGood
from tests.doubles.checkbox import FakeCheckbox

LICENSE = "cbx-license-0123456789abcdef"
PIN = "7391"
CREDS = FiscalCredentials(SecretStr(LICENSE), SecretStr(PIN))


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        server.add_register(LICENSE, PIN)
        yield server


@pytest.fixture
async def client(fake: FakeCheckbox) -> AsyncIterator[CheckboxClient]:
    async with aiohttp.ClientSession() as http:
        yield CheckboxClient(http, fake.url, timeout=5)


async def test_goods_come_page_by_page_with_their_fields(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.add_good(
        "K1", "Кава", 4550, barcode="4820000000001", uktzed="2101110000",
        taxes=[{"code": 1, "label": "ПДВ"}, {"code": 8, "label": "Акциз"}], is_weight=True,
    )  # fmt: skip
    for n in range(GOODS_PAGE + 1):
        fake.add_good(f"c{n}", f"Good {n}", 100 + n)
    goods = await client.goods(CREDS)
    assert len(goods) == GOODS_PAGE + 2
    assert goods[0] == RegisterGood(
        code="K1", name="Кава", price=4550, tax_codes=(1, 8), barcode="4820000000001",
        uktzed="2101110000", is_weight=True,
    )  # fmt: skip
    pages = fake.requests_to("GET", "/api/v1/goods")
    assert [r.query.get("offset") for r in pages] == ["0", "1000"]


async def test_a_garbled_page_is_unavailable(client: CheckboxClient, fake: FakeCheckbox) -> None:
    fake.fail_next(200, {"meta": {}}, path="/api/v1/goods")
    with pytest.raises(FiscalUnavailable):
        await client.goods(CREDS)


def test_the_registers_goods_preview_as_an_import() -> None:
    goods = [
        RegisterGood(code="K1", name="Кава", price=4550, tax_codes=(1,), is_weight=True),
        RegisterGood(code="B", name="Букет", price=0),
        RegisterGood(code="X", name="Bad", price=100, barcode="12"),
    ]
    result = preview([good_row(n, g) for n, g in enumerate(goods, 1)], [], {1})
    assert [(i.code, i.price, i.unit, i.tax_codes) for i in result.new] == [
        ("K1", 4550, "kg", (1,)),
        ("B", None, "piece", ()),
    ]
    assert [(e.line, e.problem.value) for e in result.errors] == [(3, "barcode_format")]
