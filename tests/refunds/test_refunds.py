"""Refunds against the stand-in LiqPay on 127.0.0.1 and a real SQLite store: exactly one
LiqPay refund per confirmation through double taps, timeouts and restarts; the refunded
sum from our refunds, the cabinet's, callbacks and status answers, each told once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from services.core.crypto import SecretBox
from services.core.money import AmountError
from services.notifications.jobs import NOTIFY, NotificationKind
from services.receipts.state import PaymentReport
from services.refunds.problems import RefundProblem, RefundRefused
from services.refunds.service import REFUND_RESOLVE, resolve_job
from storage.models.jobs import Job
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.refunds import NewRefund, RefundState
from storage.sqlite.store import SqliteStore
from tests.builders import CASHIER_ID, OWNER_ID, PUBLIC_KEY
from tests.conftest import FakeClock
from tests.doubles.liqpay import FakeLiqPay
from tests.refund_fixtures import RefundDesk, make_refund_desk

S = ReceiptStatus
R = RefundState


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def fake() -> AsyncIterator[FakeLiqPay]:
    async with FakeLiqPay() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def desk(
    store: SqliteStore, http: aiohttp.ClientSession, box: SecretBox, fake: FakeLiqPay,
    clock: FakeClock,
) -> RefundDesk:  # fmt: skip
    return await make_refund_desk(store, http, box, fake, clock)


async def test_over_refund_is_refused_before_liqpay(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    with pytest.raises(RefundRefused) as refused:
        await desk.refunds.refund(desk.owner, paid, paid.amount + 1, "k1", paid.refunded_amount)
    assert refused.value.problem is RefundProblem.TOO_MUCH
    with pytest.raises(RefundRefused):
        desk.refunds.parse("250,51", paid)
    assert desk.fake.requests_for("refund") == []
    assert await desk.store.refunds.for_receipt(paid.id) == []


@pytest.mark.parametrize(("text", "reason"), [("0", "zero"), ("-5", "negative"), ("abc", "format")])
async def test_zero_negative_and_garbage_are_refused(
    desk: RefundDesk, text: str, reason: str
) -> None:
    paid = await desk.paid_receipt()
    with pytest.raises(AmountError) as refused:
        desk.refunds.parse(text, paid)
    assert refused.value.reason == reason
    assert desk.refunds.parse("100,50", paid) == 10050


async def test_a_cashier_can_not_refund(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    with pytest.raises(RefundRefused) as refused:
        await desk.refunds.refund(desk.cashier, paid, 100, "k1", paid.refunded_amount)
    assert refused.value.problem is RefundProblem.NOT_OWNER
    assert desk.fake.requests_for("refund") == []


async def test_double_tap_is_one_liqpay_refund(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    first, second = await asyncio.gather(
        desk.refunds.refund(desk.owner, paid, 10000, "tap", paid.refunded_amount),
        desk.refunds.refund(desk.owner, paid, 10000, "tap", paid.refunded_amount),
    )
    third = await desk.refunds.refund(desk.owner, paid, 10000, "tap", paid.refunded_amount)
    assert len(desk.fake.requests_for("refund")) == 1
    assert first.refund.id == second.refund.id == third.refund.id
    assert third.repeated and third.refund.state is R.DONE
    receipt = await desk.store.receipts.get(paid.id)
    assert receipt is not None and receipt.refunded_amount == 10000
    assert receipt.status is S.PAID  # partly refunded


async def test_a_second_refund_while_one_is_in_flight_is_refused(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    desk.fake.hang_next_refund(1.0, applied=False)
    first = asyncio.create_task(
        desk.refunds.refund(desk.owner, paid, 100, "a", paid.refunded_amount)
    )
    await desk.fake.wait_for_request("refund")
    with pytest.raises(RefundRefused) as refused:
        await desk.refunds.refund(desk.owner, paid, 100, "b", paid.refunded_amount)
    assert refused.value.problem is RefundProblem.IN_FLIGHT
    await first
    assert len(desk.fake.requests_for("refund")) == 1


async def test_an_older_confirmation_refunds_nothing_once_the_receipt_changed(
    desk: RefundDesk,
) -> None:
    """Two confirmations made while nothing was refunded (the amount typed twice): after
    the first one's refund is done, the older one's tap sends nothing to LiqPay."""
    paid = await desk.paid_receipt()
    first = await desk.refunds.refund(desk.owner, paid, 10000, "a", 0)
    assert first.refund.state is R.DONE
    with pytest.raises(RefundRefused) as refused:
        await desk.refunds.refund(desk.owner, first.receipt, 10000, "b", 0)
    assert refused.value.problem is RefundProblem.CHANGED
    with pytest.raises(RefundRefused) as stale:  # the receipt as the handler loaded it before
        await desk.refunds.refund(desk.owner, paid, 10000, "c", 0)
    assert stale.value.problem is RefundProblem.CHANGED
    assert len(desk.fake.requests_for("refund")) == 1
    receipt = await desk.store.receipts.get(paid.id)
    assert receipt is not None and receipt.refunded_amount == 10000
    assert await desk.store.refunds.by_key("b") is None


async def test_timeout_asks_status_and_never_refunds_twice(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    desk.fake.hang_next_refund(2.0, applied=True)  # made, but the answer comes too late
    result = await desk.refunds.refund(desk.owner, paid, 5000, "k", paid.refunded_amount)
    assert result.refund.state is R.DONE
    assert len(desk.fake.requests_for("refund")) == 1
    assert desk.fake.requests_for("status")  # asked before anything else
    receipt = await desk.store.receipts.get(paid.id)
    assert receipt is not None and receipt.refunded_amount == 5000


async def test_timeout_without_the_refund_stays_unknown_and_is_never_resent(
    desk: RefundDesk,
) -> None:
    paid = await desk.paid_receipt()
    desk.fake.hang_next_refund(2.0, applied=False)
    result = await desk.refunds.refund(desk.owner, paid, 5000, "k", paid.refunded_amount)
    assert result.refund.state is R.UNKNOWN
    [job] = await desk.store.jobs.find(kind=REFUND_RESOLVE)
    for _ in range(3):  # the job's runs ask status; none sends the refund again
        step = await desk.refunds.run_job(job)
        assert step.retry_at is not None
    assert len(desk.fake.requests_for("refund")) == 1
    # days later, still nothing at LiqPay: not refunded, the owner is told, a new one allowed
    desk.clock.advance(days=3)
    assert (await desk.refunds.run_job(job)).retry_at is None
    refund = await desk.store.refunds.by_key("k")
    assert refund is not None and refund.state is R.FAILED
    again = await desk.refunds.refund(desk.owner, paid, 5000, "k2", paid.refunded_amount)
    assert again.refund.state is R.DONE
    assert len(desk.fake.requests_for("refund")) == 2


async def unknown_refund(desk: RefundDesk) -> Receipt:
    """A paid receipt whose refund's answer was lost: UNKNOWN, its job pending."""
    paid = await desk.paid_receipt()
    desk.fake.hang_next_refund(2.0, applied=False)
    result = await desk.refunds.refund(desk.owner, paid, 5000, "k", 0)
    assert result.refund.state is R.UNKNOWN
    return paid


