"""The daily reconciliation job: one per shop and Kyiv day whoever schedules it, after the
shift has closed; the owners told only when something was off or fixed, once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.jobs.kinds import Finish, Postpone
from services.notifications.jobs import NotificationKind as K
from services.reconcile.daily import (
    RECONCILE_DAILY,
    ReconcileWorker,
    daily_job,
    daily_moment,
    next_day,
)
from services.reconcile.model import FixKind, Result
from storage.models.jobs import JobState, NewJob
from storage.models.receipts import ReceiptStatus
from tests.reconcile_fixtures import ReconcileDesk


def test_the_day_is_reconciled_after_midnight_or_after_an_early_morning_shift_close() -> None:
    day = date(2026, 12, 7)
    assert daily_moment(day, None) == datetime(2026, 12, 7, 22, 15, tzinfo=UTC)  # 00:15 Kyiv
    assert daily_moment(day, 23 * 60 + 45) == datetime(2026, 12, 7, 22, 15, tzinfo=UTC)
    assert daily_moment(day, 2 * 60) == datetime(2026, 12, 8, 0, 15, tzinfo=UTC)  # 02:15 Kyiv
    summer = date(2026, 7, 1)
    assert daily_moment(summer, None) == datetime(2026, 7, 1, 21, 15, tzinfo=UTC)


async def test_each_shop_with_keys_gets_one_job_a_day_however_often_it_is_scheduled(
    desk: ReconcileDesk,
) -> None:
    daily = desk.reconcile.daily
    assert await daily.schedule() == 1
    assert await daily.schedule() == 0  # another replica, or the next look: the same job
    [job] = await desk.store.jobs.find(kind=RECONCILE_DAILY)
    day = next_day(desk.clock(), 23 * 60 + 45)  # today, but in the quarter after midnight
    assert job.payload == {"shop_id": desk.shop.shop_id, "day": day.isoformat()}
    assert job.run_at == daily_moment(day, 23 * 60 + 45)


async def due_job(desk: ReconcileDesk) -> None:
    job = daily_job(desk.shop.shop_id, desk.today, None)
    now = desk.clock()
    await desk.store.jobs.enqueue(
        [NewJob(job.kind, job.payload, run_at=now, dedupe_key=job.dedupe_key)], now
    )


async def test_a_fix_is_told_to_the_owner_once_and_the_next_day_is_scheduled(
    desk: ReconcileDesk,
) -> None:
    receipt = await desk.invoice(25050)
    await desk.liqpay.pay(receipt.order_id, callback=False)
    await due_job(desk)
    worker = ReconcileWorker(desk.reconcile.daily, worker_id="reconcile-1")

    assert await worker.drain()

    paid = await desk.store.receipts.get(receipt.id)
    assert paid is not None and paid.status is ReceiptStatus.PAID
    told = [
        j for j in await desk.store.jobs.find(kind="notify") if j.payload["kind"] == K.RECONCILE
    ]
    assert [j.payload["chat_id"] for j in told] == [desk.shop.owner_id]
    result = Result.from_payload(told[0].payload["result"])
    assert [f.kind for f in result.fixes] == [FixKind.MARKED_PAID]
    jobs = await desk.store.jobs.find(kind=RECONCILE_DAILY)
    assert [j.state for j in jobs] == [JobState.DONE, JobState.PENDING]
    assert not await worker.drain()  # the next day's is not due yet

    assert await desk.reconcile.daily.schedule() == 0
    again = await desk.reconcile.daily.run_job(jobs[0])  # claimed again after a crash
    assert isinstance(again, Finish)
    told_again = [
        j for j in await desk.store.jobs.find(kind="notify") if j.payload["kind"] == K.RECONCILE
    ]
    assert len(told_again) == 1


async def test_a_day_where_all_agrees_sends_nothing(desk: ReconcileDesk) -> None:
    await desk.paid(25050)
    await due_job(desk)
    worker = ReconcileWorker(desk.reconcile.daily, worker_id="reconcile-1")

    assert await worker.drain()

    assert await desk.notices(K.RECONCILE) == []
    kept = await desk.reconcile.reconciliation.last(desk.shop.shop_id, desk.today)
    assert kept is not None and kept.all_well


async def test_liqpay_down_postpones_the_day(desk: ReconcileDesk) -> None:
    desk.liqpay.down = True
    await due_job(desk)
    [job] = await desk.store.jobs.find(kind=RECONCILE_DAILY)

    outcome = await desk.reconcile.daily.run_job(job)

    assert isinstance(outcome, Postpone)
    assert await desk.notices(K.RECONCILE) == []


async def test_the_owners_digest_carries_the_last_reconciliation(desk: ReconcileDesk) -> None:
    from datetime import timedelta

    from services.notifications.jobs import OutboxSignal
    from services.reminders.worker import ReminderWorker

    store = desk.store
    worker = ReminderWorker(
        store.jobs, store.receipts, store.receipt_queries, store.settings, store.shops,
        None, OutboxSignal(), None, desk.clock, worker_id="reminders-1",  # type: ignore[arg-type]
        reconciled=store.reconcile,
    )  # fmt: skip
    await desk.paid(25050)
    yesterday = desk.today - timedelta(days=1)
    await desk.run(yesterday)  # the daily run after last night's shift close

    notices = await worker.digest_notices(desk.shop.shop_id, desk.today, desk.clock())

    by_chat = {n.payload["chat_id"]: n.payload for n in notices}
    owner = Result.from_payload(by_chat[desk.shop.owner_id]["reconcile"])
    assert owner.day == yesterday and owner.all_well and owner.payments == 0
    assert "reconcile" not in by_chat[desk.shop.cashier_id]
    await desk.run()  # the owner's /reconcile today: the digest tells that one
    notices = await worker.digest_notices(desk.shop.shop_id, desk.today, desk.clock())
    owner_today = next(n.payload for n in notices if n.payload["chat_id"] == desk.shop.owner_id)
    assert Result.from_payload(owner_today["reconcile"]).payments == 1
