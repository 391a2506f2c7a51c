"""Issue #15 end to end, the real `python -m bot` against the stand-ins of Telegram, LiqPay
and Checkbox on 127.0.0.1: an "amount only" invoice names the default goods name the owner
chose in /settings on LiqPay's goods list (adding up to the amount) and on the fiscal sale,
never the order id; a receipt of several goods gets back one line's part as a return
receipt of that line only."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import aiohttp
from pydantic import SecretStr

from services.core.clock import utcnow
from services.goods.names import goods_code
from services.invoices.goods import liqpay_goods
from services.liqpay.client import LiqPayClient
from services.liqpay.signing import Credentials
from storage.models.lines import SaleLine, basket_total
from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptChanges, ReceiptStatus
from storage.sqlite.store import SqliteStore
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.e2e.harness import BotProcess
from tests.e2e.test_fiscal import checkbox, fiscal_owner, paid_invoice
from tests.e2e.test_flows import PRIVATE, PUBLIC

__all__ = ["checkbox"]


def goods_sum(goods: list[dict[str, object]]) -> Decimal:
    return sum((Decimal(str(g["amount"])) * Decimal(str(g["count"])) for g in goods), Decimal(0))


async def test_an_amount_only_sale_prints_the_chosen_goods_name(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    menu = await owner.say("/settings", "Goods name on receipts: not chosen")
    screen = await owner.tap(menu, "Goods name", "A receipt sold as an amount only")
    await owner.tap(screen, "Напої", "Goods name on receipts: Напої")
    order = await paid_invoice(owner, fake_liqpay)
    sent = fake_liqpay.requests_for("invoice_send")[-1].payload
    assert sent["goods"] == [{"amount": "250.5", "count": 1, "unit": "шт.", "name": "Напої"}]
    assert goods_sum(sent["goods"]) == Decimal(str(sent["amount"]))
    await owner.hears("is registered with the tax service", timeout=30)
    [sell] = checkbox.sells()
    assert isinstance(sell.body, dict)
    assert sell.body["goods"] == [
        {"good": {"code": goods_code("Напої"), "name": "Напої", "price": 25050, "tax": [8]},
         "quantity": 1000}
    ]  # fmt: skip
    assert order not in str(sell.body["goods"]) and "Оплата за чеком" not in str(sell.body)
    await bot_process.stop()


COFFEE = SaleLine(code="K1", name="Кава зернова", unit="kg", quantity=250, price=45000)
CAKE = SaleLine(code="C1", name="Торт", unit="piece", quantity=3000, price=10000, item_id=2)


async def basket_invoice(bot: BotProcess, owner_id: int, liqpay: FakeLiqPay) -> str:
    """A receipt of two goods lines as the basket (another branch's /new) makes it: its
    draft and lines written with the store's call, its invoice sent with the bot's client."""
    store = await SqliteStore.open(bot.database_path)
    try:
        member = await store.shops.get_member(owner_id)
        assert member is not None
        now = utcnow()
        lines = (COFFEE, CAKE)
        draft = NewDraft(
            shop_id=member.shop_id, cashier_id=owner_id, amount=basket_total(lines),
            currency="UAH", description="Замовлення", channel=Channel.EMAIL,
            contact="buyer@example.com", idempotency_key="e2e-basket", order_id="1-basket01",
            expires_at=now + timedelta(hours=1), public_key=PUBLIC,
        )  # fmt: skip
        receipt, _ = await store.receipts.create_draft(draft, now, lines=lines)
        async with aiohttp.ClientSession() as http:
            client = LiqPayClient(http, liqpay.api_url)
            await client.invoice_send(
                Credentials(PUBLIC, SecretStr(PRIVATE)), order_id=receipt.order_id,
                amount=receipt.amount, currency="UAH", description=receipt.description,
                expires_at=receipt.expires_at, email="buyer@example.com",
                server_url=bot.callback_url,
                goods=liqpay_goods(lines),
            )  # fmt: skip
        await store.receipts.transition(
            receipt.id, expected=[ReceiptStatus.DRAFT], new=ReceiptStatus.AWAITING,
            source=EventSource.USER, now=now, changes=ReceiptChanges(link=None),
        )  # fmt: skip
        return receipt.order_id
    finally:
        await store.close()


async def test_a_partial_refund_of_one_line_returns_that_line_only(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    bot_process: BotProcess,
    checkbox: FakeCheckbox,
) -> None:
    owner = await fiscal_owner(bot_process, checkbox, fake_telegram, fake_liqpay)
    order = await basket_invoice(bot_process, owner.user.id, fake_liqpay)
    assert await fake_liqpay.pay(order, card_mask="473118*97") == 200
    await owner.hears("is registered with the tax service", timeout=30)
    [sale] = checkbox.sells()
    assert isinstance(sale.body, dict)
    assert [line["good"]["code"] for line in sale.body["goods"]] == ["K1", "C1"]
    notice = await fake_telegram.wait_for_message(
        owner.user.id, lambda m: m.has_button("Refund"), since=0
    )
    start_screen = await owner.tap(notice, "Refund", "Tap a line")
    asked = await owner.tap(start_screen, "2. Торт", "How much of «Торт» comes back")
    assert "3 pcs" in asked.text
    confirm = await owner.say("1", "Goods coming back: Торт, 1 pcs.")
    await fake_telegram.press(owner.user, confirm, "✅ Refund")
    await owner.hears("went back to the customer's card", timeout=15)
    [refund] = fake_liqpay.requests_for("refund")
    assert refund.payload["amount"] == "100"
    await owner.hears("The return receipt of receipt No", timeout=30)
    [back] = [
        r for r in checkbox.sells() if isinstance(r.body, dict) and r.body.get("related_receipt_id")
    ]
    assert back.body["goods"] == [
        {"good": {"code": "C1", "name": "Торт", "price": 10000}, "quantity": 1000,
         "is_return": True}
    ]  # fmt: skip
    assert [p["value"] for p in back.body["payments"]] == [10000]
    await bot_process.stop()
