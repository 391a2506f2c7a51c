"""Late receipts registered at the payment's time through Checkbox's offline mode
(services/fiscal/offline.py), against the stand-in Checkbox on 127.0.0.1 and a real store:
dated at the payment, in payment order, exactly once; online and the owner told when the
payment's time can't be used; a register left offline by a crash goes online first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from services.core.crypto import SecretBox
from services.fiscal import policy
from services.fiscal.registrar import receipt_uuid
from services.fiscal.sales import RegisterOutcome
from services.notifications.jobs import NOTIFY
from services.notifications.jobs import NotificationKind as K
from storage.models.fiscal import FiscalMode, FiscalSettingsChanges, FiscalState
from storage.models.offline import RegisterMode
from storage.models.receipts import Receipt
from storage.models.shops import Member, Role
from storage.sqlite.store import SqliteStore
from tests.builders import OWNER_ID, Shop
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal_fixtures import LICENSE, Desk, awaiting_receipt, make_desk

F = FiscalState
SELL = "/api/v1/receipts/sell"
SELL_OFFLINE = "/api/v1/receipts/sell-offline"
GO_OFFLINE = "/api/v1/cash-registers/go-offline"
GO_ONLINE = "/api/v1/cash-registers/go-online"


@pytest.fixture
def clock() -> FakeClock:
    # a minute ahead of the stand-in's own clock, which dates the online documents
    return FakeClock(datetime.now(UTC) + timedelta(minutes=1))


@pytest.fixture
def fake(fake: FakeCheckbox) -> FakeCheckbox:
    fake.hang_seconds = 2
    return fake


async def pay(desk: Desk, shop: Shop, paid_at: datetime | None = None) -> Receipt:
    receipt = await awaiting_receipt(desk.store, shop, desk.clock())
    return await desk.pay(receipt, paid_at=paid_at or desk.clock())


async def first_sale_online(desk: Desk, shop: Shop, fake: FakeCheckbox) -> Receipt:
    """A receipt registered at once, online: the register's offline codes come after it."""
    receipt = await pay(desk, shop)
    await desk.run_jobs()
    done = await desk.store.receipts.get(receipt.id)
    assert done is not None and done.fiscal_state is F.REGISTERED
    assert not fake.receipts[receipt_uuid(done.order_id)].offline
    assert await desk.store.offline.unused_codes(shop.shop_id) >= 10
    return done


async def reread(desk: Desk, receipt: Receipt) -> Receipt:
    again = await desk.store.receipts.get(receipt.id)
    assert again is not None
    return again


def sold_offline(fake: FakeCheckbox) -> list[str]:
    """The ids sent to sell-offline (an answer lost in a hang has no status yet)."""
    return [r.body["id"] for r in fake.requests_to("POST", SELL_OFFLINE) if r.status in (0, 201)]


async def fiscal_details(desk: Desk, receipt: Receipt) -> list[str]:
    events = await desk.store.receipt_queries.events(receipt.id)
    return [e.detail or "" for e in events if e.fiscal_to]


async def assert_dated_at_payment(desk: Desk, fake: FakeCheckbox, receipt: Receipt) -> None:
    done = await reread(desk, receipt)
    assert done.fiscal_state is F.REGISTERED
    at_checkbox = fake.receipts[receipt_uuid(done.order_id)]
    assert at_checkbox.offline and at_checkbox.sent_at is not None
    assert at_checkbox.fiscal_date == receipt.paid_at == done.fiscal_date
    assert done.fiscal_code == at_checkbox.fiscal_code
    assert sold_offline(fake).count(at_checkbox.id) == 1
    assert [r for r in fake.sells(at_checkbox.id) if r.status == 201] == []  # never online
    assert any("offline, dated at the payment" in d for d in await fiscal_details(desk, done))


async def assert_register_online(desk: Desk, fake: FakeCheckbox, shop: Shop) -> None:
    assert not fake.offline.of(LICENSE).offline
    register = await desk.store.offline.register(shop.shop_id)
    assert register.mode is RegisterMode.ONLINE


async def not_dated_notices(desk: Desk) -> list[tuple[int, str]]:
    jobs = await desk.store.jobs.find(kind=NOTIFY)
    return [
        (int(j.payload["chat_id"]), str(j.payload["reason"]))
        for j in jobs
        if j.payload["kind"] == K.FISCAL_NOT_DATED
    ]


def test_the_route_is_dated_at_the_payment_after_five_minutes(clock: FakeClock) -> None:
    paid = clock()
    receipt = Receipt.__new__(Receipt)
    object.__setattr__(receipt, "paid_at", paid)
    assert policy.route(receipt, paid + timedelta(minutes=5)) is policy.Route.ONLINE
    assert policy.route(receipt, paid + timedelta(minutes=5, seconds=1)) is (
        policy.Route.DATED_AT_PAYMENT
    )


