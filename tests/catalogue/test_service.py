"""CatalogueService over a real SQLite store and the stand-in Checkbox: who may change the
catalogue, codes unique (given or generated), tax codes from the register's list, and the
register's goods as an import applied once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from services.catalogue.rules import ItemError, ItemText, Problem
from services.catalogue.service import CatalogueService, NoRegister
from services.checkbox.client import CheckboxClient
from services.fiscal.registrar import FiscalCredentials
from services.fiscal.setup import NotSetUp
from storage.models.shops import Member, Role
from storage.sqlite.store import SqliteStore
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox

LICENSE = "cbx-license-0123456789abcdef"
PIN = "7391"


class Access:
    """The shop's fiscal credentials, or none (NotSetUp) until `set_up`."""

    def __init__(self) -> None:
        self.creds: FiscalCredentials | None = None

    def set_up(self) -> None:
        self.creds = FiscalCredentials(SecretStr(LICENSE), SecretStr(PIN))

    async def credentials(self, shop_id: int) -> FiscalCredentials:
        if self.creds is None:
            raise NotSetUp
        return self.creds


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        server.add_register(LICENSE, PIN)
        yield server


@pytest.fixture
async def parts(
    tmp_path: Path, fake: FakeCheckbox
) -> AsyncIterator[tuple[CatalogueService, Access, Member]]:
    store = await SqliteStore.open(tmp_path / "bot.sqlite3")
    clock = FakeClock()
    access = Access()
    async with aiohttp.ClientSession() as http:
        client = CheckboxClient(http, fake.url, timeout=5)
        owner = await make_owner(store, clock)
        yield CatalogueService(store.catalogue, client, access, clock), access, owner
    await store.close()


async def test_a_cashier_changes_nothing(parts: tuple[CatalogueService, Access, Member]) -> None:
    service, _, owner = parts
    cashier = Member(owner.shop_id, owner.shop_name, 2, Role.CASHIER, "Ivan")
    with pytest.raises(PermissionError):
        await service.add(cashier, ItemText(name="Tea"))
    with pytest.raises(PermissionError):
        await service.preview_csv(cashier, b"name\nTea\n")
    assert await service.count(owner) == 0


async def test_codes_are_unique_given_or_generated(
    parts: tuple[CatalogueService, Access, Member],
) -> None:
    service, _, owner = parts
    first = await service.add(owner, ItemText(name="Tea", code="T"))
    with pytest.raises(ItemError) as caught:
        await service.add(owner, ItemText(name="Other tea", code="T"))
    assert caught.value.problem is Problem.CODE_TAKEN
    other = await service.add(owner, ItemText(name="Coffee"))
    assert other.code.startswith("G") and other.code != first.code
    with pytest.raises(ItemError) as caught:
        await service.edit(owner, other.id, "code", "T")
    assert caught.value.problem is Problem.CODE_TAKEN
    assert await service.count(owner) == 2


async def test_tax_codes_are_checked_against_the_register_once_it_is_set_up(
    parts: tuple[CatalogueService, Access, Member], fake: FakeCheckbox
) -> None:
    service, access, owner = parts
    item = await service.add(owner, ItemText(name="Tea", tax="77"))  # no register: any code
    access.set_up()
    codes = {t["code"] for t in fake.taxes}
    assert 77 not in codes
    with pytest.raises(ItemError) as caught:
        await service.edit(owner, item.id, "tax", "77")
    assert caught.value.problem is Problem.TAX_UNKNOWN
    known = min(codes)
    edited = await service.edit(owner, item.id, "tax", str(known))
    assert edited is not None and edited.tax_codes == (known,)


async def test_the_registers_goods_import_once(
    parts: tuple[CatalogueService, Access, Member], fake: FakeCheckbox
) -> None:
    service, access, owner = parts
    with pytest.raises(NoRegister):
        await service.preview_register(owner)
    access.set_up()
    fake.add_good("K1", "Кава", 4550)
    fake.add_good("B1", "Букет", 0)
    result = await service.preview_register(owner)
    assert [(i.code, i.price) for i in result.new] == [("K1", 4550), ("B1", None)]
    assert await service.apply(owner, result.token, result.items) is True
    assert await service.apply(owner, result.token, result.items) is False
    assert await service.count(owner) == 2
    again = await service.preview_register(owner)
    assert (again.new, again.changed, again.unchanged) == ([], [], 2)
