"""The receipts' goods lines on every engine: written with the draft in its transaction (a
second draft with the same key writes none), read back in order, several receipts at once;
and the shop's default goods name setting."""

from __future__ import annotations

import pytest

from storage.models.common import IntegrityViolation
from storage.models.jobs import NewJob
from storage.models.lines import ReturnedLine, SaleLine
from storage.models.receipts import EventSource, Receipt, ReceiptChanges, ReceiptStatus
from storage.models.refunds import NewRefund, RefundState
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


# returns by goods: a refund's lines


async def paid_with_lines(store: Store, clock: FakeClock, key: str) -> Receipt:
    owner = await make_owner(store, clock)
    amount = COFFEE.total + BOUQUET.total  # 11250 + 100000
    draft, _ = await store.receipts.create_draft(
        new_draft(owner.shop_id, clock, key=key, amount=amount), clock(), lines=(COFFEE, BOUQUET)
    )
    paid = await store.receipts.transition(
        draft.id, expected=[ReceiptStatus.DRAFT], new=ReceiptStatus.PAID,
        source=EventSource.CALLBACK, now=clock(),
        changes=ReceiptChanges(paid_at=clock()),
    )  # fmt: skip
    assert paid is not None
    return paid


def refund_of(
    receipt: Receipt, key: str, *lines: ReturnedLine, refunded_before: int = 0
) -> NewRefund:
    return NewRefund(
        receipt_id=receipt.id, amount=sum(line.amount for line in lines), idempotency_key=key,
        requested_by=1, refunded_before=refunded_before, lines=lines,
    )  # fmt: skip


async def returned(store: Store, receipt: Receipt) -> list[int]:
    return [line.returned for line in await store.receipt_lines.of_receipt(receipt.id)]


async def test_a_refund_returns_its_lines_in_its_transaction(
    store: Store, clock: FakeClock
) -> None:
    paid = await paid_with_lines(store, clock, "ret-1")
    one_bouquet = ReturnedLine(position=2, quantity=1000, amount=50000)
    refund, created = await store.refunds.reserve(refund_of(paid, "r1", one_bouquet), clock())
    assert created and refund is not None and refund.amount == 50000
    assert await returned(store, paid) == [0, 1000]
    assert await store.receipt_lines.returned_by(refund.id) == [
        ReturnedLine(position=2, quantity=1000, amount=50000)
    ]
    assert await store.receipt_lines.returned_by(refund.id + 99) == []


async def test_never_more_than_sold_and_not_yet_returned(store: Store, clock: FakeClock) -> None:
    paid = await paid_with_lines(store, clock, "ret-2")
    first, _ = await store.refunds.reserve(
        refund_of(paid, "r1", ReturnedLine(2, 1500, 75000)), clock()
    )
    assert first is not None
    await store.refunds.record_refunded(
        paid.id, expected_refunded=0, refunded=75000, status=ReceiptStatus.PAID,
        source=EventSource.USER, now=clock(), refund_id=first.id,
        refund_expected=[RefundState.RESERVED], refund_state=RefundState.DONE,
    )  # fmt: skip
    # 1,5 of 2 bouquets returned: one more is too many, a stale view (returned 0) refused too
    too_many = refund_of(paid, "r2", ReturnedLine(2, 1000, 50000, 1500), refunded_before=75000)
    stale = refund_of(paid, "r3", ReturnedLine(2, 500, 25000, 0), refunded_before=75000)
    for refused in (too_many, stale):
        assert await store.refunds.reserve(refused, clock()) == (None, False)
        assert await store.refunds.by_key(refused.idempotency_key) is None  # nothing written
    assert await returned(store, paid) == [0, 1500]
    rest = refund_of(
        paid, "r4", ReturnedLine(1, 250, 11250), ReturnedLine(2, 500, 25000, 1500),
        refunded_before=75000,
    )  # fmt: skip
    refund, created = await store.refunds.reserve(rest, clock())
    assert created and refund is not None
    assert await returned(store, paid) == [250, 2000]


async def test_a_failed_refund_gives_its_lines_back(store: Store, clock: FakeClock) -> None:
    paid = await paid_with_lines(store, clock, "ret-3")
    refund, _ = await store.refunds.reserve(
        refund_of(paid, "r1", ReturnedLine(1, 100, 4500)), clock()
    )
    assert refund is not None and await returned(store, paid) == [100, 0]
    failed = await store.refunds.move(
        refund.id, expected=[RefundState.RESERVED], new=RefundState.FAILED, now=clock()
    )
    assert failed is not None and await returned(store, paid) == [0, 0]
    # a second move finds it failed already: nothing given back twice
    assert (
        await store.refunds.move(
            refund.id, expected=[RefundState.RESERVED], new=RefundState.FAILED, now=clock()
        )
        is None
    )
    assert await returned(store, paid) == [0, 0]
    again, created = await store.refunds.reserve(
        refund_of(paid, "r2", ReturnedLine(1, 250, 11250)), clock()
    )
    assert created and again is not None and await returned(store, paid) == [250, 0]
