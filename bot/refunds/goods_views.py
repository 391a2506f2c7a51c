"""Returns by goods as people read them: the lines on the refund's first step, the
quantity question and the confirmation naming what comes back."""

from __future__ import annotations

from bot.catalogue.views import unit_name
from bot.i18n import t
from bot.refunds.views import refund_confirm_text, refund_money
from bot.ui.format import escape
from services.refunds.lines import left_of
from storage.models.lines import QUANTITY_SCALE, ReceiptLine, ReturnedLine
from storage.models.receipts import Receipt


def quantity_text(quantity: int) -> str:
    """Thousandths as people write them: 2000 -> "2", 250 -> "0,25"."""
    whole, part = divmod(quantity, QUANTITY_SCALE)
    return str(whole) if part == 0 else f"{whole},{part:03d}".rstrip("0")


def amount_of(line: ReceiptLine, quantity: int, locale: str | None = None) -> str:
    return f"{quantity_text(quantity)} {unit_name(line.line.unit, locale)}"


def line_button_text(line: ReceiptLine, locale: str | None = None) -> str:
    name = line.line.name if len(line.line.name) <= 28 else line.line.name[:27] + "…"
    return t(
        "↩️ {n}. {name}: {left}",
        locale,
        n=line.position,
        name=name,
        left=amount_of(line, left_of(line), locale),
    )


def goods_start_text(lines: list[ReceiptLine], locale: str | None = None) -> str:
    """Added to the refund's first step: what was sold and what of it is still here."""
    rows = [t("<b>Goods</b> (not returned yet):", locale)]
    for line in lines:
        rows.append(
            t(
                "{n}. {name}: {left} of {sold}",
                locale,
                n=line.position,
                name=escape(line.line.name),
                left=amount_of(line, left_of(line), locale),
                sold=amount_of(line, line.line.quantity, locale),
            )
        )
    rows.append(t("Tap a line to return some or all of it.", locale))
    return "\n".join(rows)


def quantity_question(line: ReceiptLine, locale: str | None = None) -> str:
    return t(
        "How much of «{name}» comes back? Not returned yet: {left}. Type a quantity "
        "(e.g. 1 or 0,25) or tap «All».",
        locale,
        name=escape(line.line.name),
        left=amount_of(line, left_of(line), locale),
    )


def all_button_text(
    receipt: Receipt, line: ReceiptLine, worth: int, locale: str | None = None
) -> str:
    return t(
        "All: {left}, {amount}",
        locale,
        left=amount_of(line, left_of(line), locale),
        amount=refund_money(receipt, worth),
    )


def goods_confirm_text(
    receipt: Receipt, line: ReceiptLine, back: ReturnedLine, locale: str | None = None
) -> str:
    goods = t(
        "Goods coming back: {name}, {quantity}.",
        locale,
        name=escape(line.line.name),
        quantity=amount_of(line, back.quantity, locale),
    )
    return f"{goods}\n{refund_confirm_text(receipt, back.amount, locale)}"
