"""The fiscal job through every failure, against the stand-in Checkbox on 127.0.0.1 and a
real SQLite store: exactly one fiscal receipt per paid invoice."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from services.core.crypto import SecretBox
from services.fiscal.access import backoff
from services.fiscal.policy import FISCAL_CLOSE_SHIFT, FISCAL_SALE, UNAVAILABLE, next_close
from services.fiscal.registrar import receipt_uuid
from services.fiscal.sales import RegisterOutcome
from services.goods.names import FALLBACK_GOODS_NAME, goods_code
from services.notifications.jobs import NotificationKind as K
from storage.models.fiscal import FiscalMode, FiscalSettingsChanges, FiscalState
from storage.models.jobs import JobState
from storage.models.receipts import Channel, ReceiptStatus
from storage.models.shops import Member, Role
from storage.sqlite.store import SqliteStore
from tests.builders import OWNER_ID, Shop
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal_fixtures import (
    LICENSE,
    Desk,
    accepted_sells,
    awaiting_receipt,
    make_desk,
    notices,
)

F = FiscalState
SELL = "/api/v1/receipts/sell"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        server.hang_seconds = 3
        yield server


def owner(shop: Shop) -> Member:
    return Member(shop.shop_id, "Shop", shop.owner_id, Role.OWNER, "Owner")


async def paid(desk: Desk, shop: Shop, **kw: object) -> int:
    receipt = await awaiting_receipt(desk.store, shop, desk.clock(), **kw)  # type: ignore[arg-type]
    moved = await desk.pay(receipt)
    assert moved.status is ReceiptStatus.PAID
    return moved.id


async def state(desk: Desk, receipt_id: int) -> FiscalState | None:
    receipt = await desk.store.receipts.get(receipt_id)
    assert receipt is not None
    return receipt.fiscal_state


# the paid transition


async def test_paying_in_auto_mode_makes_the_job_in_the_same_transaction(
    desk: Desk, shop: Shop
) -> None:
    receipt = await awaiting_receipt(desk.store, shop, desk.clock())
    moved = await desk.pay(receipt)
    assert (moved.status, moved.fiscal_state) == (ReceiptStatus.PAID, F.NOT_REGISTERED)
    assert (moved.payment_rrn, moved.payment_auth_code, moved.payment_bank) == (
        "000664267598",
        "108527",
        "pb",
    )
    await desk.pay(receipt)  # a repeated callback
    await desk.pay(moved)
    [job] = await desk.store.jobs.find(kind=FISCAL_SALE)
    assert (job.receipt_id, job.payload) == (receipt.id, {"attempt": 1})
    paid_event = (await desk.store.receipt_queries.events(receipt.id))[-1]
    assert paid_event.to_status is ReceiptStatus.PAID


async def test_manual_mode_waits_for_the_button_and_a_double_tap_makes_one_sale(
    desk: Desk, shop: Shop, fake: FakeCheckbox
) -> None:
    await desk.store.fiscal.update(shop.shop_id, FiscalSettingsChanges(mode=FiscalMode.MANUAL))
    receipt_id = await paid(desk, shop)
    assert await state(desk, receipt_id) is F.NOT_REGISTERED
    assert await desk.store.jobs.find(kind=FISCAL_SALE) == []
    receipt = await desk.store.receipts.get(receipt_id)
    assert receipt is not None
    outcomes = await asyncio.gather(
        desk.fiscal.request(owner(shop), receipt), desk.fiscal.request(owner(shop), receipt)
    )
    assert list(outcomes) == [RegisterOutcome.QUEUED, RegisterOutcome.QUEUED]
    assert len(await desk.store.jobs.find(kind=FISCAL_SALE)) == 1
    await desk.run_jobs()
    assert await state(desk, receipt_id) is F.REGISTERED
    again = await desk.store.receipts.get(receipt_id)
    assert again is not None
    assert await desk.fiscal.request(owner(shop), again) is RegisterOutcome.REGISTERED
    await desk.run_jobs()
    assert len(accepted_sells(fake)) == 1 and len(fake.sells()) == 1


async def test_no_register_or_switched_off_or_not_hryvnias_means_no_fiscal_state(
    desk: Desk, shop: Shop
) -> None:
    await desk.store.fiscal.update(shop.shop_id, FiscalSettingsChanges(enabled=False))
    off = await paid(desk, shop)
    await desk.store.fiscal.update(shop.shop_id, FiscalSettingsChanges(enabled=True))
    dollars = await paid(desk, shop, currency="USD")
    assert await state(desk, off) is None and await state(desk, dollars) is None
    assert await desk.store.jobs.find(kind=FISCAL_SALE) == []


# registering


async def test_a_paid_receipt_is_registered_once_with_what_liqpay_reported(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore
) -> None:
    receipt_id = await paid(desk, shop, channel=Channel.EMAIL)
    await desk.run_jobs()
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None and receipt.fiscal_state is F.REGISTERED
    uuid = receipt_uuid(receipt.order_id)
    checkbox_receipt = fake.receipts[uuid]
    assert receipt.fiscal_code == checkbox_receipt.fiscal_code
    assert receipt.fiscal_url == checkbox_receipt.tax_url
    assert receipt.fiscal_date is not None
    [sell] = fake.sells()
    # a receipt without stored lines (made before #15) names the shop's default goods name,
    # never its description or order id
    assert sell.body["goods"] == [
        {"good": {"code": goods_code(FALLBACK_GOODS_NAME), "name": FALLBACK_GOODS_NAME,
                  "price": 25050, "tax": [8]},
         "quantity": 1000}
    ]  # fmt: skip
    assert sell.body["payments"] == [
        {"type": "CASHLESS", "value": 25050, "label": "Платіж через інтегратора LIQPAY",
         "card_mask": "473118*97", "bank_name": "pb", "payment_system": "visa",
         "rrn": "000664267598", "auth_code": "108527", "transaction_id": "165629"}
    ]  # fmt: skip
    assert fake.emails == [(uuid, ["buyer@example.com"])]
    assert await notices(store, K.FISCAL_DONE) == [(OWNER_ID, K.FISCAL_DONE)]
    fiscal_events = [
        (e.fiscal_from, e.fiscal_to)
        for e in await store.receipt_queries.events(receipt_id)
        if e.fiscal_to
    ]
    assert fiscal_events == [(F.NOT_REGISTERED, F.REGISTERING), (F.REGISTERING, F.REGISTERED)]
    [job] = await store.jobs.find(kind=FISCAL_SALE)
    assert job.state is JobState.DONE


async def test_an_email_that_fails_is_told_and_the_receipt_stays_registered(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore
) -> None:
    fake.email_fails = True
    receipt_id = await paid(desk, shop, channel=Channel.EMAIL)
    await desk.run_jobs()
    assert await state(desk, receipt_id) is F.REGISTERED
    assert await notices(store, K.FISCAL_EMAIL_FAILED) == [(OWNER_ID, K.FISCAL_EMAIL_FAILED)]


async def test_checkbox_down_then_back_registers_exactly_once_and_tells_the_owner_once(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, clock: FakeClock
) -> None:
    fake.down = True
    receipt_id = await paid(desk, shop)
    for _ in range(3):
        await desk.run_jobs()
        receipt = await store.receipts.get(receipt_id)
        assert receipt is not None
        assert (receipt.fiscal_state, receipt.fiscal_error) == (F.NOT_REGISTERED, UNAVAILABLE)
        [job] = await store.jobs.find(kind=FISCAL_SALE)
        assert job.state is JobState.PENDING and job.run_at > clock()
        clock.advance(seconds=(job.run_at - clock()).total_seconds() + 1)
    assert await notices(store, K.FISCAL_DOWN) == [(OWNER_ID, K.FISCAL_DOWN)]
    fake.down = False
    await desk.run_jobs()
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None
    assert (receipt.fiscal_state, receipt.fiscal_error) == (F.REGISTERED, None)
    assert len(accepted_sells(fake)) == 1
    assert [r.status for r in fake.sells()].count(201) == 1


async def test_a_hanging_sell_that_went_through_is_found_not_sold_again(
    desk: Desk, shop: Shop, fake: FakeCheckbox
) -> None:
    fake.hang_next(SELL, processed=True)
    receipt_id = await paid(desk, shop)
    await desk.run_jobs()
    assert await state(desk, receipt_id) is F.REGISTERED
    assert len(fake.sells()) == 1 and len(accepted_sells(fake)) == 1


async def test_a_hang_that_never_reached_checkbox_is_retried_and_sold_once(
    desk: Desk, shop: Shop, fake: FakeCheckbox, clock: FakeClock
) -> None:
    fake.hanging = True
    receipt_id = await paid(desk, shop)
    await desk.run_jobs()
    assert await state(desk, receipt_id) is F.NOT_REGISTERED
    fake.hanging = False
    fake.release()
    clock.advance(minutes=1)
    await desk.run_jobs()
    assert await state(desk, receipt_id) is F.REGISTERED
    assert len(accepted_sells(fake)) == 1


async def test_a_tax_service_error_fails_with_its_message_and_retry_takes_attempt_two(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore
) -> None:
    fake.receipt_error = "Помилка ДПС: невірний код товару"
    receipt_id = await paid(desk, shop)
    await desk.run_jobs()
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None
    assert (receipt.fiscal_state, receipt.fiscal_error, receipt.fiscal_attempt) == (
        F.FAILED,
        "Помилка ДПС: невірний код товару",
        1,
    )
    assert await notices(store, K.FISCAL_FAILED) == [(OWNER_ID, K.FISCAL_FAILED)]
    fake.receipt_error = None
    taps = await asyncio.gather(
        desk.fiscal.request(owner(shop), receipt), desk.fiscal.request(owner(shop), receipt)
    )
    assert list(taps) == [RegisterOutcome.QUEUED] * 2
    await desk.run_jobs()
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None
    assert (receipt.fiscal_state, receipt.fiscal_attempt) == (F.REGISTERED, 2)
    assert list(fake.receipts) == [
        receipt_uuid(receipt.order_id, 1),
        receipt_uuid(receipt.order_id, 2),
    ]
    assert fake.receipts[receipt_uuid(receipt.order_id, 2)].status == "DONE"


async def test_a_shift_closed_elsewhere_is_opened_again_and_the_sale_made(
    desk: Desk, shop: Shop, fake: FakeCheckbox
) -> None:
    first = await paid(desk, shop)
    await desk.run_jobs()
    assert await state(desk, first) is F.REGISTERED
    fake.close_shift_now(LICENSE)
    second = await paid(desk, shop)
    await desk.run_jobs()
    assert await state(desk, second) is F.REGISTERED
    assert [r.status for r in fake.sells()] == [201, 400, 201]
    assert len(fake.requests_to("POST", "/api/v1/shifts")) == 2


async def test_an_invalid_token_signs_in_again_and_the_token_is_kept_for_restarts(
    desk: Desk,
    shop: Shop,
    fake: FakeCheckbox,
    store: SqliteStore,
    box: SecretBox,
    http: aiohttp.ClientSession,
    clock: FakeClock,
) -> None:
    await paid(desk, shop)
    await desk.run_jobs()
    assert len(fake.sign_ins) == 1
    fake.invalidate_tokens()
    second = await paid(desk, shop)
    await desk.run_jobs()
    assert await state(desk, second) is F.REGISTERED
    assert len(fake.sign_ins) == 2
    settings = await store.fiscal.get(shop.shop_id)
    assert settings is not None and settings.token_enc is not None
    token = box.decrypt(settings.token_enc)
    assert token in fake.tokens and token.encode() not in settings.token_enc
    restarted = make_desk(store, http, box, fake, clock, worker_id="after-restart")
    third = await paid(restarted, shop)
    await restarted.run_jobs()
    assert await state(restarted, third) is F.REGISTERED
    assert len(fake.sign_ins) == 2  # the kept token, not a new sign-in


async def test_a_wrong_pin_fails_in_plain_words_with_retry(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore
) -> None:
    fake.registers[LICENSE].pin = "0000"  # changed in the cabinet
    receipt_id = await paid(desk, shop)
    await desk.run_jobs()
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None and receipt.fiscal_state is F.FAILED
    assert receipt.fiscal_error == "Невірний ПІН-код або ліцензійний ключ"
    assert accepted_sells(fake) == []


async def test_two_workers_claiming_make_one_sale(
    store: SqliteStore,
    http: aiohttp.ClientSession,
    box: SecretBox,
    fake: FakeCheckbox,
    clock: FakeClock,
    shop: Shop,
) -> None:
    one = make_desk(store, http, box, fake, clock, worker_id="one")
    two = make_desk(store, http, box, fake, clock, worker_id="two")
    ids = [await paid(one, shop) for _ in range(3)]
    await asyncio.gather(one.run_jobs(), two.run_jobs())
    assert [await state(one, i) for i in ids] == [F.REGISTERED] * 3
    assert len(accepted_sells(fake)) == 3
    assert [r.status for r in fake.sells()] == [201] * 3


async def test_a_worker_killed_mid_sale_is_followed_by_one_that_finds_the_receipt(
    store: SqliteStore,
    http: aiohttp.ClientSession,
    box: SecretBox,
    fake: FakeCheckbox,
    clock: FakeClock,
    shop: Shop,
) -> None:
    fake.receipt_done_polls = 1000  # the tax service takes its time
    first = make_desk(store, http, box, fake, clock, worker_id="killed")
    receipt_id = await paid(first, shop)
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None
    path = f"/api/v1/receipts/{receipt_uuid(receipt.order_id)}"
    running = asyncio.create_task(first.run_jobs())
    sell = await fake.wait_for_request("POST", SELL)
    await fake.wait_for_request("GET", path, after=fake.requests.index(sell) + 1)
    running.cancel()  # the process dies between the sale and DONE
    with pytest.raises(asyncio.CancelledError):
        await running
    assert len(accepted_sells(fake)) == 1 and await state(first, receipt_id) is F.REGISTERING
    fake.receipt_done_polls = 1
    second = make_desk(store, http, box, fake, clock, worker_id="next")
    await second.run_jobs()
    assert await state(second, receipt_id) is F.REGISTERING  # the lease still holds
    clock.advance(minutes=4)  # the killed worker's lease runs out
    await second.run_jobs()
    assert await state(second, receipt_id) is F.REGISTERED
    assert len(fake.sells()) == 1


# closing the shift


async def test_the_shift_is_closed_at_its_time_with_the_days_total(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, clock: FakeClock
) -> None:
    for _ in range(2):
        await paid(desk, shop)
    await desk.run_jobs()
    assert await desk.shifts.schedule_close_shifts() == 1
    assert await desk.shifts.schedule_close_shifts() == 0
    [job] = await store.jobs.find(kind=FISCAL_CLOSE_SHIFT)
    day, moment = next_close(23 * 60 + 45, clock())
    assert job.run_at == moment and job.payload["day"] == day.isoformat()
    await desk.run_jobs()
    assert fake.shift_of(LICENSE) is not None  # not yet
    clock.advance(seconds=(moment - clock()).total_seconds() + 1)
    await desk.run_jobs()
    assert fake.shift_of(LICENSE) is None
    [notice] = [j for j in await store.jobs.find(kind="notify") if j.receipt_id is None]
    assert notice.payload["kind"] == K.FISCAL_SHIFT_CLOSED
    assert (notice.payload["count"], notice.payload["amount"]) == (2, 2 * 25050)
    pending = await store.jobs.find(kind=FISCAL_CLOSE_SHIFT, state=JobState.PENDING)
    [tomorrow] = pending
    assert tomorrow.run_at > moment + timedelta(hours=23)


def test_the_close_time_is_kyiv_wall_clock_across_dst() -> None:
    # 23:45 Kyiv is 20:45 UTC in summer (UTC+3), 21:45 UTC in winter (UTC+2)
    summer = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # the day clocks went forward
    assert next_close(23 * 60 + 45, summer)[1] == datetime(2026, 3, 29, 20, 45, tzinfo=UTC)
    winter = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)  # the day clocks went back
    assert next_close(23 * 60 + 45, winter)[1] == datetime(2026, 10, 25, 21, 45, tzinfo=UTC)
    late = datetime(2026, 10, 25, 21, 50, tzinfo=UTC)  # past it: tomorrow
    day, moment = next_close(23 * 60 + 45, late)
    assert (day.isoformat(), moment) == ("2026-10-26", datetime(2026, 10, 26, 21, 45, tzinfo=UTC))


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [15, 30, 60]
    assert backoff(50) == timedelta(minutes=15)


async def test_a_running_job_keeps_its_lease_so_no_other_worker_takes_it(
    store: SqliteStore,
    http: aiohttp.ClientSession,
    box: SecretBox,
    fake: FakeCheckbox,
    clock: FakeClock,
    shop: Shop,
) -> None:
    fake.receipt_done_polls = 40  # the tax service answers after a while
    lease = timedelta(seconds=0.6)
    busy = make_desk(store, http, box, fake, clock, worker_id="busy", lease=lease)
    other = make_desk(store, http, box, fake, clock, worker_id="other", lease=lease)
    receipt_id = await paid(busy, shop)
    running = asyncio.create_task(busy.run_jobs())
    await fake.wait_for_request("POST", SELL)
    taken = []
    while not running.done():
        clock.advance(seconds=0.1)  # the lease would run out within a second without renewal
        taken.append(await other.worker.drain())
        await asyncio.sleep(0.05)
    await running
    assert await state(busy, receipt_id) is F.REGISTERED
    assert len(taken) > 10 and not any(taken)


async def test_a_sale_whose_lease_went_to_another_worker_is_stopped(
    store: SqliteStore,
    http: aiohttp.ClientSession,
    box: SecretBox,
    fake: FakeCheckbox,
    clock: FakeClock,
    shop: Shop,
) -> None:
    from tests.fiscal.test_fiscal_returns import LeaseTakenElsewhere

    fake.hang_next(SELL)  # the answer would come only after 3 s
    busy = make_desk(store, http, box, fake, clock, lease=timedelta(seconds=0.3))
    busy.worker.runner.jobs = LeaseTakenElsewhere(store.jobs)
    receipt_id = await paid(busy, shop)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await busy.worker.drain()
    assert loop.time() - began < 2  # stopped at the first renewal, not after the answer
    fake.release()
    [job] = await store.jobs.find(kind=FISCAL_SALE)
    assert job.finished_at is None  # left to the worker that holds it now
    assert await state(busy, receipt_id) is F.REGISTERING


# the notices go out through the outbox


async def test_fiscal_notices_are_sent_by_the_outbox_with_their_buttons_and_plurals(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, clock: FakeClock
) -> None:
    from aiogram import Bot
    from aiogram.methods import SendMessage

    from bot.i18n import setup_i18n
    from bot.outbox.sender import OutboxSender
    from services.notifications.jobs import OutboxSignal, notify_job
    from tests.doubles.recording_bot import RecordingSession

    setup_i18n()
    session = RecordingSession()
    bot = Bot(token="42:TEST-TOKEN-FOR-TESTS-ONLY", session=session)
    outbox = OutboxSender(
        store.jobs, store.receipts, store.users, bot, OutboxSignal(), clock,
        per_chat_interval=0, global_rate=10_000,
    )  # fmt: skip
    fake.receipt_error = "Помилка ДПС"
    await paid(desk, shop)
    await desk.run_jobs()
    await store.users.set_language(OWNER_ID, "uk")
    kind = K.FISCAL_SHIFT_CLOSED
    await store.jobs.enqueue(
        [
            notify_job(OWNER_ID, kind, count=n, amount=25050 * n, day="2026-12-01")
            for n in (1, 2, 5)
        ],
        clock(),
    )
    await outbox.drain()
    sent = [m for m in session.requests if isinstance(m, SendMessage) and m.chat_id == OWNER_ID]
    texts = [str(m.text) for m in sent]
    failed = [m for m in sent if "відмовила у фіскальному чеку: Помилка ДПС" in str(m.text)]
    assert len(failed) == 1
    markup = failed[0].reply_markup
    assert markup is not None
    assert [b.text for row in markup.inline_keyboard for b in row] == [
        "🔁 Повторити фіскальний чек"
    ]  # type: ignore[union-attr]
    closed = [t for t in texts if "Z-звіт" in t]
    assert closed == [
        "🔒 Зміну Checkbox закрито (Z-звіт): 1 фіскальний чек на 250,50\xa0UAH.",
        "🔒 Зміну Checkbox закрито (Z-звіт): 2 фіскальні чеки на 501,00\xa0UAH.",
        "🔒 Зміну Checkbox закрито (Z-звіт): 5 фіскальних чеків на 1\xa0252,50\xa0UAH.",
    ]


# a refusal without Checkbox's own words is told in the reader's language

LATIN_WORD = re.compile(r"\b(?!(?:Checkbox|UAH)\b)[A-Za-z_]{3,}\b")


def latin_words(text: str) -> list[str]:
    """English fragments in a Ukrainian text (Checkbox, HTML tags and links aside)."""
    return LATIN_WORD.findall(re.sub(r"<[^>]*>", "", text))


@pytest.mark.parametrize(
    ("setup", "ukrainian"),
    [
        ("shift_open_error", "зміна Checkbox закрилася замість відкриття"),
        ("receipt_error", "податкова повернула помилку без пояснення"),
    ],
)
async def test_a_refusal_without_words_is_shown_in_ukrainian(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, setup: str, ukrainian: str
) -> None:
    from bot.fiscal.views import fiscal_line, fiscal_notice
    from bot.i18n import setup_i18n

    setup_i18n()
    setattr(fake, setup, "")  # the shift or the receipt fails, Checkbox says nothing why
    receipt_id = await paid(desk, shop)
    await desk.run_jobs()
    receipt = await store.receipts.get(receipt_id)
    assert receipt is not None and receipt.fiscal_state is F.FAILED
    line = fiscal_line(receipt, "uk")
    notice = fiscal_notice(K.FISCAL_FAILED, receipt, "uk")
    assert line is not None and notice is not None
    for text in (line, notice):
        assert ukrainian in text
        assert latin_words(text) == [], text
    assert "the shift closed" not in (receipt.fiscal_error or "")


async def test_refusal_reasons_and_return_failures_read_in_ukrainian(
    desk: Desk, shop: Shop, store: SqliteStore
) -> None:
    from bot.fiscal.texts import refused_text
    from bot.i18n import setup_i18n
    from bot.refunds.notices import refund_notice
    from services.fiscal.registrar import FiscalRefused, FiscalStatus, RefusalReason

    i18n = setup_i18n()
    with i18n.use_locale("uk"):
        for reason in RefusalReason:
            text = refused_text(FiscalRefused(reason, ""))
            assert latin_words(text) == [], text
        assert "Помилка ДПС" in refused_text(FiscalRefused(RefusalReason.OTHER, "Помилка ДПС"))
    receipt = await store.receipts.get(await paid(desk, shop))
    assert receipt is not None
    statuses = [FiscalStatus.ERROR.value, FiscalStatus.CANCELLED.value, "ERROR"]
    for stored in [*(r.value for r in RefusalReason), *statuses, ""]:
        payload = {"amount": 5000, "total": 5000, "message": stored}
        notice = refund_notice(K.FISCAL_RETURN_FAILED, payload, receipt, "uk")
        assert notice is not None and latin_words(notice) == [], notice


async def test_a_first_sale_is_sold_without_looking_for_it_first(
    desk: Desk, shop: Shop, fake: FakeCheckbox
) -> None:
    """Nothing can exist under a never-tried order's id: the sale is not delayed by a look
    (a retried or taken-over one looks first: the tests above)."""
    receipt_id = await paid(desk, shop)
    await desk.run_jobs()
    assert await state(desk, receipt_id) is F.REGISTERED
    calls = [(r.method, r.path) for r in fake.requests if r.path.startswith("/api/v1/receipts")]
    assert calls[0] == ("POST", "/api/v1/receipts/sell")
    assert len(fake.sells()) == 1
