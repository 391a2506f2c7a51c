"""The cashier's key expiry (#16, item 3), on a real SQLite store against the stand-in
Checkbox: the end read after a sign-in and daily, the owners warned 14, 3 and 1 days before,
each once per shop and certificate end, and a sale refused for the expired key kept as such."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.fiscal.errors import fiscal_error_text
from bot.fiscal.views import shop_notice
from bot.i18n import setup_i18n
from services.core.crypto import SecretBox
from services.fiscal.key_expiry import due_threshold, expired_end
from services.notifications.jobs import NOTIFY
from services.notifications.jobs import NotificationKind as K
from storage.models.fiscal import FiscalState
from storage.sqlite.store import SqliteStore
from tests.builders import Shop
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal_fixtures import LICENSE, Desk, awaiting_receipt, make_desk

DAY = timedelta(days=1)
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


async def warnings(store: SqliteStore) -> list[tuple[int, int, str]]:
    jobs = await store.jobs.find(kind=NOTIFY)
    return [
        (int(j.payload["chat_id"]), int(j.payload["days"]), str(j.payload["end"]))
        for j in jobs
        if j.payload["kind"] == K.FISCAL_KEY_EXPIRING
    ]


def test_the_nearest_threshold_reached_is_the_one_due() -> None:
    assert due_threshold(NOW + 15 * DAY, NOW) is None
    assert due_threshold(NOW + 14 * DAY, NOW) == 14
    assert due_threshold(NOW + 4 * DAY, NOW) == 14
    assert due_threshold(NOW + 3 * DAY, NOW) == 3
    assert due_threshold(NOW + 2 * DAY, NOW) == 3
    assert due_threshold(NOW + DAY, NOW) == 1
    assert due_threshold(NOW + timedelta(minutes=1), NOW) == 1
    assert due_threshold(NOW, NOW) is None  # expired: the refusal tells, not a warning


async def test_a_key_expiring_in_3_days_is_warned_once_after_the_sign_in(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, clock: FakeClock,
    http: aiohttp.ClientSession, box: SecretBox,
) -> None:  # fmt: skip
    end = NOW + 3 * DAY - timedelta(hours=1)
    fake.registers[LICENSE].certificate_end = end
    receipt = await awaiting_receipt(store, shop, clock())
    await desk.pay(receipt)
    await desk.run_jobs()
    settings = await store.fiscal.get(shop.shop_id)
    assert settings is not None and settings.certificate_end == end
    assert await warnings(store) == [(shop.owner_id, 3, end.isoformat())]
    # again, daily, from another replica, after a restart: never a second warning
    await desk.shifts.schedule_close_shifts()
    clock.advance(hours=2)
    other = make_desk(store, http, box, fake, clock, worker_id="worker-2")
    await other.shifts.schedule_close_shifts()
    await other.parts.access.key_expiry.read(settings, other.parts.access.credentials(settings))
    assert len(await warnings(store)) == 1
    # a day on, it is within 1 day: the 1-day warning, once
    clock.advance(days=2)  # 19 hours left
    await other.shifts.schedule_close_shifts()
    await other.shifts.schedule_close_shifts()
    assert [w[1] for w in await warnings(store)] == [3, 1]


async def test_only_the_nearest_warning_and_a_new_end_starts_again(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, clock: FakeClock
) -> None:
    expiry = desk.parts.access.key_expiry
    end = NOW + 2 * DAY
    assert await expiry.warn(shop.shop_id, end) == 1
    assert [w[1] for w in await warnings(store)] == [2]  # the 3-day one, saying 2 days
    assert await expiry.warn(shop.shop_id, end) == 0
    renewed = NOW + 10 * DAY  # the key was renewed: its new end is warned about anew
    assert await expiry.warn(shop.shop_id, renewed) == 1
    assert [w[2] for w in await warnings(store)] == [end.isoformat(), renewed.isoformat()]
    assert await expiry.warn(shop.shop_id, NOW + 20 * DAY) == 0
    assert await expiry.warn(shop.shop_id, None) == 0


async def test_no_certificate_end_or_no_answer_warns_nothing_and_fails_nothing(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, clock: FakeClock
) -> None:
    receipt = await awaiting_receipt(store, shop, clock())
    fake.fail_next(503, path="/api/v1/cashier/me")
    await desk.pay(receipt)
    await desk.run_jobs()
    got = await store.receipts.get(receipt.id)
    assert got is not None and got.fiscal_state is FiscalState.REGISTERED
    settings = await store.fiscal.get(shop.shop_id)
    assert settings is not None and settings.certificate_end is None
    await desk.shifts.schedule_close_shifts()  # no answer: asked again in an hour, not now
    assert len(fake.requests_to("GET", "/api/v1/cashier/me")) == 1
    clock.advance(hours=1)
    await desk.shifts.schedule_close_shifts()  # asked now; no end said
    settings = await store.fiscal.get(shop.shop_id)
    assert settings is not None and settings.certificate_checked_at == clock()
    assert settings.certificate_end is None
    assert await warnings(store) == []
    before = len(fake.requests_to("GET", "/api/v1/cashier/me"))
    await desk.shifts.schedule_close_shifts()  # read today already: not asked again
    assert len(fake.requests_to("GET", "/api/v1/cashier/me")) == before


async def test_a_sale_refused_for_the_expired_key_says_so_in_plain_words(
    desk: Desk, shop: Shop, fake: FakeCheckbox, store: SqliteStore, clock: FakeClock
) -> None:
    end = NOW - 2 * DAY
    fake.registers[LICENSE].certificate_end = end
    fake.registers[LICENSE].key_expired = True
    receipt = await awaiting_receipt(store, shop, clock())
    await desk.pay(receipt)
    await desk.run_jobs()
    got = await store.receipts.get(receipt.id)
    assert got is not None and got.fiscal_state is FiscalState.FAILED
    assert expired_end(got.fiscal_error) == (True, end)
    assert await warnings(store) == []  # past its end: no warning, the refusal tells
    i18n = setup_i18n()
    with i18n.use_locale("en"):
        assert fiscal_error_text(got.fiscal_error) == (
            "the cashier's key expired on 05.12.2026: renew it in the Checkbox cabinet"
        )
    with i18n.use_locale("uk"):
        assert "ключ касира сплив 05.12.2026" in fiscal_error_text(got.fiscal_error)


def test_the_warning_reads_in_both_languages_with_plural_forms() -> None:
    i18n = setup_i18n()
    end = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)
    with i18n.use_locale("uk"):
        three = shop_notice(K.FISCAL_KEY_EXPIRING, {"days": 3, "end": end.isoformat()})
        assert three is not None
        assert "Ключ касира Checkbox спливає через 3 дні (до 10.12.2026)" in three
        assert "Оновіть ключ КЕП у кабінеті Checkbox" in three
        one = shop_notice(K.FISCAL_KEY_EXPIRING, {"days": 1, "end": end.isoformat()})
        assert one is not None and "через 1 день" in one
        many = shop_notice(K.FISCAL_KEY_EXPIRING, {"days": 14, "end": end.isoformat()})
        assert many is not None and "через 14 днів" in many
    with i18n.use_locale("en"):
        text = shop_notice(K.FISCAL_KEY_EXPIRING, {"days": 1, "end": end.isoformat()})
        assert text is not None and "expires in 1 day (on 10.12.2026)" in text
