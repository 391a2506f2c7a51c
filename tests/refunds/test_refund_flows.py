"""The owner's refund dialog through the real dispatcher, services and SQLite store, with
the stand-in LiqPay on 127.0.0.1: amounts refused clearly, a confirmation naming the amount
and the card, one LiqPay refund for a double tap, the cashier told; cashiers refused."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.receipts.keyboards import notice_keyboard, receipt_card_keyboard
from bot.ui.callbacks import RefundAction
from bot.wiring import build_dispatcher, build_services
from services.config import Settings
from services.liqpay.signing import Credentials
from services.notifications.jobs import NOTIFY, NotificationKind
from storage.models.lines import SaleLine, basket_total
from storage.models.receipts import Channel, Receipt, ReceiptStatus
from storage.models.refunds import Refund, RefundState
from tests.bot_fixtures import CASHIER, OWNER, BotWorld
from tests.builders import AMOUNT, PRIVATE_KEY, PUBLIC_KEY, Shop, make_receipt
from tests.conftest import WallClock
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.recording_bot import make_bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeLiqPay]:
    async with FakeLiqPay() as server:
        server.add_keys(PUBLIC_KEY, PRIVATE_KEY)
        yield server


@pytest.fixture
async def world(tmp_path: Path, fake: FakeLiqPay) -> AsyncIterator[BotWorld]:
    settings = Settings(
        bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
        database_path=tmp_path / "data" / "bot.sqlite3",
        liqpay_api_url=fake.api_url,
        secret_key="test-secret-key-that-is-long-enough",  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    async with aiohttp.ClientSession() as http:
        clock = WallClock()
        services = await build_services(settings, http, clock)
        bot, session = make_bot()
        dp = build_dispatcher(services, settings)
        yield BotWorld(dp, bot, session, services, settings, None, clock)  # type: ignore[arg-type]
        await services.store.close()


async def paid_receipt(
    world: BotWorld, fake: FakeLiqPay, lines: tuple[SaleLine, ...] = ()
) -> Receipt:
    """A receipt of the cashier's in a new shop, paid by card 473118*97 at the stand-in
    LiqPay: of `lines` (their total) when given, else of AMOUNT."""
    store, now = world.services.store, datetime.now(UTC)
    owner = await store.shops.create_shop(OWNER.id, "Olena", "Shop", now)
    token = f"invite-{uuid.uuid4().hex}"
    await store.shops.create_invite(owner.shop_id, token, OWNER.id, now, now + timedelta(days=1))
    await store.shops.redeem_invite(token, CASHIER.id, "Ivan", now)
    box = world.services.receipts.box
    await store.settings.save_keys(owner.shop_id, PUBLIC_KEY, box.encrypt(PRIVATE_KEY), True, now)
    receipt = await make_receipt(
        store, Shop(owner.shop_id, OWNER.id, CASHIER.id), now, channel=Channel.EMAIL,
        amount=basket_total(lines) if lines else AMOUNT, lines=lines,
    )  # fmt: skip
    await world.services.receipts.liqpay.invoice_send(
        Credentials(PUBLIC_KEY, SecretStr(PRIVATE_KEY)), order_id=receipt.order_id,
        amount=receipt.amount, currency="UAH", description="x",
        expires_at=now + timedelta(hours=1), email="buyer@example.com",
    )  # fmt: skip
    await fake.pay(receipt.order_id, card_mask="473118*97")
    paid = await world.services.receipts.refresh(receipt)
    assert paid.status is ReceiptStatus.PAID
    return paid


def start_data(receipt: Receipt) -> str:
    return RefundAction(action="start", id=receipt.id).pack()


async def test_owner_refunds_part_with_clear_refusals_and_one_liqpay_refund(
    world: BotWorld, fake: FakeLiqPay
) -> None:
    paid = await paid_receipt(world, fake)
    [start] = await world.press_data(OWNER, start_data(paid))
    assert "Refund of receipt No 1" in start and "Left to refund: <b>250,50\u00a0UAH" in start
    assert "That is not an amount" in (await world.say(OWNER, "abc"))[0]
    assert "can't be zero" in (await world.say(OWNER, "0"))[0]
    assert "can't be negative" in (await world.say(OWNER, "-1"))[0]
    assert "at most 250,50\u00a0UAH" in (await world.say(OWNER, "250,51"))[0]
    [confirm] = await world.say(OWNER, "100")
    assert "Refund <b>100,00\u00a0UAH</b> of receipt No 1" in confirm
    assert "473118*97" in confirm
    data = world.find_button(OWNER.id, "✅ Refund")
    first = await world.press_data(OWNER, data)
    second = await world.press_data(OWNER, data)  # a double tap
    assert any("went back to the customer's card 473118*97" in text for text in first)
    assert any("Partly refunded: 100,00\u00a0UAH of 250,50\u00a0UAH" in t for t in first)
    assert second  # told what became of it, never a second refund
    assert len(fake.requests_for("refund")) == 1
    assert fake.requests_for("refund")[0].payload["amount"] == "100"
    receipt = await world.services.store.receipts.get(paid.id)
    assert receipt is not None and receipt.refunded_amount == 10000
    told = [
        (j.payload["chat_id"], j.payload["kind"], j.payload.get("amount"))
        for j in await world.services.store.jobs.find(kind=NOTIFY)
    ]
    assert (CASHIER.id, "refund", 10000) in told and (OWNER.id, "refund", 10000) in told


async def test_an_older_confirm_button_refunds_nothing_and_shows_the_receipt_now(
    world: BotWorld, fake: FakeLiqPay
) -> None:
    paid = await paid_receipt(world, fake)
    await world.press_data(OWNER, start_data(paid))
    await world.say(OWNER, "100")
    older = world.find_button(OWNER.id, "✅ Refund")
    await world.press_data(OWNER, start_data(paid))  # Refund opened again, 100 typed again
    await world.say(OWNER, "100")
    newer = world.find_button(OWNER.id, "✅ Refund")
    assert older != newer
    assert any("went back" in text for text in await world.press_data(OWNER, newer))
    replies = await world.press_data(OWNER, older)
    assert any("changed since this confirmation was made" in text for text in replies)
    assert any("Partly refunded: 100,00\u00a0UAH of 250,50\u00a0UAH" in t for t in replies)
    assert len(fake.requests_for("refund")) == 1
    receipt = await world.services.store.receipts.get(paid.id)
    assert receipt is not None and receipt.refunded_amount == 10000


def test_the_largest_confirm_button_fits_telegrams_64_bytes() -> None:
    largest = RefundAction(
        action="ok", id=2**63 - 1, amount=10**9, key="f" * 16, refunded=10**9
    ).pack()
    assert len(largest.encode()) <= 64


async def test_full_refund_button(world: BotWorld, fake: FakeLiqPay) -> None:
    paid = await paid_receipt(world, fake)
    await world.press_data(OWNER, start_data(paid))
    [confirm] = await world.press(OWNER, "Full refund")
    assert "Refund <b>250,50\u00a0UAH</b>" in confirm
    await world.press(OWNER, "✅ Refund")
    receipt = await world.services.store.receipts.get(paid.id)
    assert receipt is not None and receipt.status is ReceiptStatus.REFUNDED


async def test_cancel_refunds_nothing(world: BotWorld, fake: FakeLiqPay) -> None:
    paid = await paid_receipt(world, fake)
    await world.press_data(OWNER, start_data(paid))
    await world.say(OWNER, "5")
    [cancelled] = await world.press(OWNER, "Cancel")
    assert "Nothing was refunded" in cancelled
    assert fake.requests_for("refund") == []


async def test_a_cashier_is_refused_and_sees_no_refund_button(
    world: BotWorld, fake: FakeLiqPay
) -> None:
    paid = await paid_receipt(world, fake)
    replies = await world.press_data(CASHIER, start_data(paid))
    assert replies == [] or "Only the shop's owner can refund." in replies[0]
    answers = [getattr(r, "text", "") for r in world.session.requests]
    assert any("Only the shop's owner can refund." in str(a) for a in answers)
    assert fake.requests_for("refund") == []

    def labels(markup: object) -> list[str]:
        rows = getattr(markup, "inline_keyboard", None) or []
        return [b.text for row in rows for b in row]

    assert "↩️ Refund" not in labels(receipt_card_keyboard(paid, "en"))
    assert "↩️ Refund" in labels(receipt_card_keyboard(paid, "en", owner=True))
    assert "↩️ Refund" in labels(notice_keyboard(paid, "en", owner=True))
    assert "↩️ Refund" not in labels(notice_keyboard(paid, "en"))


async def test_ukrainian_texts(world: BotWorld, fake: FakeLiqPay) -> None:
    from bot.i18n import setup_i18n
    from bot.refunds.views import refund_changed_text, refund_start_text, refunded_line

    setup_i18n()
    paid = await paid_receipt(world, fake)
    text = refund_start_text(paid, 0, "uk")
    assert "Повернення" in text and "Refund" not in text
    partly = Receipt(**{**paid.__dict__, "refunded_amount": 100})
    line = refunded_line(partly, "uk")
    assert line is not None and "Частково повернено" in line
    changed = refund_changed_text(partly, "uk")
    assert "змінився після того, як це підтвердження було створено" in changed
    assert "Частково повернено" in changed and "Refund" not in changed


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("no_keys", "немає ключів LiqPay, тож LiqPay не запитували"),
        ("NoKeys", "немає ключів LiqPay, тож LiqPay не запитували"),  # stored before the codes
        ("keys_unreadable", "неможливо прочитати, тож LiqPay не запитували"),
        ("KeysUnreadable", "неможливо прочитати, тож LiqPay не запитували"),
        ("not_refunded", "LiqPay показує, що кошти не повернено"),
        ("never confirmed", "LiqPay показує, що кошти не повернено"),
        ("liqpay_refused:limit", "код помилки LiqPay: <code>limit</code>"),
        ("limit", "код помилки LiqPay: <code>limit</code>"),
        ("liqpay_refused:<b>x</b>", "код помилки LiqPay: <code>bxb</code>"),
        ("liqpay_refused:", "LiqPay відмовив у поверненні 100,00"),
    ],
)
async def test_a_failed_refund_is_told_by_its_problem_in_ukrainian(
    world: BotWorld, fake: FakeLiqPay, error: str, says: str
) -> None:
    from bot.i18n import setup_i18n
    from bot.refunds.notices import refund_notice
    from bot.refunds.views import refund_outcome_text

    setup_i18n()
    paid = await paid_receipt(world, fake)
    now = datetime.now(UTC)
    refund = Refund(
        id=1, receipt_id=paid.id, amount=10000, state=RefundState.FAILED, idempotency_key="k",
        requested_by=OWNER.id, refunded_before=0, error=error, created_at=now, updated_at=now,
    )  # fmt: skip
    outcome = refund_outcome_text(refund, paid, False, "uk")
    notice = refund_notice(
        NotificationKind.REFUND_FAILED, {"amount": 10000, "problem": error}, paid, "uk"
    )
    for text in (outcome, notice):
        assert text is not None and says in text and "Нічого не повернено" in text
        for english in ("NoKeys", "KeysUnreadable", "never confirmed", "liqpay_refused"):
            assert english not in text
    if "не запитували" in says:
        assert "не повернув" not in outcome and "відмовив" not in outcome


@pytest.mark.parametrize(
    ("days", "uk_days"), [(1, "1 день"), (3, "3 дні"), (5, "5 днів"), (21, "21 день")]
)
async def test_an_unknown_outcome_notice_sends_the_owner_to_the_liqpay_cabinet(
    world: BotWorld, fake: FakeLiqPay, days: int, uk_days: str
) -> None:
    from bot.i18n import setup_i18n
    from bot.refunds.notices import REFUND_NOTICES, refund_notice

    setup_i18n()
    paid = await paid_receipt(world, fake)
    kind = NotificationKind.REFUND_UNKNOWN
    assert kind in REFUND_NOTICES  # the notifier sends it
    payload = {"amount": 5000, "days": days}
    english = refund_notice(kind, payload, paid, "en")
    assert english is not None and "is unknown" in english and "LiqPay cabinet" in english
    assert "50,00\u00a0UAH" in english and f"for {days} day" in english
    ukrainian = refund_notice(kind, payload, paid, "uk")
    assert ukrainian is not None and "невідомий" in ukrainian and "кабінеті LiqPay" in ukrainian
    assert f"уже {uk_days} LiqPay" in ukrainian and "unknown" not in ukrainian
