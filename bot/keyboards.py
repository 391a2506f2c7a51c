"""Inline and reply keyboards. Callback data holds ids only (Telegram's 64-byte limit)."""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.fiscal.views import picture_label, register_label
from bot.i18n import LANGUAGES, N_, t
from bot.texts import channel_name
from services.config import MAX_INVOICE_AMOUNT_LIMIT
from services.core.money import format_amount
from storage.models.receipts import Channel, Receipt, ReceiptStatus
from storage.models.shops import Member

# Button data comes back from the client and can be anything: every field is bounded, so
# aiogram's filter refuses what no button of ours could carry (an id past SQLite's 64 bits, a
# page number in the billions, an unknown action) and the fallback handler answers it.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # an SQLite INTEGER PRIMARY KEY
TelegramUserId = Annotated[int, Field(ge=1, le=2**53)]  # Telegram: at most 52 significant bits
PageNumber = Annotated[int, Field(ge=0, le=100_000)]
ShortText = Annotated[str, Field(max_length=16)]
# No receipt is above the invoice limit, so no refund amount or refunded sum is either; the
# bound keeps a Confirm button's data within Telegram's 64 bytes.
Kopecks = Annotated[int, Field(ge=0, le=int(MAX_INVOICE_AMOUNT_LIMIT * 100))]
DialogKey = Annotated[str, Field(max_length=32)]  # a summary's idempotency key (uuid4 hex)
ReceiptVerb = Literal["check", "open", "qr", "cancel", "cancel_yes", "cancel_no", "retry", "sms"]
SettingsItem = Literal["menu", "keys", "lifetime", "currency", "version", "sms", "fiscal"]


class ReceiptAction(CallbackData, prefix="rc"):
    action: ReceiptVerb
    id: RowId


class FiscalReceiptAction(CallbackData, prefix="frc"):
    action: Literal["register", "picture"]
    id: RowId


class RefundAction(CallbackData, prefix="rf"):
    """Refund steps; `ok` carries the amount, the confirmation's key (a double tap sends
    the same key, so it is the same refund) and the receipt's refunded sum when the
    confirmation was made (an older confirmation, once the receipt changed, refunds nothing)."""

    action: Literal["start", "full", "ok", "no"]
    id: RowId
    amount: Kopecks = 0
    key: Annotated[str, Field(max_length=16, pattern=r"^[0-9a-f]*$")] = ""
    refunded: Kopecks = 0


class ReminderSetting(CallbackData, prefix="rm"):
    item: Literal["menu", "cashier", "customer", "digest", "lead", "digest_at"]
    value: ShortText = ""


class PendingPage(CallbackData, prefix="pg"):
    page: PageNumber


class SettingsAction(CallbackData, prefix="st"):
    item: SettingsItem
    value: ShortText = ""


class ChannelChoice(CallbackData, prefix="ch"):
    channel: Channel


class DialogAction(CallbackData, prefix="dl"):
    action: Literal["skip", "confirm", "cancel"]
    # on a summary's Confirm and Cancel: ties the button to that summary, and so to the
    # receipt its Confirm made (the idempotency key)
    key: DialogKey = ""


class StaffAction(CallbackData, prefix="sf"):
    action: Literal["remove", "remove_yes", "back"]
    user_id: TelegramUserId


class LanguageChoice(CallbackData, prefix="lg"):
    language: Literal["uk", "en"]


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def menu_labels(locale: str | None = None) -> dict[str, str]:
    return {
        "new": t("➕ New invoice", locale),
        "pending": t("⏳ Pending", locale),
        "settings": t("⚙️ Settings", locale),
        "staff": t("👥 Staff", locale),
    }


def main_menu(member: Member, locale: str | None = None) -> ReplyKeyboardMarkup:
    labels = menu_labels(locale)
    rows = [[KeyboardButton(text=labels["new"]), KeyboardButton(text=labels["pending"])]]
    if member.is_owner:
        rows.append([KeyboardButton(text=labels["settings"]), KeyboardButton(text=labels["staff"])])
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def fiscal_buttons(receipt: Receipt, locale: str | None = None) -> list[InlineKeyboardButton]:
    """Register (or Retry) while a paid receipt is not registered; the picture once it is."""
    buttons = []
    register = register_label(receipt, locale)
    if register is not None:
        buttons.append(button(register, FiscalReceiptAction(action="register", id=receipt.id)))
    picture = picture_label(receipt, locale)
    if picture is not None:
        buttons.append(button(picture, FiscalReceiptAction(action="picture", id=receipt.id)))
    return buttons


def refund_button(
    receipt: Receipt, locale: str | None = None, *, owner: bool = False
) -> InlineKeyboardButton | None:
    """Refund, for the owner, on a paid receipt with something left to refund."""
    if not owner or receipt.status is not ReceiptStatus.PAID or receipt.refundable <= 0:
        return None
    return button(t("↩️ Refund", locale), RefundAction(action="start", id=receipt.id))


