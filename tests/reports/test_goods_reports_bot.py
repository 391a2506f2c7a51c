"""/report's top items and /export's file by goods through the real dispatcher: the owner
sees the shop's, a cashier their own; the per-receipt export is untouched beside it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
from aiogram.methods import SendDocument

from services.core.clock import utcnow
from services.core.periods import kyiv_day
from storage.models.lines import SaleLine
from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptChanges, ReceiptStatus
from tests.bot_fixtures import CASHIER, OWNER, BotWorld, join_cashier, make_shop_by_bot, world
from tests.reports.test_bot_reports import seed, uploads

__all__ = ["world"]
S = ReceiptStatus
_keys = iter(range(1, 10**9))

COFFEE = SaleLine(code="K1", name="Кава", unit="piece", quantity=2000, price=4500, item_id=1)
BEANS = SaleLine(code="K2", name="Кава зернова", unit="kg", quantity=250, price=45000, item_id=2)


async def sold(world: BotWorld, cashier_id: int, lines: tuple[SaleLine, ...]) -> int:
    store, now = world.services.store, utcnow()
    key = f"goods{next(_keys)}"
    draft = NewDraft(
        shop_id=1, cashier_id=cashier_id, amount=sum(x.total for x in lines), currency="UAH",
        description="Продаж", channel=Channel.EMAIL, contact="b@example.com",
        idempotency_key=key, order_id=f"o-{key}", expires_at=now + timedelta(days=1),
    )  # fmt: skip
    receipt, _ = await store.receipts.create_draft(draft, now, lines=lines)
    await store.receipts.transition(
        receipt.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=now
    )
    paid = await store.receipts.transition(
        receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK, now=now,
        changes=ReceiptChanges(paid_at=now, payment_id=f"p{key}"),
    )  # fmt: skip
    assert paid is not None
    return paid.number


async def shop(world: BotWorld) -> tuple[int, int, int]:
    await make_shop_by_bot(world)
    await join_cashier(world)
    first = await sold(world, OWNER.id, (COFFEE, BEANS))
    old = (await seed(world, OWNER.id, 777, S.PAID, description="Без товарів")).number
    last = await sold(world, CASHIER.id, (COFFEE,))
    return first, old, last


async def test_the_report_ends_with_the_top_items(world: BotWorld) -> None:
    await shop(world)
    await world.say(OWNER, "/report")
    replies = await world.press(OWNER, "Today")
    text = next(r for r in replies if "report for" in r)
    top = text[text.index("🏆") :]
    assert top.split("\n") == [
        "🏆 <b>Top items</b>",
        "1. Кава × 4 pcs · 180,00\u00a0UAH",
        "2. Кава зернова × 0,25 kg · 112,50\u00a0UAH",
    ]
    await world.services.store.users.set_language(CASHIER.id, "uk")
    await world.say(CASHIER, "/report")
    replies = await world.press(CASHIER, "Сьогодні")
    text = next(r for r in replies if "Ваші чеки" in r)
    assert text.endswith("🏆 <b>Найпопулярніші товари</b>\n1. Кава × 2 шт. · 90,00\u00a0UAH")


async def test_a_report_without_goods_has_no_top_items(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await seed(world, OWNER.id, 777, S.PAID)
    await world.say(OWNER, "/report")
    replies = await world.press(OWNER, "Today")
    assert not any("🏆" in r or "Top items" in r for r in replies)


async def test_the_export_by_goods_has_a_row_per_line(world: BotWorld) -> None:
    first, old, last = await shop(world)
    await world.say(OWNER, "/export")
    await world.press(OWNER, "Today")
    await world.press(OWNER, "By goods: CSV")
    (name, data), = uploads(world, SendDocument)  # fmt: skip
    day = kyiv_day(utcnow()).isoformat()
    assert name == f"goods_{day}_{day}.csv"
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Receipt No", "Created", "Goods code", "Goods", "Quantity", "Unit",
                       "Price", "Sum"]  # fmt: skip
    assert [r[0:1] + r[2:] for r in rows[1:]] == [
        [str(first), "K1", "Кава", "2", "pcs", "45,00", "90,00"],
        [str(first), "K2", "Кава зернова", "0,25", "kg", "450,00", "112,50"],
        [str(old), "", "Без товарів", "1", "", "7,77", "7,77"],
        [str(last), "K1", "Кава", "2", "pcs", "45,00", "90,00"],
    ]
    assert "4 goods lines" in world.session.sent(SendDocument)[-1].caption
    # the cashier's, in Excel and Ukrainian
    await world.services.store.users.set_language(CASHIER.id, "uk")
    await world.say(CASHIER, "/export")
    await world.press(CASHIER, "Сьогодні")
    await world.press(CASHIER, "За товарами: Excel")
    (_, book) = uploads(world, SendDocument)[-1]
    sheet = openpyxl.load_workbook(io.BytesIO(book), read_only=True).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert table[0][:4] == ("№ чека", "Створено", "Код товару", "Товари")
    assert [r[0] for r in table[1:]] == [last]
    assert table[1][4:] == (2, "шт.", 45, 90)


async def test_the_per_receipt_export_is_offered_as_before(world: BotWorld) -> None:
    await shop(world)
    await world.say(OWNER, "/export")
    await world.press(OWNER, "Today")
    await world.press(OWNER, "CSV")
    (name, _), = uploads(world, SendDocument)  # fmt: skip
    assert name is not None and name.startswith("receipts_")
