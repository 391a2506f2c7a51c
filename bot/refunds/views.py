"""Refunds as people read them: the card's refunded line, the refund dialog's messages and
the outcomes of a refund (its notices are bot/refunds/notices.py's)."""

from __future__ import annotations

from typing import Any

from bot.i18n import t, tn
from bot.ui.format import escape
from services.core.money import AmountError, format_amount
from services.refunds.problems import RefundFailure, RefundProblem, failure_of
from storage.models.receipts import Receipt
from storage.models.refunds import Refund, RefundState


def refund_money(receipt: Receipt, kopecks: int) -> str:
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
            refunded=refund_money(receipt, receipt.refunded_amount),
        )
    return t(
        "↩️ Partly refunded: {refunded} of {amount}; left: {left}",
        locale,
        refunded=refund_money(receipt, receipt.refunded_amount),
        amount=refund_money(receipt, receipt.amount),
        left=refund_money(receipt, receipt.refundable),
    )


def refund_start_text(
    receipt: Receipt, done: int, locale: str | None = None, *, by_amount: bool = True
) -> str:
    """The first step: what was paid and what is left; `done` refunds made by the bot.
    `by_amount`: an amount may be typed (not for a receipt of several goods lines)."""
    lines = [
        t("↩️ <b>Refund of receipt No {number}</b>", locale, number=receipt.number),
        t(
            "Paid: {amount}, card {mask}",
            locale,
            amount=refund_money(receipt, receipt.amount),
            mask=card_mask(receipt, locale),
        ),
    ]
    if receipt.refunded_amount > 0:
        refunded = refund_money(receipt, receipt.refunded_amount)
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
        t("Left to refund: <b>{left}</b>", locale, left=refund_money(receipt, receipt.refundable))
    )
    if by_amount:
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
        amount=refund_money(receipt, amount),
        number=receipt.number,
        mask=card_mask(receipt, locale),
    )


def refund_problem_text(
    problem: RefundProblem, receipt: Receipt | None = None, locale: str | None = None
) -> str:
    left = refund_money(receipt, receipt.refundable) if receipt is not None else ""
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
        RefundProblem.CHANGED: t(
            "This receipt changed since this confirmation was made. Nothing was refunded.",
            locale,
        ),
        RefundProblem.NO_KEYS: t("The shop has no LiqPay keys. Set them in /settings.", locale),
        RefundProblem.KEYS_UNREADABLE: t(
            "The shop's LiqPay keys can't be read. Enter them again in /settings.", locale
        ),
        RefundProblem.CHOOSE_GOODS: t(
            "This receipt has several goods: tap the line that comes back, or «Full refund».",
            locale,
        ),
        RefundProblem.QUANTITY_TOO_BIG: t(
            "That is more of this line than was sold and not returned yet.", locale
        ),
        RefundProblem.QUANTITY_FORMAT: t(
            "That is not a quantity: type it like 1 or 0,25 (pieces are whole).", locale
        ),
    }
    return texts[problem]


def refund_changed_text(receipt: Receipt, locale: str | None = None) -> str:
    """An older Confirm button tapped after the receipt's refunded sum changed: nothing is
    refunded; the receipt as it is now."""
    lines = [
        t(
            "⚠️ Receipt No {number} changed since this confirmation was made, so nothing was "
            "refunded now.",
            locale,
            number=receipt.number,
        )
    ]
    line = refunded_line(receipt, locale)
    if line:
        lines.append(line)
    if receipt.refundable > 0:
        lines.append(
            t(
                "To refund more, tap «↩️ Refund» on the receipt again and confirm the new amount.",
                locale,
            )
        )
    return "\n".join(lines)


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
    amount = refund_money(receipt, refund.amount)
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
        return refund_failed_text(receipt, refund.amount, refund.error, locale)
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


def refund_failed_text(
    receipt: Receipt, kopecks: int, error: str | None, locale: str | None = None
) -> str:
    """A FAILED refund, by its stored problem code (services.refunds.service.RefundFailure);
    LiqPay's own err_code appears only as a code inside a sentence in the reader's language."""
    failure, code = failure_of(error)
    facts: dict[str, Any] = {"amount": refund_money(receipt, kopecks), "number": receipt.number}
    if failure is RefundFailure.NO_KEYS:
        return t(
            "❌ The refund of {amount} of receipt No {number} was not made: the shop has no "
            "LiqPay keys, so LiqPay was not asked. Nothing was refunded. Set the keys in "
            "/settings, then try again.",
            locale,
            **facts,
        )
    if failure is RefundFailure.KEYS_UNREADABLE:
        return t(
            "❌ The refund of {amount} of receipt No {number} was not made: the shop's LiqPay "
            "keys can't be read, so LiqPay was not asked. Nothing was refunded. Enter the keys "
            "again in /settings, then try again.",
            locale,
            **facts,
        )
    if failure is RefundFailure.REFUSED:
        if code:
            return t(
                "❌ LiqPay refused the refund of {amount} of receipt No {number} (LiqPay error "
                "code: <code>{code}</code>). Nothing was refunded.",
                locale,
                code=escape(code),
                **facts,
            )
        return t(
            "❌ LiqPay refused the refund of {amount} of receipt No {number}. Nothing was "
            "refunded.",
            locale,
            **facts,
        )
    return t(
        "❌ The refund of {amount} of receipt No {number} was not made: LiqPay shows the "
        "money was not returned. Nothing was refunded; you can try again.",
        locale,
        **facts,
    )
