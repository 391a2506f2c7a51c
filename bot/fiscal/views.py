"""A paid receipt's fiscal receipt as people read it: the card's line, the notices the
fiscal worker sends, and their buttons."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from bot.fiscal.errors import fiscal_error_text, kyiv_date
from bot.i18n import t, tn
from bot.ui.format import escape, kyiv_time
from services.core.money import format_amount
from services.fiscal.policy import UNAVAILABLE, registrable
from services.notifications.jobs import NotificationKind as K
from storage.models.fiscal import FiscalState
from storage.models.receipts import Receipt, ReceiptStatus

F = FiscalState
MAX_ERROR_SHOWN = 300


def fiscal_link(receipt: Receipt, locale: str | None = None) -> str:
    if not receipt.fiscal_url:
        return ""
    url = html.escape(receipt.fiscal_url, quote=True)
    label = t("receipt at the tax service", locale)
    return f'<a href="{url}">{label}</a>'


def fiscal_line(
    receipt: Receipt, locale: str | None = None, *, worker_tells: bool = False
) -> str | None:
    """The fiscal receipt's state on a paid receipt's card and paid notice; None when the
    receipt is not to be registered. `worker_tells`: an owner's paid notice while the fiscal
    worker is registering it, which tells the owners its outcome (registered, refused,
    Checkbox not answering) in a notice of its own: this one does not say it too."""
    state = receipt.fiscal_state
    if state is None or receipt.status not in (ReceiptStatus.PAID, ReceiptStatus.REFUNDED):
        return None
    if worker_tells and state in (F.NOT_REGISTERED, F.REGISTERING):
        return t("🧾 Fiscal receipt: being registered…", locale)
    if state is F.REGISTERED:
        line = t(
            "🧾 Fiscal receipt No <b>{code}</b>", locale, code=escape(receipt.fiscal_code or "—")
        )
        if receipt.fiscal_date:
            line += " " + t("of {when}", locale, when=kyiv_time(receipt.fiscal_date))
        link = fiscal_link(receipt, locale)
        return line + (f": {link}" if link else "")
    if state is F.REGISTERING:
        return t("🧾 Fiscal receipt: being registered…", locale)
    if state is F.FAILED:
        return t(
            "🧾 Fiscal receipt: not registered, the tax service refused: {message}",
            locale,
            message=escape(fiscal_error_text(receipt.fiscal_error, locale)[:MAX_ERROR_SHOWN]),
        )
    if receipt.fiscal_error == UNAVAILABLE:
        return t(
            "🧾 Fiscal receipt: not registered yet. Checkbox is not answering; the bot keeps "
            "trying by itself.",
            locale,
        )
    return t("🧾 Fiscal receipt: not registered yet", locale)


def fiscal_notice(kind: str, receipt: Receipt, locale: str | None = None) -> str | None:
    """The worker's notices about one receipt; None for any other kind."""
    amount = format_amount(receipt.amount, receipt.currency)
    if kind == K.FISCAL_DONE:
        text = t(
            "🧾 Receipt No {number} ({amount}) is registered with the tax service: fiscal "
            "number <b>{code}</b>.",
            locale,
            number=receipt.number,
            amount=amount,
            code=escape(receipt.fiscal_code or "—"),
        )
        link = fiscal_link(receipt, locale)
        return text + (f"\n{link}" if link else "")
    if kind == K.FISCAL_FAILED:
        return t(
            "❗ Receipt No {number} ({amount}) is paid, but the tax service refused its fiscal "
            "receipt: {message}\nTap «Retry» to register it again.",
            locale,
            number=receipt.number,
            amount=amount,
            message=escape(fiscal_error_text(receipt.fiscal_error, locale)[:MAX_ERROR_SHOWN]),
        )
    if kind == K.FISCAL_DOWN:
        return t(
            "⚠️ Checkbox is not answering: receipt No {number} ({amount}) is paid but its "
            "fiscal receipt is not registered yet. The bot keeps trying by itself; «Retry» "
            "tries at once.",
            locale,
            number=receipt.number,
            amount=amount,
        )
    if kind == K.FISCAL_EMAIL_FAILED:
        return t(
            "⚠️ The fiscal receipt of receipt No {number} is registered, but Checkbox did not "
            "e-mail it to {email}. Send it to the customer with the «Fiscal receipt» button.",
            locale,
            number=receipt.number,
            email=escape(receipt.contact or ""),
        )
    return None


def shop_notice(kind: str, payload: dict[str, Any], locale: str | None = None) -> str | None:
    """Notices about the shop, not a receipt; None for any other kind."""
    if kind == K.FISCAL_SHIFT_CLOSED:
        count = int(payload.get("count", 0))
        amount = format_amount(int(payload.get("amount", 0)), "UAH")
        return tn(
            "🔒 The Checkbox shift is closed (Z report): {n} fiscal receipt for {amount}.",
            "🔒 The Checkbox shift is closed (Z report): {n} fiscal receipts for {amount}.",
            count,
            locale,
            amount=amount,
        )
    if kind == K.FISCAL_KEY_EXPIRING:
        return tn(
            "🔑 The Checkbox cashier's key expires in {n} day (on {date}). Renew the "
            "cashier's KEP key in the Checkbox cabinet (Cashiers → the bot's cashier → "
            "key); once it expires, no fiscal receipt can be registered.",
            "🔑 The Checkbox cashier's key expires in {n} days (on {date}). Renew the "
            "cashier's KEP key in the Checkbox cabinet (Cashiers → the bot's cashier → "
            "key); once it expires, no fiscal receipt can be registered.",
            int(payload.get("days", 1)),
            locale,
            date=kyiv_date(datetime.fromisoformat(str(payload["end"]))),
        )
    if kind == K.FISCAL_UNREADABLE:
        return t(
            "⚠️ The Checkbox license key and PIN code can't be read: the bot's secret key was "
            "changed. Enter them again in /settings → Fiscalization. Paid receipts wait and "
            "are registered afterwards.",
            locale,
        )
    return None


def register_label(receipt: Receipt, locale: str | None = None) -> str | None:
    """The button that registers the receipt (Retry after a refusal), when it belongs."""
    if receipt.status is not ReceiptStatus.PAID or not registrable(receipt):
        return None
    if receipt.fiscal_state is F.FAILED or receipt.fiscal_error == UNAVAILABLE:
        return t("🔁 Retry fiscal receipt", locale)
    return t("🧾 Register receipt", locale)


def picture_label(receipt: Receipt, locale: str | None = None) -> str | None:
    if receipt.fiscal_state is not F.REGISTERED:
        return None
    return t("🧾 Fiscal receipt", locale)