def notices_of(jobs: list[Job], kind: str) -> list[tuple[int, int, int]]:
    return [
        (int(j.payload["chat_id"]), int(j.payload["amount"]), int(j.payload.get("days", 0)))
        for j in jobs
        if j.payload["kind"] == kind
    ]


async def test_days_of_liqpay_outage_keep_the_refund_unknown_and_tell_the_owner_once(
    desk: RefundDesk,
) -> None:
    """No `status` answer ever showed the money not back: giving up would let a second
    refund go back. It stays UNKNOWN, is checked on, and the owner is told once to look in
    the LiqPay cabinet."""
    paid = await unknown_refund(desk)
    [job] = await desk.store.jobs.find(kind=REFUND_RESOLVE)
    desk.clock.advance(days=3)
    desk.fake.fail_next(503, times=3 * 2)  # 3 runs, each asking status twice: all lost
    for _ in range(3):
        assert (await desk.refunds.run_job(job)).retry_at is not None
    refund = await desk.store.refunds.by_key("k")
    assert refund is not None and refund.state is R.UNKNOWN
    jobs = await desk.store.jobs.find(kind=NOTIFY)
    assert notices_of(jobs, NotificationKind.REFUND_UNKNOWN) == [(OWNER_ID, 5000, 3)]
    assert [j.receipt_id for j in jobs if j.payload["kind"] == "refund_unknown"] == [paid.id]
    assert notices_of(jobs, NotificationKind.REFUND_FAILED) == []
    with pytest.raises(RefundRefused) as refused:
        await desk.refunds.refund(desk.owner, paid, 5000, "k2", 0)
    assert refused.value.problem is RefundProblem.IN_FLIGHT
    assert len(desk.fake.requests_for("refund")) == 1
    # once LiqPay answers without the money back, the refund is not made after all
    assert (await desk.refunds.run_job(job)).retry_at is None
    failed = await desk.store.refunds.by_key("k")
    assert failed is not None and (failed.state, failed.error) == (R.FAILED, "not_refunded")


