"""Handler tests of /report and /export: the real dispatcher and SQLite store, a recording
Bot; receipts are put in the store through its public API."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import openpyxl
from aiogram.methods import SendDocument, SendPhoto

from bot.reports.handlers import split_lines
from services.core.clock import utcnow
from services.core.periods import kyiv_day, kyiv_midnight
from storage.models.receipts import (
    Channel,
    EventSource,
    NewDraft,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from tests.bot_fixtures import (
    CASHIER,
    OWNER,
    STRANGER,
    BotWorld,
    join_cashier,
    make_shop_by_bot,
    world,
)

__all__ = ["world"]
S = ReceiptStatus
SHOP = 1
_keys = iter(range(1, 10**9))


async def seed(
    world: BotWorld,
    cashier_id: int,
    amount: int,
    status: ReceiptStatus,
    created: datetime | None = None,
    *,
    channel: Channel = Channel.EMAIL,
    description: str = "Кава і тістечко",
) -> Receipt:
    store = world.services.store
    created = created or utcnow()
    key = f"seed{next(_keys)}"
    draft = NewDraft(
        shop_id=SHOP, cashier_id=cashier_id, amount=amount, currency="UAH",
        description=description, channel=channel, contact="buyer@example.com",
        idempotency_key=key, order_id=f"order-{key}", expires_at=created + timedelta(days=1),
    )  # fmt: skip
    receipt, _ = await store.receipts.create_draft(draft, created)
    moved = await store.receipts.transition(
        receipt.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=created
    )
    if status is not S.AWAITING:
        changes = (
            ReceiptChanges(paid_at=created, payment_id=f"p{key}") if status is S.PAID else None
        )
        moved = await store.receipts.transition(
            receipt.id, expected=[S.AWAITING], new=status, source=EventSource.POLL,
            now=created, changes=changes,
        )  # fmt: skip
    assert moved is not None
    return moved


async def shop_with_receipts(world: BotWorld) -> list[Receipt]:
    await make_shop_by_bot(world)
    await join_cashier(world)
    return [
        await seed(world, OWNER.id, 25050, S.PAID),
        await seed(world, CASHIER.id, 10000, S.PAID, channel=Channel.SMS),
        await seed(world, CASHIER.id, 5000, S.PAID, channel=Channel.LINK),
        await seed(world, CASHIER.id, 777, S.AWAITING),
        await seed(world, OWNER.id, 300, S.EXPIRED),
        await seed(world, CASHIER.id, 1000, S.CANCELLED),
        await seed(world, OWNER.id, 1999, S.REFUNDED),
    ]


def uploads(world: BotWorld, method: type) -> list[tuple[str | None, bytes]]:
    return [(name, data) for kind, name, data in world.session.uploads if kind == method.__name__]


async def test_owner_report_today_with_chart(world: BotWorld) -> None:
    await shop_with_receipts(world)
    replies = await world.say(OWNER, "/report")
    assert "which period" in replies[-1]
    replies = await world.press(OWNER, "Today")
    text = next(r for r in replies if "report for" in r)
    print(text)
    # a refunded receipt was paid first: it counts in paid, and its refund apart
    assert "✅ Paid: 4 receipts · 420,49\u00a0UAH" in text
    assert "not registered: 4 receipts · 420,49\u00a0UAH" in text
    assert "💰 Paid less refunded: 400,50\u00a0UAH" in text
    assert "⏳ Awaiting payment: 1 receipt · 7,77\u00a0UAH" in text
    assert "⌛ Expired: 1 receipt · 3,00\u00a0UAH" in text
    assert "🚫 Cancelled: 1 receipt · 10,00\u00a0UAH" in text
    assert "↩️ Refunded: 1 receipt · 19,99\u00a0UAH" in text
    assert "By cashier" in text and "Ivan" in text and "Olena" in text
    assert "SMS: ✅ 1 receipt · 100,00\u00a0UAH" in text
    (name, picture), = uploads(world, SendPhoto)  # fmt: skip
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 10_000
    assert name and name.endswith(".png")
    photo = world.session.sent(SendPhoto)[-1]
    assert "Paid per day" in photo.caption


async def test_cashier_sees_only_own_receipts_in_ukrainian(world: BotWorld) -> None:
    await shop_with_receipts(world)
    await world.services.store.users.set_language(CASHIER.id, "uk")
    await world.say(CASHIER, "/report")
    replies = await world.press(CASHIER, "Сьогодні")
    text = next(r for r in replies if "Ваші чеки" in r)
    print(text)
    assert "✅ Оплачено: 2 чеки · 150,00\u00a0UAH" in text
    assert "⏳ Очікують оплати: 1 чек" in text
    assert "Термін минув: 0 чеків" in text  # the owner's expired receipt is not the cashier's
    assert "За касирами" not in text and "Olena" not in text
    photo = world.session.sent(SendPhoto)[-1]
    assert "Оплачено за днями" in photo.caption


async def test_typed_range_refusals_and_a_hyphen(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    today = kyiv_day(utcnow())
    await seed(world, OWNER.id, 12345, S.PAID, kyiv_midnight(today - timedelta(days=2)))
    await world.say(OWNER, "/report")
    replies = await world.press(OWNER, "Other dates")
    assert "two dates" in replies[-1]
    replies = await world.say(OWNER, "yesterday-ish")
    assert "could not read that period" in replies[-1]
    replies = await world.say(OWNER, "31.02.2026")
    assert "no such date" in replies[-1]
    replies = await world.say(OWNER, "30.11.2026–01.11.2026")
    assert "after the second" in replies[-1]
    tomorrow = (today + timedelta(days=1)).strftime("%d.%m.%Y")
    replies = await world.say(OWNER, f"01.01.2026–{tomorrow}")
    assert "future" in replies[-1]
    first, last = today - timedelta(days=3), today - timedelta(days=1)
    replies = await world.say(OWNER, f"{first:%d.%m.%Y}-{last:%d.%m.%Y}")
    text = next(r for r in replies if "report for" in r)
    assert f"{first:%d.%m.%Y}–{last:%d.%m.%Y}" in text
    assert "✅ Paid: 1 receipt · 123,45\u00a0UAH" in text
    assert len(uploads(world, SendPhoto)) == 1
    # the dialog is over: the next text is not taken for a period
    replies = await world.say(OWNER, "01.11.2026")
    assert "report for" not in replies[-1]


async def test_empty_period_says_so_and_stranger_is_refused(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await seed(world, OWNER.id, 100, S.PAID, utcnow() - timedelta(days=40))
    await world.say(OWNER, "/report")
    replies = await world.press(OWNER, "Yesterday")
    assert replies[-1].startswith("No receipts for ")
    assert not uploads(world, SendPhoto)
    await world.say(OWNER, "/export")
    await world.press(OWNER, "Yesterday")
    replies = await world.press(OWNER, "CSV")
    assert replies[-1].startswith("No receipts for ")
    assert not uploads(world, SendDocument)
    for command in ("/report", "/export"):
        replies = await world.say(STRANGER, command)
        assert "for shop members" in replies[-1]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def test_owner_exports_csv_rows_equal_the_store(world: BotWorld) -> None:
    made = await shop_with_receipts(world)
    await world.say(OWNER, "/export")
    replies = await world.press(OWNER, "Today")
    assert "which format" in replies[-1]
    await world.press(OWNER, "CSV")
    (name, data), = uploads(world, SendDocument)  # fmt: skip
    day = kyiv_day(utcnow()).isoformat()
    assert name == f"receipts_{day}_{day}.csv"
    rows = read_csv(data)
    assert rows[0][:3] == ["Receipt No", "Created", "Paid"]
    assert [int(r[0]) for r in rows[1:]] == [r.number for r in made]
    assert [r[6] for r in rows[1:]] == ["Кава і тістечко"] * len(made)
    assert [r[4] for r in rows[1:]] == ["250,50", "100,00", "50,00", "7,77", "3,00", "10,00",
                                        "19,99"]  # fmt: skip
    assert rows[1][3] == "Olena" and rows[2][3] == "Ivan"
    assert rows[7][9] == "Refunded" and rows[7][12] == "19,99"
    document = world.session.sent(SendDocument)[-1]
    assert "7 receipts" in document.caption


async def test_cashier_exports_own_xlsx_in_ukrainian(world: BotWorld) -> None:
    made = await shop_with_receipts(world)
    await world.services.store.users.set_language(CASHIER.id, "uk")
    await world.say(CASHIER, "/export")
    await world.press(CASHIER, "Сьогодні")
    await world.press(CASHIER, "Excel")
    (name, data), = uploads(world, SendDocument)  # fmt: skip
    assert name is not None and name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "№ чека" and rows[0][3] == "Касир"
    own = [r.number for r in made if r.cashier_id == CASHIER.id]
    assert [r[0] for r in rows[1:]] == own
    assert "4 чеки" in world.session.sent(SendDocument)[-1].caption


async def test_export_button_with_bad_dates_is_refused(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    replies = await world.press_data(OWNER, "ex:csv:20261301:20261130")
    answers = [r for r in world.session.requests if type(r).__name__ == "AnswerCallbackQuery"]
    assert answers and "no longer active" in (answers[-1].text or ""), replies
    assert not uploads(world, SendDocument)


def test_a_long_report_is_split_between_lines() -> None:
    lines = [f"• Cashier {i}: ✅ {i} receipts" for i in range(600)]
    parts = split_lines("\n".join(lines))
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    assert split_lines("short") == ["short"]
