"""Exact money for goods (issue #15): a line's sum is price × quantity rounded half up to
the kopeck (as Checkbox rounds a goods line); any basket's fiscal goods add up to the
payment, and any split of a line into returns adds up to the line's sum."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from services.checkbox.wire import sell_body
from services.fiscal.goods import return_goods, sale_goods
from services.fiscal.registrar import Sale
from services.refunds.lines import pick
from storage.models.lines import ReceiptLine, SaleLine, basket_total, line_sum


def test_rounding_is_half_up_in_integers() -> None:
    assert line_sum(1001, 333) == 333  # 333,333 kopecks
    assert line_sum(1, 500) == 1  # half a kopeck goes up
    assert line_sum(1, 499) == 0
    assert line_sum(45000, 250) == 11250
    assert line_sum(10**12, 10**9) == 10**18  # no float anywhere


baskets = st.lists(
    st.tuples(st.integers(1, 10**7), st.integers(1, 10**5), st.booleans()), min_size=1, max_size=15
)


@given(baskets)
def test_any_baskets_fiscal_goods_add_up_to_the_payment(rows: list[tuple[int, int, bool]]) -> None:
    lines = [
        SaleLine(code=f"c{n}", name=f"item {n}", unit="kg", quantity=q, price=p,
                 item_id=n if item else None)
        for n, (p, q, item) in enumerate(rows)
    ]  # fmt: skip
    total = basket_total(lines)
    assume(total > 0)  # a sale of nothing is no sale
    goods = sale_goods(lines, total, 8, None)
    body = sell_body(Sale(order_id="1-x", description="", price=total, tax_code=8, goods=goods))
    checkbox_total = sum((g["good"]["price"] * g["quantity"] + 500) // 1000 for g in body["goods"])
    assert checkbox_total == total == body["payments"][0]["value"]
    assert all(g["good"]["code"] != "1-x" for g in body["goods"])


@given(st.integers(1000, 10**7), st.integers(2, 5000), st.data())  # each step ≥ 1 kopeck
def test_any_split_of_a_line_adds_up_to_its_sum(
    price: int, quantity: int, data: st.DataObject
) -> None:
    line = SaleLine(code="K", name="Кава", unit="kg", quantity=quantity, price=price)
    stored, parts = ReceiptLine(1, 1, line), []
    while stored.returned < quantity:
        q = data.draw(st.integers(1, quantity - stored.returned))
        back = pick(stored, q)
        parts.append(back.amount)
        [good] = return_goods(sale_goods([line], line.total, None, None), back.amount,
                              [(1, back.quantity, back.amount)])  # fmt: skip
        assert good.total == back.amount  # the return line is worth what is refunded
        stored = ReceiptLine(1, 1, line, stored.returned + q)
    assert sum(parts) == line.total


def test_an_amount_refunded_without_lines_gives_back_the_lines_in_order() -> None:
    """LiqPay's cabinet says how much, not what: the refunds so far cover the sale's lines in
    their order, and no line goes back beyond its sum (not the whole amount as line 1)."""
    lines = [
        SaleLine("C1", "Кава", "piece", 2000, 5000),  # 100,00
        SaleLine("C2", "Круасан", "piece", 1000, 3000),  # 30,00
        SaleLine("C3", "Сир", "kg", 250, 40000),  # 100,00
    ]
    sold = sale_goods(lines, basket_total(lines), None, None)
    first = return_goods(sold, 12000)
    assert [(g.code, g.price, g.quantity) for g in first] == [
        ("C1", 5000, 2000),  # the whole first line
        ("C2", 2000, 1000),  # and 20,00 of the second
    ]
    rest = return_goods(sold, 11000, refunded_before=12000)
    assert [(g.code, g.price, g.quantity) for g in rest] == [("C2", 1000, 1000), ("C3", 40000, 250)]
    for goods, amount in ((first, 12000), (rest, 11000)):
        assert sum(line_sum(g.price, g.quantity) for g in goods) == amount
