"""The receipts' goods lines on every engine: written with the draft in its transaction (a
second draft with the same key writes none), read back in order, several receipts at once;
and the shop's default goods name setting."""

from __future__ import annotations

import pytest

from storage.models.common import IntegrityViolation
from storage.models.jobs import NewJob
from storage.models.lines import SaleLine
from storage.models.settings import SettingsChanges
from storage.protocols.store import Store
from tests.builders import make_owner
from tests.conftest import FakeClock
from tests.contract.conftest import make_draft, new_draft

COFFEE = SaleLine(
    code="K1",
    name="Кава зернова",
    unit="kg",
    quantity=250,
    price=45000,
    tax_codes=(1, 2),
    barcode="4820000000001",
    uktzed="0901210000",
    item_id=7,
)
BOUQUET = SaleLine(code="B1", name="Букет", unit="piece", quantity=2000, price=50000)


async def test_lines_are_written_with_the_draft_and_read_back_in_order(
    store: Store, clock: FakeClock
) -> None:
    owner = await make_owner(store, clock)
    draft = new_draft(owner.shop_id, clock, key="lines-1", amount=COFFEE.total + BOUQUET.total)
    job = NewJob(kind="notify", payload={"x": 1})
    receipt, created = await store.receipts.create_draft(
        draft, clock(), (job,), lines=(COFFEE, BOUQUET)
    )
    assert created
    lines = await store.receipt_lines.of_receipt(receipt.id)
    assert [(line.position, line.line, line.returned) for line in lines] == [
        (1, COFFEE, 0),
        (2, BOUQUET, 0),
    ]
    assert {line.receipt_id for line in lines} == {receipt.id}
    jobs = await store.jobs.find(receipt_id=receipt.id)
    assert [j.kind for j in jobs] == ["notify"]  # the jobs still come with the draft


async def test_a_second_draft_with_the_same_key_writes_no_lines(
    store: Store, clock: FakeClock
) -> None:
    owner = await make_owner(store, clock)
    draft = new_draft(owner.shop_id, clock, key="lines-2")
    first, created = await store.receipts.create_draft(draft, clock(), lines=(BOUQUET,))
    again, created_again = await store.receipts.create_draft(
        draft, clock(), lines=(COFFEE, BOUQUET)
    )
    assert (created, created_again, again.id) == (True, False, first.id)
    assert [line.line for line in await store.receipt_lines.of_receipt(first.id)] == [BOUQUET]


async def test_a_bad_line_writes_no_draft(store: Store, clock: FakeClock) -> None:
    owner = await make_owner(store, clock)
    draft = new_draft(owner.shop_id, clock, key="lines-3")
    nameless = SaleLine(code="X", name="", unit="piece", quantity=1000, price=100)
    with pytest.raises(IntegrityViolation):
        await store.receipts.create_draft(draft, clock(), lines=(BOUQUET, nameless))
    assert await store.receipts.by_idempotency_key("lines-3") is None


async def test_lines_of_several_receipts_leave_out_receipts_without_lines(
    store: Store, clock: FakeClock
) -> None:
    owner = await make_owner(store, clock)
    old = await make_draft(store, clock, owner.shop_id)  # made before lines existed
    assert await store.receipt_lines.of_receipt(old.id) == []
    one, _ = await store.receipts.create_draft(
        new_draft(owner.shop_id, clock, key="lines-4"), clock(), lines=(COFFEE,)
    )
    two, _ = await store.receipts.create_draft(
        new_draft(owner.shop_id, clock, key="lines-5"), clock(), lines=(BOUQUET, COFFEE)
    )
    found = await store.receipt_lines.of_receipts([old.id, one.id, two.id, two.id])
    assert set(found) == {one.id, two.id}
    assert [line.line.code for line in found[two.id]] == ["B1", "K1"]
    assert await store.receipt_lines.of_receipts([]) == {}


async def test_deleting_a_draft_deletes_its_lines(store: Store, clock: FakeClock) -> None:
    owner = await make_owner(store, clock)
    receipt, _ = await store.receipts.create_draft(
        new_draft(owner.shop_id, clock, key="lines-6"), clock(), lines=(COFFEE,)
    )
    assert await store.receipts.delete_draft(receipt.id)
    assert await store.receipt_lines.of_receipt(receipt.id) == []


async def test_the_default_goods_name_is_not_chosen_until_the_owner_chooses(
    store: Store, clock: FakeClock
) -> None:
    owner = await make_owner(store, clock)
    settings = await store.settings.get(owner.shop_id)
    assert (settings.default_goods_name, settings.goods_name_from_purpose) == (None, False)
    await store.settings.update(
        owner.shop_id,
        SettingsChanges(default_goods_name="Квіти та рослини", goods_name_from_purpose=True),
    )
    settings = await store.settings.get(owner.shop_id)
    assert (settings.default_goods_name, settings.goods_name_from_purpose) == (
        "Квіти та рослини",
        True,
    )
    await store.settings.update(owner.shop_id, SettingsChanges(default_goods_name=None))
    assert (await store.settings.get(owner.shop_id)).default_goods_name is None