async def test_checkbox_down_ten_minutes_across_a_payment_dates_it_at_the_payment_once(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    fake.down = True
    late = await pay(desk, shop)
    await desk.run_jobs()
    assert (await reread(desk, late)).fiscal_error == policy.UNAVAILABLE
    clock.advance(minutes=10)
    fake.down = False
    await desk.run_jobs()
    await assert_dated_at_payment(desk, fake, late)
    await assert_register_online(desk, fake, shop)
    assert fake.offline.of(LICENSE).go_offline_calls == 1
    assert await not_dated_notices(desk) == []
    await desk.run_jobs()  # nothing more
    assert len(sold_offline(fake)) == 1


async def test_by_button_an_hour_later_is_dated_at_the_payment(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    await desk.store.fiscal.update(shop.shop_id, FiscalSettingsChanges(mode=FiscalMode.MANUAL))
    clock.advance(minutes=1)
    late = await pay(desk, shop)
    await desk.run_jobs()
    assert (await reread(desk, late)).fiscal_state is F.NOT_REGISTERED
    clock.advance(hours=1)
    owner = Member(shop.shop_id, "Shop", shop.owner_id, Role.OWNER, "Owner")
    assert await desk.fiscal.request(owner, await reread(desk, late)) is RegisterOutcome.QUEUED
    await desk.run_jobs()
    await assert_dated_at_payment(desk, fake, late)
    await assert_register_online(desk, fake, shop)


async def test_two_late_receipts_go_out_in_payment_order(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    fake.down = True
    # the one paid later is made (and its job queued) first
    later = await pay(desk, shop, paid_at=clock() + timedelta(minutes=3))
    earlier = await pay(desk, shop, paid_at=clock() + timedelta(minutes=1))
    await desk.run_jobs()
    clock.advance(minutes=15)
    fake.down = False
    await desk.run_jobs()
    for receipt in (earlier, later):
        await assert_dated_at_payment(desk, fake, receipt)
    ids = [receipt_uuid((await reread(desk, r)).order_id) for r in (earlier, later)]
    assert sold_offline(fake) == ids
    assert fake.offline.of(LICENSE).go_offline_calls == 1  # one batch
    [go] = fake.requests_to("POST", GO_OFFLINE)
    assert datetime.fromisoformat(go.body["go_offline_date"]) == earlier.paid_at
    await assert_register_online(desk, fake, shop)


async def test_no_codes_left_registers_online_and_tells_the_owner_once(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    late = await pay(desk, shop)  # no online sale before: the stock is empty
    assert await desk.store.offline.unused_codes(shop.shop_id) == 0
    clock.advance(minutes=10)
    await desk.run_jobs()
    done = await reread(desk, late)
    assert done.fiscal_state is F.REGISTERED
    at_checkbox = fake.receipts[receipt_uuid(done.order_id)]
    assert not at_checkbox.offline and len(fake.sells(at_checkbox.id)) == 1
    assert fake.requests_to("POST", GO_OFFLINE) == [] and sold_offline(fake) == []
    assert await not_dated_notices(desk) == [(OWNER_ID, "no_codes")]
    assert any("not dated at the payment (no_codes)" in d for d in await fiscal_details(desk, done))
    # asked again (a repeated job, a tap): still one notice
    await desk.store.jobs.enqueue(
        [policy.late_job(shop.shop_id, late.id, 2)], clock()
    )  # another attempt's job finds the receipt registered
    await desk.run_jobs()
    assert await not_dated_notices(desk) == [(OWNER_ID, "no_codes")]
    # the online sale refilled the stock for the next late one
    assert await desk.store.offline.unused_codes(shop.shop_id) >= 10


async def test_a_payment_before_the_registers_last_document_goes_online_and_says_so(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    old = await pay(desk, shop, paid_at=clock() - timedelta(hours=1))  # before that sale
    await desk.run_jobs()
    done = await reread(desk, old)
    assert (
        done.fiscal_state is F.REGISTERED and not fake.receipts[receipt_uuid(done.order_id)].offline
    )
    assert await not_dated_notices(desk) == [(OWNER_ID, "later_document")]


async def test_a_lost_go_online_answer_leaves_the_register_to_go_online_first_next_time(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock, store: SqliteStore,
    http: aiohttp.ClientSession, box: SecretBox,
) -> None:  # fmt: skip
    await first_sale_online(desk, shop, fake)
    late = await pay(desk, shop)
    clock.advance(minutes=10)
    fake.fail_next(503, path=GO_ONLINE)  # the batch stops between sell-offline and go-online
    await desk.run_jobs(rounds=2)
    assert fake.offline.of(LICENSE).offline
    assert (await store.offline.register(shop.shop_id)).mode is RegisterMode.OFFLINE
    waiting = await reread(desk, late)  # the owner told Checkbox is not answering
    assert (waiting.fiscal_state, waiting.fiscal_error) == (F.NOT_REGISTERED, policy.UNAVAILABLE)
    # a restart: another process's desk, later
    clock.advance(minutes=5)
    restarted = make_desk(store, http, box, fake, clock, worker_id="worker-2")
    await restarted.run_jobs()
    await assert_dated_at_payment(restarted, fake, late)
    await assert_register_online(restarted, fake, shop)
    assert len(fake.requests_to("POST", SELL_OFFLINE)) == 1  # asked, never sold again


async def test_a_lost_go_offline_answer_goes_online_first_and_sells_once(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    late = await pay(desk, shop)
    clock.advance(minutes=10)
    fake.hang_next(GO_OFFLINE, processed=True)  # offline at Checkbox, the answer lost
    await desk.run_jobs(rounds=2)
    assert (await desk.store.offline.register(shop.shop_id)).mode is RegisterMode.OFFLINE
    clock.advance(minutes=5)
    await desk.run_jobs()
    await assert_dated_at_payment(desk, fake, late)
    await assert_register_online(desk, fake, shop)
    state = fake.offline.of(LICENSE)
    assert state.go_offline_calls == 2 and state.go_online_calls >= 2


async def test_a_lost_sell_offline_answer_is_asked_before_selling_again(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    late = await pay(desk, shop)
    clock.advance(minutes=10)
    fake.hang_next(SELL_OFFLINE, processed=True)  # made at Checkbox, the answer lost
    await desk.run_jobs(rounds=2)
    clock.advance(minutes=5)
    await desk.run_jobs()
    await assert_dated_at_payment(desk, fake, late)
    await assert_register_online(desk, fake, shop)
    assert len(fake.requests_to("POST", SELL_OFFLINE)) == 1


async def test_checkbox_down_when_a_late_batch_runs_is_told_once_then_dated_at_the_payment(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    late = await pay(desk, shop)
    clock.advance(minutes=10)
    fake.down = True
    for _ in range(3):
        await desk.run_jobs()
        clock.advance(minutes=2)
    waiting = await reread(desk, late)
    assert (waiting.fiscal_state, waiting.fiscal_error) == (F.NOT_REGISTERED, policy.UNAVAILABLE)
    down = [
        j for j in await desk.store.jobs.find(kind=NOTIFY) if j.payload["kind"] == K.FISCAL_DOWN
    ]
    assert [j.payload["chat_id"] for j in down] == [OWNER_ID]
    fake.down = False
    clock.advance(minutes=15)
    await desk.run_jobs()
    await assert_dated_at_payment(desk, fake, late)
    await assert_register_online(desk, fake, shop)


async def test_the_shift_closes_only_with_the_register_online_and_its_z_report_counts(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    await first_sale_online(desk, shop, fake)
    settings = await desk.store.fiscal.get(shop.shop_id)
    assert settings is not None
    await desk.store.jobs.enqueue([policy.close_shift_job(settings, clock())], clock())
    [job] = await desk.store.jobs.find(kind=policy.FISCAL_CLOSE_SHIFT)
    await desk.store.offline.set_mode(shop.shop_id, RegisterMode.OFFLINE, clock(), clock())
    step = await desk.shifts.run_close_shift(job)
    assert step.retry_at is not None and fake.shift_of(LICENSE) is not None  # not closed
    await desk.store.offline.set_mode(shop.shop_id, RegisterMode.ONLINE, None, clock())
    assert (await desk.shifts.run_close_shift(job)).done and fake.shift_of(LICENSE) is None
    register = await desk.store.offline.register(shop.shop_id)
    assert register.last_document_at is not None and register.last_document_at > (
        fake.receipts[next(iter(fake.receipts))].fiscal_date or clock()
    )


async def test_a_sale_finding_its_register_left_offline_takes_it_online_first(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    """In the register's job group no late batch runs beside a sale: an offline mark is a
    crash's leftover, so the sale takes the register online and sells, never waits on it."""
    await first_sale_online(desk, shop, fake)
    await desk.store.offline.set_mode(shop.shop_id, RegisterMode.OFFLINE, clock(), clock())
    receipt = await pay(desk, shop)
    await desk.run_jobs()
    assert (await reread(desk, receipt)).fiscal_state is F.REGISTERED
    assert fake.offline.of(LICENSE).go_online_calls == 1
    await assert_register_online(desk, fake, shop)
    [sale] = await desk.store.jobs.find(kind=policy.FISCAL_SALE, receipt_id=receipt.id)
    assert sale.group_key == policy.register_group(shop.shop_id)
