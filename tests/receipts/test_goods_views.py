"""A receipt's goods in a short form (summary, card, paid notice, /pending): the first three
lines and "+N more" in both languages; a receipt without lines (or with the one line of an
amount-only invoice) reads as before; the paid notice reads the lines from the store."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot

from bot.i18n import DEFAULT_LOCALE, setup_i18n
from bot.outbox.sender import OutboxSender
from bot.receipts.goods import goods_short, shown
from bot.receipts.notices import notification
from bot.receipts.views import receipt_card, receipt_line
from services.notifications.jobs import NOTIFY, OutboxSignal, chat_group
from storage.models.jobs import NewJob
from storage.models.lines import ReceiptLine, SaleLine
from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.builders import Shop, make_receipt, make_shop
from tests.conftest import FakeClock
from tests.doubles.recording_bot import RecordingSession


def lines(n: int) -> list[SaleLine]:
    return [
        SaleLine(code=f"K{i}", name=f"Кава {i}", unit="kg" if i == 2 else "piece",
                 quantity=250 if i == 2 else 2000, price=4500, item_id=i)
        for i in range(1, n + 1)
    ]  # fmt: skip


def test_three_lines_then_how_many_more_in_both_languages() -> None:
    setup_i18n()
    five = lines(5)
    assert goods_short(five, "UAH", "en") == [
        "• Кава 1 × 2 pcs = 90,00\u00a0UAH",
        "• Кава 2 × 0,25 kg = 11,25\u00a0UAH",
        "• Кава 3 × 2 pcs = 90,00\u00a0UAH",
        "+2 more lines",
    ]
    uk = goods_short(five, "UAH", "uk")
    assert uk[0] == "• Кава 1 × 2 шт. = 90,00\u00a0UAH" and uk[-1] == "ще 2 рядки"
    assert goods_short(lines(4), "UAH", "en")[-1] == "+1 more line"
    assert goods_short(lines(4), "UAH", "uk")[-1] == "ще 1 рядок"
    assert goods_short(lines(8), "UAH", "uk")[-1] == "ще 5 рядків"
    assert len(goods_short(lines(3), "UAH", "en")) == 3
    assert goods_short([], "UAH", "en") == []


def test_an_amount_only_line_is_not_shown() -> None:
    default = SaleLine(code="G1", name="Товари та послуги", unit="piece", quantity=1000, price=100)
    assert shown([ReceiptLine(1, 1, default)]) == []
    assert shown([]) == []
    two = [ReceiptLine(1, 1, default), ReceiptLine(1, 2, lines(1)[0])]
    assert len(shown(two)) == 2


async def test_card_notice_and_list_line_show_the_goods(
    store: SqliteStore,
    box,
    clock: FakeClock,  # type: ignore[no-untyped-def]
) -> None:
    setup_i18n()
    shop: Shop = await make_shop(store, box, clock())
    receipt = await make_receipt(store, shop, clock(), status=ReceiptStatus.PAID)
    before = receipt_card(receipt, "en")
    assert receipt_card(receipt, "en", ()) == before  # none: as before
    card = receipt_card(receipt, "en", lines(1))
    assert card.replace("\n• Кава 1 × 2 pcs = 90,00\u00a0UAH", "") == before
    assert "Кава 1" in receipt_line(receipt, "en", lines(1))
    assert receipt_line(receipt, "en") == receipt_line(receipt, "en", ())
    paid = notification("paid", receipt, "en", goods=lines(2))
    assert "• Кава 2 × 0,25 kg = 11,25" in paid
    assert "Кава" not in notification("expired", receipt, "en", goods=lines(2))


async def test_the_paid_notice_reads_the_lines(
    store: SqliteStore,
    box,
    clock: FakeClock,  # type: ignore[no-untyped-def]
) -> None:
    setup_i18n()
    shop: Shop = await make_shop(store, box, clock())
    sold = tuple(lines(4))
    draft = NewDraft(
        shop_id=shop.shop_id, cashier_id=shop.cashier_id, amount=sum(x.total for x in sold),
        currency="UAH", description="Кава", channel=Channel.LINK, contact=None,
        idempotency_key="goods-1", order_id=f"{shop.shop_id}-goods1",
        expires_at=clock() + timedelta(days=1),
    )  # fmt: skip
    receipt, _ = await store.receipts.create_draft(draft, clock(), lines=sold)
    for step in (ReceiptStatus.AWAITING, ReceiptStatus.PAID):
        moved = await store.receipts.transition(
            receipt.id, expected=[receipt.status], new=step, source=EventSource.USER,
            now=clock(),
        )  # fmt: skip
        assert moved is not None
        receipt = moved
    job = NewJob(
        NOTIFY, {"chat_id": shop.cashier_id, "kind": "paid"},
        group_key=chat_group(shop.cashier_id), receipt_id=receipt.id,
    )  # fmt: skip
    await store.jobs.enqueue([job], clock())
    session = RecordingSession()
    bot = Bot(token="42:TEST-TOKEN-FOR-TESTS-ONLY", session=session)
    outbox = OutboxSender(
        store.jobs, store.receipts, store.users, bot, OutboxSignal(), clock,
        per_chat_interval=0, global_rate=10_000, shops=store.shops, lines=store.receipt_lines,
    )  # fmt: skip
    await outbox.drain()
    [(chat, text)] = session.chat_texts()
    assert chat == shop.cashier_id
    assert text == notification("paid", receipt, DEFAULT_LOCALE, goods=sold)
    assert "• Кава 1 × 2 шт. = 90,00" in text and text.count("•") == 3 and "ще 1 рядок" in text
