"""The question before a second invoice for the same sale (services/invoices/duplicates.py): the
earlier invoice, told, with «Show it» (when the person may see its card) and «Issue
another», which is the summary's Confirm (the same key: a double tap makes one invoice)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.i18n import t
from bot.ui.callbacks import DialogAction, ReceiptAction
from bot.ui.format import escape
from bot.ui.keyboards import button
from services.core.money import format_amount
from services.core.periods import KYIV
from services.invoices.duplicates import EarlierInvoice


def earlier_invoice_text(earlier: EarlierInvoice, locale: str | None = None) -> str:
    receipt = earlier.receipt
    values = {
        "number": receipt.number,
        "amount": format_amount(receipt.amount, receipt.currency),
        "contact": escape(receipt.contact or ""),
        "time": receipt.created_at.astimezone(KYIV).strftime("%H:%M"),
    }
    if earlier.visible:
        head = t(
            "⚠️ Invoice No {number} for {amount} to {contact} was issued at {time} (Kyiv) and "
            "awaits payment.",
            locale,
            **values,
        )
        ask = t(
            "If it is the same sale, show the customer that one; if not, issue another.", locale
        )
    else:  # another cashier's: what this says is all a cashier is shown of it
        head = t(
            "⚠️ Invoice No {number} for {amount} to {contact} was issued by another cashier at "
            "{time} (Kyiv) and awaits payment.",
            locale,
            **values,
        )
        ask = t(
            "If it is the same sale, the customer can pay that one; if not, issue another.", locale
        )
    return head + "\n" + ask


def earlier_invoice_keyboard(earlier: EarlierInvoice, key: str) -> InlineKeyboardMarkup:
    first = []
    if earlier.visible:
        first.append(button(t("👁 Show it"), ReceiptAction(action="open", id=earlier.receipt.id)))
    first.append(button(t("➕ Issue another"), DialogAction(action="confirm", key=key)))
    cancel = button(t("Cancel"), DialogAction(action="cancel", key=key))
    return InlineKeyboardMarkup(inline_keyboard=[first, [cancel]])
