"""Buttons that start and confirm a refund."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import t
from bot.refunds.goods_views import line_button_text
from bot.ui.callbacks import RefundAction, RefundGoods
from bot.ui.keyboards import button
from services.core.money import format_amount
from services.refunds.lines import left_of
from storage.models.lines import ReceiptLine
from storage.models.receipts import Receipt, ReceiptStatus


def refund_button(
    receipt: Receipt, locale: str | None = None, *, owner: bool = False
) -> InlineKeyboardButton | None:
    """Refund, for the owner, on a paid receipt with something left to refund."""
    if not owner or receipt.status is not ReceiptStatus.PAID or receipt.refundable <= 0:
        return None
    return button(t("↩️ Refund", locale), RefundAction(action="start", id=receipt.id))


def refund_start_keyboard(
    receipt: Receipt, locale: str | None = None, lines: Sequence[ReceiptLine] = ()
) -> InlineKeyboardMarkup:
    """Full refund and Cancel; with `lines` (returns by goods), a button per line with
    something left to return first."""
    goods = [
        [button(line_button_text(line, locale), RefundGoods(action="line", id=receipt.id,
                                                            pos=line.position))]
        for line in lines
        if left_of(line) > 0
    ]  # fmt: skip
    full = t(
        "Full refund: {amount}",
        locale,
        amount=format_amount(receipt.refundable, receipt.currency),
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            *goods,
            [button(full, RefundAction(action="full", id=receipt.id))],
            [button(t("Cancel", locale), RefundAction(action="no", id=receipt.id))],
        ]
    )


def confirm_data(receipt: Receipt, amount: int, key: str) -> RefundAction:
    return RefundAction(
        action="ok", id=receipt.id, amount=amount, key=key, refunded=receipt.refunded_amount
    )


def refund_confirm_keyboard(
    receipt: Receipt, amount: int, key: str, locale: str | None = None
) -> InlineKeyboardMarkup:
    label = t("✅ Refund {amount}", locale, amount=format_amount(amount, receipt.currency))
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(label, confirm_data(receipt, amount, key)),
                button(t("Cancel", locale), RefundAction(action="no", id=receipt.id)),
            ]
        ]
    )


def quantity_keyboard(
    receipt: Receipt, line: ReceiptLine, all_text: str, locale: str | None = None
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [button(all_text, RefundGoods(action="all", id=receipt.id, pos=line.position))],
            [button(t("Cancel", locale), RefundAction(action="no", id=receipt.id))],
        ]
    )


def goods_confirm_keyboard(
    receipt: Receipt, position: int, quantity: int, amount: int, key: str,
    locale: str | None = None,
) -> InlineKeyboardMarkup:  # fmt: skip
    label = t("✅ Refund {amount}", locale, amount=format_amount(amount, receipt.currency))
    ok = RefundGoods(
        action="ok", id=receipt.id, pos=position, qty=quantity, key=key,
        refunded=receipt.refunded_amount,
    )  # fmt: skip
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(label, ok),
                button(t("Cancel", locale), RefundAction(action="no", id=receipt.id)),
            ]
        ]
    )
