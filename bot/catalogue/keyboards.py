"""The buttons of /catalogue: the screen, search results, an item's card, an import."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.catalogue.views import item_line
from bot.i18n import t
from bot.ui.callbacks import CatalogueImport, CatalogueItemAction, CatalogueMenu, CataloguePage
from bot.ui.keyboards import button
from storage.models.catalogue import CatalogueItem, SearchPage

FIELDS = ("name", "price", "unit", "tax", "barcode", "uktzed")


def menu_keyboard(owner: bool, register: bool) -> InlineKeyboardMarkup:
    rows = [[button(t("🔎 Search"), CatalogueMenu(action="search"))]]
    if owner:
        rows[0].insert(0, button(t("➕ Add"), CatalogueMenu(action="add")))
        rows.append([button(t("📥 Import CSV"), CatalogueMenu(action="csv"))])
        if register:
            rows[-1].append(button(t("📥 From Checkbox"), CatalogueMenu(action="register")))
    rows.append([button(t("📤 Export CSV"), CatalogueMenu(action="export"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def results_keyboard(page: SearchPage, number: int) -> InlineKeyboardMarkup:
    rows = [
        [button(item_line(item)[:64], CatalogueItemAction(action="open", id=item.id))]
        for item in page.items
    ]
    turns: list[InlineKeyboardButton] = []
    if number > 0:
        turns.append(button(t("◀️ Back"), CataloguePage(page=number - 1)))
    if page.more:
        turns.append(button(t("More ▶️"), CataloguePage(page=number + 1)))
    if turns:
        rows.append(turns)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_keyboard(item: CatalogueItem, owner: bool) -> InlineKeyboardMarkup | None:
    if not owner:
        return None
    labels = {
        "name": t("Name"),
        "price": t("Price"),
        "unit": t("Unit"),
        "tax": t("Tax"),
        "barcode": t("Barcode"),
        "uktzed": t("UKTZED"),
    }
    edits = [
        button(f"✏️ {labels[f]}", CatalogueItemAction(action="edit", id=item.id, field=f))
        for f in FIELDS
    ]
    archive = (
        button(t("♻️ Unarchive"), CatalogueItemAction(action="unarchive", id=item.id))
        if item.archived
        else button(t("🗄 Archive"), CatalogueItemAction(action="archive", id=item.id))
    )
    return InlineKeyboardMarkup(inline_keyboard=[edits[0:3], edits[3:6], [archive]])


def import_keyboard(token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(t("✅ Confirm"), CatalogueImport(action="apply", token=token)),
                button(t("✖️ Cancel"), CatalogueImport(action="cancel", token=token)),
            ]
        ]
    )
