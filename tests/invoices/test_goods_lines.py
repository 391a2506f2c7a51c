"""Issue #15: every receipt names its goods. An "amount only" receipt stores one line named
by the shop's default goods name (the fallback until the owner chooses; never the order id);
a basket's lines are stored as they are and must add up to the amount; the LiqPay invoice
carries `goods` adding up to the amount to the kopeck."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.goods.names import FALLBACK_GOODS_NAME, goods_code
from services.invoices.goods import LinesDoNotAddUp, liqpay_goods
from services.invoices.requests import InvoiceRequest
from storage.models.lines import SaleLine, basket_total
from storage.models.receipts import Channel
from storage.models.settings import SettingsChanges
from tests.bot_fixtures import (
    INVOICE_OK,
    LIQPAY_REQUEST,
    OWNER,
    BotWorld,
    issue,
    make_shop_by_bot,
    world,
)
from tests.doubles.liqpay_mock import liqpay_answer

__all__ = ["world"]


def goods_sum(goods: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(g["amount"])) * Decimal(str(g["count"])) for g in goods), Decimal(0))


async def test_an_amount_only_receipt_names_the_fallback_goods_name(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await issue(world, OWNER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    sent = world.liqpay_requests()[-1]
    assert sent["goods"] == [
        {"amount": "250.5", "count": 1, "unit": "шт.", "name": FALLBACK_GOODS_NAME}
    ]
    assert goods_sum(sent["goods"]) == Decimal(sent["amount"])
    receipt = await world.services.store.receipts.by_order_id(sent["order_id"])
    assert receipt is not None
    [stored] = await world.services.store.receipt_lines.of_receipt(receipt.id)
    line = stored.line
    assert (line.name, line.quantity, line.price, line.item_id) == (
        FALLBACK_GOODS_NAME,
        1000,
        25050,
        None,
    )
    assert line.code == goods_code(FALLBACK_GOODS_NAME)
    assert receipt.order_id not in line.code


async def test_the_chosen_name_or_the_purpose_names_the_goods(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    store = world.services.store
    member = await store.shops.get_member(OWNER.id)
    assert member is not None
    await store.settings.update(member.shop_id, SettingsChanges(default_goods_name="Напої"))
    await issue(world, OWNER, "E-mail", "a@example.com", liqpay_answer(INVOICE_OK))
    assert [g["name"] for g in world.liqpay_requests()[-1]["goods"]] == ["Напої"]
    await store.settings.update(member.shop_id, SettingsChanges(goods_name_from_purpose=True))
    await world.say(OWNER, "/new")
    await world.say(OWNER, "100")
    await world.say(OWNER, "Букет троянд")
    await world.press(OWNER, "E-mail")
    await world.say(OWNER, "a@example.com")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    await world.press(OWNER, "Confirm")
    sent = world.liqpay_requests()[-1]
    assert sent["goods"] == [{"amount": "100", "count": 1, "unit": "шт.", "name": "Букет троянд"}]


def request(amount: int, lines: tuple[SaleLine, ...], key: str, shop_id: int) -> InvoiceRequest:
    return InvoiceRequest(
        shop_id=shop_id,
        cashier_id=OWNER.id,
        amount=amount,
        description=None,
        channel=Channel.EMAIL,
        contact="a@example.com",
        idempotency_key=key,
        lines=lines,
    )


COFFEE = SaleLine(code="K1", name="Кава", unit="kg", quantity=333, price=1001, tax_codes=(1,))
CAKE = SaleLine(code="C1", name="Торт", unit="piece", quantity=2000, price=4550, item_id=3)


async def test_a_basket_is_stored_and_sent_adding_up_to_the_amount(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    store = world.services.store
    member = await store.shops.get_member(OWNER.id)
    assert member is not None
    total = basket_total([COFFEE, CAKE])
    assert total == 333 + 9100  # 0,333 × 10,01 = 3,33333 → 3,33
    with pytest.raises(LinesDoNotAddUp):
        await world.services.invoices.issue(
            request(total + 1, (COFFEE, CAKE), "x:1", member.shop_id)
        )
    assert await store.receipts.by_idempotency_key("x:1") is None
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(INVOICE_OK))
    result = await world.services.invoices.issue(
        request(total, (COFFEE, CAKE), "x:2", member.shop_id)
    )
    stored = await store.receipt_lines.of_receipt(result.receipt.id)
    assert [s.line for s in stored] == [COFFEE, CAKE]
    sent = world.liqpay_requests()[-1]
    assert sent["goods"] == [
        {"amount": "3.33", "count": 1, "unit": "кг", "name": "Кава, 0,333 кг"},
        {"amount": "45.5", "count": 2, "unit": "шт.", "name": "Торт"},
    ]
    assert goods_sum(sent["goods"]) * 100 == total == result.receipt.amount


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**8),
            st.integers(min_value=1, max_value=10**6),
            st.sampled_from(["piece", "kg", "g", "service"]),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_any_baskets_goods_add_up_to_its_total(rows: list[tuple[int, int, str]]) -> None:
    lines = [
        SaleLine(code=f"c{n}", name=f"item {n}", unit=unit, quantity=q, price=p)
        for n, (p, q, unit) in enumerate(rows)
    ]
    goods = [g.wire() for g in liqpay_goods(lines)]
    assert goods_sum(goods) * 100 == basket_total(lines)
    assert all(len(g["name"]) <= 128 for g in goods)
