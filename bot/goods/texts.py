"""Texts of the goods name setting, shared by its screen and the /settings screen."""

from __future__ import annotations

from bot.i18n import t
from bot.ui.format import escape
from services.goods.settings import GoodsNameChoice


def goods_name_line(choice: GoodsNameChoice) -> str:
    """The /settings screen's line. The name itself is Ukrainian in either language: it is
    what the fiscal receipt prints."""
    if choice.name is None:
        line = t(
            "Goods name on receipts: not chosen (prints «{name}»)", name=escape(choice.printed)
        )
    else:
        line = t("Goods name on receipts: {name}", name=escape(choice.printed))
    if choice.from_purpose:
        line += t(", or the payment's purpose when typed")
    return line


def goods_name_menu_text(choice: GoodsNameChoice) -> str:
    return "\n\n".join(
        [
            t(
                "🏷 <b>Goods name</b>\nA receipt sold as an amount only (without the "
                "catalogue) names its goods by this name. The tax service wants the goods "
                "named: a group that says what you sell will do. Pick one or type your own."
            ),
            goods_name_line(choice),
        ]
    )