def notice_keyboard(
    receipt: Receipt, locale: str | None = None, *, owner: bool = False, fiscal: bool = True
) -> InlineKeyboardMarkup | None:
    """The buttons a notification about a paid receipt carries (none for the others);
    `fiscal=False`: without Register / Retry (another notice carries it)."""
    buttons = fiscal_buttons(receipt, locale) if fiscal else []
    refund = refund_button(receipt, locale, owner=owner)
    if refund is not None:
        buttons.append(refund)
    return InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


def refund_start_keyboard(receipt: Receipt, locale: str | None = None) -> InlineKeyboardMarkup:
    full = t(
        "Full refund: {amount}",
        locale,
        amount=format_amount(receipt.refundable, receipt.currency),
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
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


def receipt_card_keyboard(
    receipt: Receipt, locale: str | None = None, *, owner: bool = False
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if receipt.status is ReceiptStatus.DRAFT:
        builder.add(button(t("🔁 Retry", locale), ReceiptAction(action="retry", id=receipt.id)))
        return builder.as_markup()
    builder.add(button(t("🔄 Check status", locale), ReceiptAction(action="check", id=receipt.id)))
    if receipt.status is ReceiptStatus.AWAITING:
        if receipt.link:
            builder.add(button(t("🔳 QR", locale), ReceiptAction(action="qr", id=receipt.id)))
        if receipt.channel is Channel.SMS:
            builder.add(
                button(t("✉️ Resend SMS", locale), ReceiptAction(action="sms", id=receipt.id))
            )
        builder.add(
            button(t("🚫 Cancel invoice", locale), ReceiptAction(action="cancel", id=receipt.id))
        )
    for fiscal in fiscal_buttons(receipt, locale):
        builder.add(fiscal)
    refund = refund_button(receipt, locale, owner=owner)
    if refund is not None:
        builder.add(refund)
    builder.adjust(2)
    return builder.as_markup()


def cancel_confirm_keyboard(receipt: Receipt) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("Yes, cancel it"), ReceiptAction(action="cancel_yes", id=receipt.id)),
                button(t("No, keep it"), ReceiptAction(action="cancel_no", id=receipt.id)),
            ]
        ]
    )


def pending_keyboard(receipts: list[Receipt], page: int, pages: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for receipt in receipts:
        label = t(
            "🔄 No {number} · {amount}",
            number=receipt.number,
            amount=format_amount(receipt.amount, receipt.currency),
        )
        builder.row(button(label, ReceiptAction(action="open", id=receipt.id)))
    nav = []
    if page > 0:
        nav.append(button("◀️", PendingPage(page=page - 1)))
    if page + 1 < pages:
        nav.append(button("▶️", PendingPage(page=page + 1)))
    if nav:
        builder.row(*nav)
    return builder.as_markup()


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


def channel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for channel in Channel:
        builder.add(button(channel_name(channel), ChannelChoice(channel=channel)))
    builder.add(button(t("Cancel"), DialogAction(action="cancel")))
    builder.adjust(2)
    return builder.as_markup()


def skip_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("Skip"), DialogAction(action="skip")),
                button(t("Cancel"), DialogAction(action="cancel")),
            ]
        ]
    )


def cancel_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(t("Cancel"), DialogAction(action="cancel"))]]
    )


def confirm_keyboard(key: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("✅ Confirm"), DialogAction(action="confirm", key=key)),
                button(t("Cancel"), DialogAction(action="cancel", key=key)),
            ]
        ]
    )


def settings_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.add(button(t("🔑 LiqPay keys"), SettingsAction(item="keys")))
    builder.add(button(t("⏱ Invoice lifetime"), SettingsAction(item="lifetime")))
    builder.add(button(t("💱 Currency"), SettingsAction(item="currency")))
    builder.add(button(t("🔢 API version"), SettingsAction(item="version")))
    builder.add(button(t("📱 SMS gateway"), SettingsAction(item="sms")))
    builder.add(button(t("🔔 Reminders"), ReminderSetting(item="menu")))
    builder.add(button(t("🧾 Fiscalization"), SettingsAction(item="fiscal")))
    builder.adjust(1)
    return builder.as_markup()


LIFETIME_CHOICES = (
    (15 * 60, N_("15 min")),
    (3600, N_("1 h")),
    (24 * 3600, N_("24 h")),
    (3 * 24 * 3600, N_("3 days")),
    (7 * 24 * 3600, N_("7 days")),
)


def options_keyboard(item: SettingsItem, options: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for value, label in options:
        builder.add(button(label, SettingsAction(item=item, value=value)))
    builder.add(button(t("◀️ Back"), SettingsAction(item="menu")))
    builder.adjust(3)
    return builder.as_markup()


def staff_keyboard(members: list[Member]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for member in members:
        if not member.is_owner:
            label = t("Remove {name}", name=member.name or str(member.user_id))
            builder.row(button(label, StaffAction(action="remove", user_id=member.user_id)))
    return builder.as_markup()


def staff_confirm_keyboard(user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("Yes, remove"), StaffAction(action="remove_yes", user_id=user_id)),
                button(t("No"), StaffAction(action="back", user_id=user_id)),
            ]
        ]
    )


def language_keyboard() -> InlineKeyboardMarkup:
    names = {"uk": "🇺🇦 Українська", "en": "🇬🇧 English"}
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(names[code], LanguageChoice(language=code)) for code in LANGUAGES]]
    )
