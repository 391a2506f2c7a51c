"""/pending's second section, for the owner: paid receipts with no fiscal receipt yet."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.fiscal.views import fiscal_line
from bot.i18n import t
from bot.ui.callbacks import FiscalReceiptAction
from bot.ui.keyboards import button
from services.core.money import format_amount
from services.fiscal.sales import FiscalSales
from storage.models.receipts import Receipt
from storage.models.shops import Member

UNREGISTERED_SHOWN = 10


async def send_unregistered(message: Message, member: Member, fiscal: FiscalSales) -> None:
    """/pending's second section, for the owner: paid receipts with no fiscal receipt yet
    (failed or waiting), each with Retry. Nothing is said when there are none."""
    found, total = await fiscal.unregistered(member, 0, UNREGISTERED_SHOWN)
    if not total:
        return
    lines = [t("🧾 <b>Paid but not registered: {total}</b>", total=total)]
    lines += [unregistered_line(r) for r in found]
    if total > len(found):
        lines.append(t("…and {more} more.", more=total - len(found)))
    lines.append(t("Tap a receipt to register its fiscal receipt now."))
    await message.answer("\n".join(lines), reply_markup=unregistered_keyboard(found))


def unregistered_line(receipt: Receipt) -> str:
    state = fiscal_line(receipt) or ""
    return t(
        "No {number} · {amount} · {state}",
        number=receipt.number,
        amount=format_amount(receipt.amount, receipt.currency),
        state=state.removeprefix("🧾 "),
    )


def unregistered_keyboard(receipts: list[Receipt]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for receipt in receipts:
        label = t(
            "🔁 No {number} · {amount}",
            number=receipt.number,
            amount=format_amount(receipt.amount, receipt.currency),
        )
        builder.row(button(label, FiscalReceiptAction(action="register", id=receipt.id)))
    return builder.as_markup()
