"""The catalogue on every engine: codes unique per shop, edits, the archive, search by a
few letters or a barcode, pages, and an import that is one transaction."""

from __future__ import annotations

import pytest

from storage.models.catalogue import ItemFields
from storage.models.common import IntegrityViolation
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock


def item(code: str, name: str, price: int | None = 2550, **more: object) -> ItemFields:
    return ItemFields(code=code, name=name, price=price, unit="piece", **more)  # type: ignore[arg-type]


async def test_an_item_is_added_and_read_back(store: Store, clock: FakeClock) -> None:
    owner = await make_owner(store, clock)
    added = await store.catalogue.add(
        owner.shop_id,
        item("A1", "Кава", 4550, tax_codes=(1, 2), barcode="4820000000001", uktzed="2203000000"),
        clock(),
    )
    assert added.archived is False
    assert await store.catalogue.get(owner.shop_id, added.id) == added
    assert await store.catalogue.by_code(owner.shop_id, "A1") == added
    assert added.tax_codes == (1, 2)
    assert added.created_at == clock()
    bouquet = await store.catalogue.add(owner.shop_id, item("B1", "Bouquet", None), clock())
    assert bouquet.price is None


async def test_a_code_is_unique_in_its_shop_only(store: Store, clock: FakeClock) -> None:
    first = await make_owner(store, clock, owner_id=1)
    second = await make_owner(store, clock, owner_id=2)
    await store.catalogue.add(first.shop_id, item("A1", "Tea"), clock())
    with pytest.raises(IntegrityViolation):
        await store.catalogue.add(first.shop_id, item("A1", "Coffee"), clock())
    await store.catalogue.add(second.shop_id, item("A1", "Coffee"), clock())
    assert await store.catalogue.count(first.shop_id) == 1
    assert await store.catalogue.get(second.shop_id, 10**9) is None


async def test_edit_replaces_the_fields_and_refuses_another_items_code(
    store: Store, clock: FakeClock
) -> None:
    owner = await make_owner(store, clock)
    tea = await store.catalogue.add(owner.shop_id, item("T", "Tea"), clock())
    await store.catalogue.add(owner.shop_id, item("C", "Coffee"), clock())
    clock.advance(seconds=60)
    edited = await store.catalogue.edit(
        owner.shop_id, tea.id, item("T2", "Green tea", 999), clock()
    )
    assert edited is not None
    assert (edited.code, edited.name, edited.price, edited.updated_at) == (
        "T2",
        "Green tea",
        999,
        clock(),
    )
    with pytest.raises(IntegrityViolation):
        await store.catalogue.edit(owner.shop_id, tea.id, item("C", "Green tea"), clock())
    assert await store.catalogue.edit(owner.shop_id + 99, tea.id, item("X", "X"), clock()) is None


async def test_search_by_letters_and_barcode_leaves_archived_items_out(
    store: Store, clock: FakeClock
) -> None:
    owner = await make_owner(store, clock)
    shop = owner.shop_id
    coffee = await store.catalogue.add(shop, item("1", "Кава зернова"), clock())
    latte = await store.catalogue.add(shop, item("2", "Лате з кавою"), clock())
    tea = await store.catalogue.add(shop, item("3", "Чай", barcode="4820000000001"), clock())
    page = await store.catalogue.search(shop, "КАВ", limit=10)
    assert [i.id for i in page.items] == [coffee.id, latte.id]  # the name's start first
    assert page.more is False
    assert [
        i.id for i in (await store.catalogue.search(shop, "4820000000001", limit=10)).items
    ] == [tea.id]
    await store.catalogue.set_archived(shop, coffee.id, True, clock())
    assert [i.id for i in (await store.catalogue.search(shop, "кав", limit=10)).items] == [latte.id]
    everything = await store.catalogue.search(shop, "кав", limit=10, include_archived=True)
    assert {i.id for i in everything.items} == {coffee.id, latte.id}
    assert await store.catalogue.count(shop) == 2
    assert await store.catalogue.count(shop, include_archived=True) == 3


async def test_search_comes_in_pages(store: Store, clock: FakeClock) -> None:
    owner = await make_owner(store, clock)
    for n in range(7):
        await store.catalogue.add(owner.shop_id, item(f"c{n}", f"Rose {n}"), clock())
    first = await store.catalogue.search(owner.shop_id, "rose", limit=5)
    second = await store.catalogue.search(owner.shop_id, "rose", limit=5, offset=5)
    assert (len(first.items), first.more, len(second.items), second.more) == (5, True, 2, False)
    assert [i.name for i in first.items + second.items] == [f"Rose {n}" for n in range(7)]


async def test_an_import_is_all_or_nothing_and_applies_once(store: Store, clock: FakeClock) -> None:
    owner = await make_owner(store, clock)
    shop = owner.shop_id
    old = await store.catalogue.add(shop, item("A", "Old name"), clock())
    await store.catalogue.set_archived(shop, old.id, True, clock())
    broken = [item("B", "New"), item("C", "x" * 129)]  # the second breaks a CHECK
    with pytest.raises(IntegrityViolation):
        await store.catalogue.apply_import(shop, "t1", broken, clock())
    assert await store.catalogue.by_code(shop, "B") is None
    good = [item("A", "Renamed", 100), item("B", "New")]
    assert await store.catalogue.apply_import(shop, "t1", good, clock()) is True
    assert await store.catalogue.apply_import(shop, "t1", [item("D", "Again")], clock()) is False
    renamed = await store.catalogue.by_code(shop, "A")
    assert renamed is not None
    assert (renamed.id, renamed.name, renamed.price, renamed.archived) == (
        old.id,
        "Renamed",
        100,
        False,
    )
    assert [i.code for i in await store.catalogue.all_items(shop)] == ["A", "B"]