async def test_unreadable_keys_for_days_keep_the_refund_unknown(desk: RefundDesk) -> None:
    await unknown_refund(desk)
    await desk.store.settings.save_keys(
        desk.shop.shop_id, PUBLIC_KEY, b"not sealed by this bot", True, desk.clock()
    )
    [job] = await desk.store.jobs.find(kind=REFUND_RESOLVE)
    desk.clock.advance(days=3)
    assert (await desk.refunds.run_job(job)).retry_at is not None
    refund = await desk.store.refunds.by_key("k")
    assert refund is not None and refund.state is R.UNKNOWN
    jobs = await desk.store.jobs.find(kind=NOTIFY)
    assert notices_of(jobs, NotificationKind.REFUND_UNKNOWN) == [(OWNER_ID, 5000, 3)]


async def test_partial_then_the_rest_ends_refunded_and_tells_each_once(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    await desk.refunds.refund(desk.owner, paid, 5050, "one", paid.refunded_amount)
    partly = await desk.store.receipts.get(paid.id)
    assert partly is not None and (partly.status, partly.refundable) == (S.PAID, 20000)
    await asyncio.sleep(0.1)  # LiqPay's callback after a refund would come now: none set
    rest = await desk.refunds.refund(
        desk.owner, partly, partly.refundable, "two", partly.refunded_amount
    )
    assert rest.receipt.status is S.REFUNDED and rest.receipt.refunded_amount == paid.amount
    assert desk.fake.order(paid.order_id).status == "reversed"
    assert await desk.refund_notices() == [
        (CASHIER_ID, 5050, 5050),
        (OWNER_ID, 5050, 5050),
        (CASHIER_ID, 20000, 25050),
        (OWNER_ID, 20000, 25050),
    ]
    # LiqPay's callbacks and status answers afterwards change nothing
    assert await desk.callback(paid) == "unchanged"
    await desk.receipts.refresh(rest.receipt)
    assert len(await desk.refund_notices()) == 4
    with pytest.raises(RefundRefused) as refused:
        await desk.refunds.refund(
            desk.owner, rest.receipt, 1, "three", rest.receipt.refunded_amount
        )
    assert refused.value.problem is RefundProblem.NOT_PAID


async def test_a_cabinet_refund_callback_updates_the_sum_once(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    await desk.fake.refund(paid.order_id, amount="100")  # in LiqPay's cabinet
    assert await desk.callback(paid) == "applied"
    assert await desk.callback(paid) == "unchanged"
    receipt = await desk.store.receipts.get(paid.id)
    assert receipt is not None and (receipt.status, receipt.refunded_amount) == (S.PAID, 10000)
    assert await desk.refund_notices() == [(CASHIER_ID, 10000, 10000), (OWNER_ID, 10000, 10000)]
    await desk.fake.refund(paid.order_id)  # the rest: the payment turns reversed
    assert await desk.callback(paid) == "applied"
    receipt = await desk.store.receipts.get(paid.id)
    assert receipt is not None and receipt.status is S.REFUNDED
    assert receipt.refunded_amount == paid.amount
    assert len(await desk.refund_notices()) == 4


async def test_a_reversed_status_without_refund_amount_is_a_full_refund(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    report = PaymentReport("reversed", paid.amount, "UAH", paid.payment_id, None, None)
    applied = await desk.receipts.apply(paid, report, EventSource.POLL)
    assert applied.applied and applied.receipt.status is S.REFUNDED
    assert applied.receipt.refunded_amount == paid.amount
    assert not (await desk.receipts.apply(applied.receipt, report, EventSource.POLL)).applied


async def test_a_restart_sends_a_reserved_refund_once(desk: RefundDesk) -> None:
    """The process died after reserving (LiqPay never asked): the job sends it, once."""
    paid = await desk.paid_receipt()
    refund, _ = await desk.store.refunds.reserve(
        NewRefund(paid.id, 700, "crash", desk.shop.owner_id, 0), desk.clock(),
        [resolve_job("crash", desk.clock())],
    )  # fmt: skip
    assert refund is not None
    [job] = await desk.store.jobs.find(kind=REFUND_RESOLVE)
    assert (await desk.refunds.run_job(job)).retry_at is None
    assert (await desk.refunds.run_job(job)).retry_at is None
    assert len(desk.fake.requests_for("refund")) == 1
    settled = await desk.store.refunds.get(refund.id)
    assert settled is not None and settled.state is R.DONE


async def test_unreadable_keys_fail_a_restarted_refund_by_its_code_and_tell_why(
    desk: RefundDesk,
) -> None:
    """LiqPay never asked: the refund is FAILED with a problem code (no class name), and the
    owner's notice carries that code to be told in their language."""
    paid = await desk.paid_receipt()
    refund, _ = await desk.store.refunds.reserve(
        NewRefund(paid.id, 700, "crash", desk.shop.owner_id, 0), desk.clock(),
        [resolve_job("crash", desk.clock())],
    )  # fmt: skip
    assert refund is not None
    await desk.store.settings.save_keys(
        desk.shop.shop_id, PUBLIC_KEY, b"not sealed by this bot", True, desk.clock()
    )
    [job] = await desk.store.jobs.find(kind=REFUND_RESOLVE)
    assert (await desk.refunds.run_job(job)).retry_at is None
    failed = await desk.store.refunds.get(refund.id)
    assert failed is not None and (failed.state, failed.error) == (R.FAILED, "keys_unreadable")
    assert desk.fake.requests_for("refund") == []
    [notice] = [
        j.payload
        for j in await desk.store.jobs.find(kind=NOTIFY)
        if j.payload["kind"] == NotificationKind.REFUND_FAILED
    ]
    assert (notice["chat_id"], notice["problem"]) == (desk.shop.owner_id, "keys_unreadable")


async def test_a_restart_resolves_a_sent_refund_by_status(desk: RefundDesk) -> None:
    """The process died while LiqPay was asked: the job asks status, never sends again."""
    paid = await desk.paid_receipt()
    from services.refunds.service import resolve_job

    refund, _ = await desk.store.refunds.reserve(
        NewRefund(paid.id, 700, "crash", desk.shop.owner_id, 0), desk.clock(),
        [resolve_job("crash", desk.clock())],
    )  # fmt: skip
    assert refund is not None
    await desk.store.refunds.move(refund.id, expected=[R.RESERVED], new=R.SENT, now=desk.clock())
    await desk.fake.refund(paid.order_id, amount="7")  # what the dead process's call did
    [job] = await desk.store.jobs.find(kind=REFUND_RESOLVE)
    assert (await desk.refunds.run_job(job)).retry_at is None
    assert desk.fake.requests_for("refund") == []
    settled = await desk.store.refunds.get(refund.id)
    assert settled is not None and settled.state is R.DONE
    receipt = await desk.store.receipts.get(paid.id)
    assert receipt is not None and receipt.refunded_amount == 700
    assert len(await desk.refund_notices()) == 2


async def test_liqpay_refusal_fails_the_refund_and_changes_nothing(desk: RefundDesk) -> None:
    paid = await desk.paid_receipt()
    desk.fake.fail_next_refund(200, {"result": "error", "status": "error", "err_code": "limit"})
    result = await desk.refunds.refund(desk.owner, paid, 100, "k", paid.refunded_amount)
    assert (result.refund.state, result.refund.error) == (R.FAILED, "liqpay_refused:limit")
    receipt = await desk.store.receipts.get(paid.id)
    assert receipt is not None and receipt.refunded_amount == 0
    assert await desk.refund_notices() == []


@pytest.mark.parametrize(("told", "statuses"), [("cumulative", 0), ("this", 1), ("none", 2)])
async def test_a_partial_refund_answered_success_is_done_at_once_and_recorded_once(
    desk: RefundDesk, told: str, statuses: int
) -> None:
    """LiqPay answers a partial refund `success` (+ `refund_amount`): done now, from the
    answer when its sum covers the refund, else from one `status` asked at once."""
    desk.fake.partial_refund_status = "success"
    desk.fake.refund_answer_amount = told
    paid = await desk.paid_receipt()
    before = len(desk.fake.requests_for("status"))
    first = await desk.refunds.refund(desk.owner, paid, 5050, "one", paid.refunded_amount)
    assert first.refund.state is R.DONE
    assert (first.receipt.status, first.receipt.refunded_amount) == (S.PAID, 5050)
    second = await desk.refunds.refund(desk.owner, first.receipt, 1000, "two", 5050)
    assert second.refund.state is R.DONE and second.receipt.refunded_amount == 6050
    # "this" refund's sum covers only the first refund: the second asks `status`, once
    assert len(desk.fake.requests_for("status")) - before == statuses
    # LiqPay's callback and status afterwards, with the same refunds: nothing changes
    assert await desk.callback(paid) == "unchanged"
    again = await desk.receipts.refresh(second.receipt)
    assert again.refunded_amount == 6050
    assert await desk.refund_notices() == [
        (CASHIER_ID, 5050, 5050),
        (OWNER_ID, 5050, 5050),
        (CASHIER_ID, 1000, 6050),
        (OWNER_ID, 1000, 6050),
    ]
    assert len(desk.fake.requests_for("refund")) == 2
