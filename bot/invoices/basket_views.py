"""What the basket of /new says and its buttons, in the reader's language."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.catalogue.views import item_line, unit_name
from bot.i18n import t, tn
from bot.receipts.goods import goods_line
from bot.ui.callbacks import BasketAction, BasketItem, DialogAction
from bot.ui.format import escape
from bot.ui.keyboards import button
from services.core.money import format_amount
from services.invoices.basket import MAX_LINES, MAX_QUANTITY, is_decimal_unit
from storage.models.catalogue import CatalogueItem, SearchPage
from storage.models.lines import QUANTITY_SCALE, SaleLine, basket_total

BUTTON_TEXT = 60  # characters of an item's name on a button


def start_text(currency: str) -> str:
    # it begins as the dialog without a catalogue does: an amount is still welcome
    return t(
        "New invoice. Amount in {currency}? For example 250 or 250,50. Or sell from the "
        "catalogue: type a few letters of an item or its barcode, or tap an item below.",
        currency=currency,
    )


def amount_only_text(currency: str) -> str:
    # the very words of the dialog without a catalogue
    return t("New invoice. Amount in {currency}? For example 250 or 250,50.", currency=currency)


def _cancel_row() -> list[InlineKeyboardButton]:
    return [button(t("Cancel"), DialogAction(action="cancel"))]


def start_keyboard(shortlist: list[CatalogueItem]) -> InlineKeyboardMarkup:
    rows = [[button(item_line(item)[:BUTTON_TEXT], BasketItem(id=item.id))] for item in shortlist]
    rows.append([button(t("💰 Amount only"), BasketAction(action="amount"))])
    rows.append(_cancel_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def found_text(query: str) -> str:
    return t("Found for «{query}»: tap an item.", query=escape(query))


def nothing_found_text(query: str, empty_basket: bool) -> str:
    if empty_basket:
        return t(
            "Nothing found for «{query}». Try other letters or a barcode, or send an amount "
            "like 250 or 250,50.",
            query=escape(query),
        )
    return t("Nothing found for «{query}». Try other letters or a barcode.", query=escape(query))


def found_keyboard(page: SearchPage, number: int) -> InlineKeyboardMarkup:
    rows = [[button(item_line(item)[:BUTTON_TEXT], BasketItem(id=item.id))] for item in page.items]
    turns: list[InlineKeyboardButton] = []
    if number > 0:
        turns.append(button(t("◀️ Back"), BasketAction(action="page", n=number - 1)))
    if page.more:
        turns.append(button(t("More ▶️"), BasketAction(action="page", n=number + 1)))
    if turns:
        rows.append(turns)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def quantity_prompt(name: str, unit: str) -> str:
    if is_decimal_unit(unit):
        return t(
            "{name}: how much, in {unit}? For example 1 or 0,25.",
            name=escape(name),
            unit=unit_name(unit),
        )
    return t("{name}: how many, in {unit}? For example 2.", name=escape(name), unit=unit_name(unit))


def quantity_keyboard(unit: str, token: str) -> InlineKeyboardMarkup:
    quick = button("1", BasketAction(action="one", n=1, v=token))
    rows = [] if is_decimal_unit(unit) else [[quick]]
    rows.append([button(t("◀️ Back to the basket"), BasketAction(action="back"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def quantity_still_needed(name: str, unit: str) -> str:
    return t(
        "{name} still needs its quantity in {unit}: send it first, then scan the next item again.",
        name=escape(name),
        unit=unit_name(unit),
    )


def lines_refused_text() -> str:
    return t(
        "The basket's lines do not add up to the invoice's amount, so no invoice was made. "
        "The basket is kept: check it and tap Checkout again."
    )


def price_prompt(name: str, unit: str, currency: str) -> str:
    return t(
        "{name} has no price in the catalogue. Price per {unit} in {currency}?",
        name=escape(name),
        unit=unit_name(unit),
        currency=currency,
    )


def basket_text(lines: tuple[SaleLine, ...], currency: str) -> str:
    rows = [t("🧺 <b>Basket</b>")]
    for position, line in enumerate(lines, 1):
        rows.append(f"{position}. {goods_line(line, currency)}")
    rows.append(t("Total: <b>{total}</b>", total=format_amount(basket_total(lines), currency)))
    rows.append(t("Type a few letters or a barcode to add an item, or tap Checkout."))
    return "\n".join(rows)


def basket_keyboard(lines: tuple[SaleLine, ...], token: str) -> InlineKeyboardMarkup:
    rows = [
        [
            button(
                f"✏️ {index + 1}. {line.name}"[:BUTTON_TEXT],
                BasketAction(action="line", n=index, v=token),
            )
        ]
        for index, line in enumerate(lines)
    ]
    rows.append([button(t("✅ Checkout"), BasketAction(action="checkout", v=token))])
    rows.append(_cancel_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def line_text(line: SaleLine, currency: str) -> str:
    return t("Line: {line}. Change its quantity or remove it?", line=goods_line(line, currency))


def line_keyboard(position: int, token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("🔢 Quantity"), BasketAction(action="qty", n=position, v=token)),
                button(t("🗑 Remove"), BasketAction(action="remove", n=position, v=token)),
            ],
            [button(t("◀️ Back to the basket"), BasketAction(action="back"))],
        ]
    )


def refusal_text(reason: str, currency: str, max_total: int) -> str:
    """Why a change was refused; the basket is kept as it was."""
    limit = format_amount(max_total, currency)
    most = f"{MAX_QUANTITY // QUANTITY_SCALE:,}".replace(",", "\u00a0")
    texts = {
        "q_format": t("I could not read that quantity. Send a number like 2 or 0,25."),
        "q_zero": t("The quantity must be more than zero."),
        "q_negative": t("The quantity can't be negative."),
        "q_precise": t("At most three digits after the comma (0,001)."),
        "q_whole": t("This item is counted in whole units: send 1, 2, 3…"),
        "q_too_big": t("That quantity is too large (at most {most}).", most=most),
        "p_format": t("I could not read that price. Send it like 45 or 45,50."),
        "p_zero": t("The price must be more than zero."),
        "p_negative": t("The price can't be negative."),
        "p_decimals": t("At most two digits after the decimal point (kopecks)."),
        "p_too_big": t("The largest invoice is {limit}.", limit=limit),
        "unknown": t("There is no such item in the catalogue."),
        "archived": t("This item is archived and can't be sold. Ask the owner to bring it back."),
        "no_price": t("This item has no price: send its price."),
        "too_big": t(
            "With this the basket would be over the largest invoice, {limit}. "
            "The basket is as it was.",
            limit=limit,
        ),
        "too_many": tn(
            "A basket takes at most {n} line. The basket is as it was.",
            "A basket takes at most {n} lines. The basket is as it was.",
            MAX_LINES,
        ),
        "no_line": t("That line is no longer in the basket."),
        "empty": t("The basket is empty: add an item first."),
    }
    return texts.get(reason, t("I could not read that."))


def earlier_basket_text() -> str:
    return t(
        "This button is from an earlier state of the basket: nothing was changed. Use the "
        "buttons of the latest basket."
    )


def stale_text() -> str:
    return t("This dialog is over. Start again with /new.")


def needs_text() -> str:
    return t("Send it as a text message, or /cancel.")
