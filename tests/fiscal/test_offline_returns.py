"""Late return receipts dated at the refund through Checkbox's offline mode
(services/fiscal/offline_returns.py); online and the owner told when that time can't be used."""

from __future__ import annotations

from datetime import datetime

from bot.fiscal.late import return_not_dated_text
from services.fiscal import policy
from services.fiscal.registrar import receipt_uuid
from services.fiscal.returns import UNREADABLE_RETRY
from services.notifications.jobs import NOTIFY
from services.notifications.jobs import NotificationKind as K
from services.refunds.ledger import FISCAL_RETURN
from services.refunds.lines import pick
from storage.models.jobs import JobState
from storage.models.lines import basket_total
from storage.models.offline import RegisterMode
from storage.models.receipts import Receipt
from storage.models.refunds import NewRefund
from tests.builders import OWNER_ID, Shop, make_receipt
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal.test_fiscal_goods import BOUQUET, COFFEE, DEFAULT
from tests.fiscal.test_fiscal_returns import returns_worker
from tests.fiscal.test_offline_registration import (
    GO_OFFLINE,
    SELL_OFFLINE,
    clock,
    fake,
    first_sale_online,
)
from tests.fiscal_fixtures import LICENSE, Desk

__all__ = ["clock", "fake"]  # the fixtures (the rest: tests/fiscal/conftest.py)


def returns_made(fake: FakeCheckbox) -> list[str]:
    return [r.id for r in fake.receipts.values() if r.is_return]


async def refund_later(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock, sale: Receipt
) -> datetime:
    """Refunded a minute after the sale; its return registered 20 minutes later."""
    clock.advance(minutes=1)
    refunded_at = clock()
    await desk.pay(sale, refunded=10000)  # recorded now; its return job made now
    clock.advance(minutes=20)
    await returns_worker(desk).drain()
    assert returns_made(fake) == []  # handed to the register's late group
    await desk.run_jobs()
    return refunded_at


def told(jobs: list[object], kind: str) -> list[dict[str, object]]:
    return [j.payload for j in jobs if j.payload["kind"] == kind]  # type: ignore[attr-defined]


async def test_a_late_return_is_dated_at_the_refund_offline_once(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    sale = await first_sale_online(desk, shop, fake)
    refunded_at = await refund_later(desk, shop, fake, clock, sale)
    [made] = returns_made(fake)
    assert made == receipt_uuid(f"{sale.order_id}#return10000")
    receipt = fake.receipts[made]
    assert receipt.offline and receipt.sent_at is not None
    assert receipt.fiscal_date == refunded_at
    assert [r.body["id"] for r in fake.requests_to("POST", SELL_OFFLINE)] == [made]
    [go] = fake.requests_to("POST", GO_OFFLINE)
    assert datetime.fromisoformat(go.body["go_offline_date"]) == refunded_at
    assert not fake.offline.of(LICENSE).offline
    assert (await desk.store.offline.register(shop.shop_id)).mode is RegisterMode.ONLINE
    jobs = await desk.store.jobs.find(kind=NOTIFY)
    assert [p["chat_id"] for p in told(jobs, K.FISCAL_RETURN_DONE)] == [OWNER_ID]
    assert told(jobs, K.FISCAL_NOT_DATED) == []
    await returns_worker(desk).drain()
    await desk.run_jobs()
    assert returns_made(fake) == [made]  # once
    assert len(await desk.store.jobs.find(kind=FISCAL_RETURN)) == 1


async def test_a_late_return_without_codes_goes_online_and_says_why_once(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    sale = await first_sale_online(desk, shop, fake)
    unused = await desk.store.offline.unused_codes(shop.shop_id)
    await desk.store.offline.claim_codes(shop.shop_id, [f"x{i}" for i in range(unused)], clock())
    refunded_at = await refund_later(desk, shop, fake, clock, sale)
    [made] = returns_made(fake)
    assert not fake.receipts[made].offline and fake.requests_to("POST", GO_OFFLINE) == []
    jobs = await desk.store.jobs.find(kind=NOTIFY)
    [notice] = told(jobs, K.FISCAL_NOT_DATED)
    assert (notice["chat_id"], notice["reason"], notice["refund"]) == (OWNER_ID, "no_codes", 10000)
    assert [p["chat_id"] for p in told(jobs, K.FISCAL_RETURN_DONE)] == [OWNER_ID]
    current = await desk.store.receipts.get(sale.id)
    assert current is not None
    uk = return_not_dated_text(current, "no_codes", 10000, refunded_at, "uk")
    en = return_not_dated_text(current, "no_codes", 10000, refunded_at, "en")
    assert "Повернення" in uk and "не залишилося офлайн" in uk and "return" not in uk
    assert "The return of" in en and "no offline fiscal codes left" in en


async def test_a_refund_before_its_sales_registration_returns_online_and_says_why(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    sale = await first_sale_online(desk, shop, fake)
    refund_recorded = clock()
    await desk.pay(sale, refunded=10000)
    # the sale's register has a later document (another sale registered meanwhile)
    clock.advance(minutes=10)
    await desk.store.offline.note_document(shop.shop_id, clock(), clock())
    await returns_worker(desk).drain()
    [made] = returns_made(fake)
    assert not fake.receipts[made].offline
    [notice] = told(await desk.store.jobs.find(kind=NOTIFY), K.FISCAL_NOT_DATED)
    assert (notice["reason"], notice["refunded_at"]) == (
        "later_document", refund_recorded.isoformat()
    )  # fmt: skip


async def test_a_late_return_lists_the_goods_the_refund_chose(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    lines = (COFFEE, BOUQUET, DEFAULT)
    receipt = await make_receipt(desk.store, shop, clock(), amount=basket_total(lines), lines=lines)
    sale = await desk.pay(receipt, paid_at=clock())
    await desk.run_jobs()
    assert await desk.store.offline.unused_codes(shop.shop_id) >= 2  # obtained after the sale
    third = pick((await desk.store.receipt_lines.of_receipt(sale.id))[2], DEFAULT.quantity)
    refund, _ = await desk.store.refunds.reserve(
        NewRefund(sale.id, third.amount, "k1", shop.owner_id, 0, (third,)), clock()
    )
    assert refund is not None
    clock.advance(minutes=1)
    await desk.pay(sale, refunded=third.amount)  # the owner returned the third line only
    clock.advance(minutes=20)
    await returns_worker(desk).drain()
    await desk.run_jobs()
    [made] = [r.body for r in fake.requests_to("POST", SELL_OFFLINE)]
    assert made["goods"] == [
        {"good": {"code": "Nabc", "name": "Напої", "price": 3333, "tax": [8]},
         "quantity": 1000, "is_return": True}
    ]  # fmt: skip
    assert [p["value"] for p in made["payments"]] == [3333]


async def test_a_late_return_with_unreadable_credentials_is_tried_again(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    sale = await first_sale_online(desk, shop, fake)
    clock.advance(minutes=1)
    await desk.pay(sale, refunded=10000)
    clock.advance(minutes=20)
    await returns_worker(desk).drain()  # handed to the register's late group
    # sealed under another SECRET_KEY (as after a changed key)
    await desk.store.fiscal.save_credentials(shop.shop_id, b"x", b"y", None, clock())
    await desk.run_jobs()
    [late] = await desk.store.jobs.find(kind=policy.FISCAL_LATE)
    assert "return" in late.payload
    assert late.state is JobState.PENDING and late.run_at == clock() + UNREADABLE_RETRY
    assert told(await desk.store.jobs.find(kind=NOTIFY), K.FISCAL_UNREADABLE)
    assert returns_made(fake) == []
