"""Refunds as people read them: the card's refunded line, the refund dialog's messages and
the notices about money given back and return receipts."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from bot.fiscal_errors import fiscal_error_text
from bot.i18n import t, tn
from services.money import AmountError, format_amount
from services.notifications import NotificationKind as K
from services.refunds import RefundProblem
from storage.models import Receipt, Refund, RefundState


def escape(text: str) -> str:  # as bot.texts.escape (which imports this module)
    return html.escape(text, quote=False)


def _money(receipt: Receipt, kopecks: int) -> str:
    return format_amount(kopecks, receipt.currency)


def card_mask(receipt: Receipt, locale: str | None = None) -> str:
    return (
        escape(receipt.card_mask) if receipt.card_mask else t("the card it was paid with", locale)
    )


def refunded_line(receipt: Receipt, locale: str | None = None) -> str | None:
    """On the card of a receipt with money given back; None when nothing was."""
    if receipt.refunded_amount <= 0:
        return None
    if receipt.refundable <= 0:
        return t(
            "↩️ Refunded in full: {refunded}",
            locale,
            refunded=_money(receipt, receipt.refunded_amount),
        )
    return t(
        "↩️ Partly refunded: {refunded} of {amount}; left: {left}",
        locale,
        refunded=_money(receipt, receipt.refunded_amount),
        amount=_money(receipt, receipt.amount),
        left=_money(receipt, receipt.refundable),
    )


def refund_start_text(receipt: Receipt, done: int, locale: str | None = None) -> str:
    """The first step: what was paid and what is left; `done` refunds made by the bot."""
    lines = [
        t("↩️ <b>Refund of receipt No {number}</b>", locale, number=receipt.number),
        t(
            "Paid: {amount}, card {mask}",
            locale,
            amount=_money(receipt, receipt.amount),
            mask=card_mask(receipt, locale),
        ),
    ]
    if receipt.refunded_amount > 0:
        refunded = _money(receipt, receipt.refunded_amount)
        if done > 0:
            lines.append(
                tn(
                    "Refunded so far: {amount} ({n} refund).",
                    "Refunded so far: {amount} ({n} refunds).",
                    done,
                    locale,
                    amount=refunded,
                )
            )
        else:
            lines.append(t("Refunded so far: {amount}.", locale, amount=refunded))
    lines.append(
        t("Left to refund: <b>{left}</b>", locale, left=_money(receipt, receipt.refundable))
    )
    lines.append(
        t(
            "Type the amount to refund (e.g. 100 or 100,50), or tap «Full refund».",
            locale,
        )
    )
    return "\n".join(lines)


def refund_confirm_text(receipt: Receipt, amount: int, locale: str | None = None) -> str:
    return t(
        "Refund <b>{amount}</b> of receipt No {number} to the customer's card {mask}?\n"
        "The money goes back at once and can't be taken back.",
        locale,
        amount=_money(receipt, amount),
        number=receipt.number,
        mask=card_mask(receipt, locale),
    )


def refund_problem_text(
    problem: RefundProblem, receipt: Receipt | None = None, locale: str | None = None
) -> str:
    left = _money(receipt, receipt.refundable) if receipt is not None else ""
    texts = {
        RefundProblem.NOT_OWNER: t("Only the shop's owner can refund.", locale),
        RefundProblem.NOT_PAID: t("Only a paid receipt can be refunded.", locale),
        RefundProblem.NOTHING_LEFT: t("This receipt is refunded in full already.", locale),
        RefundProblem.TOO_MUCH: t(
            "That is more than is left to refund: at most {left}. Type a smaller amount.",
            locale,
            left=left,
        ),
        RefundProblem.IN_FLIGHT: t(
            "Another refund of this receipt is under way. Wait for its outcome, then try again.",
            locale,
        ),
        RefundProblem.NO_KEYS: t("The shop has no LiqPay keys. Set them in /settings.", locale),
        RefundProblem.KEYS_UNREADABLE: t(
            "The shop's LiqPay keys can't be read. Enter them again in /settings.", locale
        ),
    }
    return texts[problem]


def amount_problem_text(exc: AmountError, locale: str | None = None) -> str:
    if exc.reason == "zero":
        return t("A refund can't be zero. Type the amount to refund.", locale)
    if exc.reason == "negative":
        return t("A refund can't be negative. Type the amount to refund.", locale)
    if exc.reason == "decimals":
        return t("At most two digits after the comma, e.g. 100,50.", locale)
    return t("That is not an amount. Type it like 100 or 100,50.", locale)


def refund_outcome_text(
    refund: Refund, receipt: Receipt, repeated: bool, locale: str | None = None
) -> str:
    amount = _money(receipt, refund.amount)
    if refund.state is RefundState.DONE:
        head = t(
            "↩️ {amount} of receipt No {number} went back to the customer's card {mask}.",
            locale,
            amount=amount,
            number=receipt.number,
            mask=card_mask(receipt, locale),
        )
        line = refunded_line(receipt, locale)
        return head + (f"\n{line}" if line else "")
    if refund.state is RefundState.FAILED:
        return t(
            "❌ LiqPay did not refund {amount} of receipt No {number} ({error}). Nothing was "
            "refunded.",
            locale,
            amount=amount,
            number=receipt.number,
            error=escape(refund.error or "—"),
        )
    if repeated:
        return t(
            "⏳ This refund of {amount} is under way already; you will be told its outcome.",
            locale,
            amount=amount,
        )
    return t(
        "⏳ LiqPay has not confirmed the refund of {amount} yet. The bot checks with LiqPay "
        "(never refunding twice) and tells you the outcome.",
        locale,
        amount=amount,
    )


def refund_notice(
    kind: str, payload: Mapping[str, Any], receipt: Receipt, locale: str | None = None
) -> str | None:
    """The notices about money given back; None for any other kind."""
    amount = _money(receipt, int(payload.get("amount", 0)))
    total = int(payload.get("total", 0))
    if kind == K.REFUND:
        if total >= receipt.amount:
            return t(
                "↩️ Receipt No {number} is refunded in full: {total} went back to the "
                "customer's card (this refund: {amount}).\nFor: {description}",
                locale,
                number=receipt.number,
                total=_money(receipt, total),
                amount=amount,
                description=escape(receipt.description),
            )
        return t(
            "↩️ {amount} of receipt No {number} went back to the customer's card. Refunded so "
            "far: {total} of {paid}; left: {left}.\nFor: {description}",
            locale,
            amount=amount,
            number=receipt.number,
            total=_money(receipt, total),
            paid=_money(receipt, receipt.amount),
            left=_money(receipt, receipt.amount - total),
            description=escape(receipt.description),
        )
    if kind == K.REFUND_FAILED:
        return t(
            "❌ The refund of {amount} of receipt No {number} was not made: LiqPay did not "
            "confirm it. Nothing was refunded; you can try again.",
            locale,
            amount=amount,
            number=receipt.number,
        )
    if kind == K.FISCAL_RETURN_DONE:
        text = t(
            "🧾 The return receipt of receipt No {number} ({amount}) is registered with the "
            "tax service: fiscal number <b>{code}</b>.",
            locale,
            number=receipt.number,
            amount=amount,
            code=escape(str(payload.get("code") or "—")),
        )
        link = str(payload.get("link") or "")
        if link:
            label = t("receipt at the tax service", locale)
            text += f'\n<a href="{html.escape(link, quote=True)}">{label}</a>'
        return text
    if kind == K.FISCAL_RETURN_FAILED:
        return t(
            "❗ The return receipt of receipt No {number} ({amount}) was not registered: {message}",
            locale,
            number=receipt.number,
            amount=amount,
            message=escape(fiscal_error_text(str(payload.get("message") or ""), locale)),
        )
    return None


REFUND_NOTICES = frozenset(
    {K.REFUND, K.REFUND_FAILED, K.FISCAL_RETURN_DONE, K.FISCAL_RETURN_FAILED}
)
