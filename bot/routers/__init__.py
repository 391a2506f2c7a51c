"""One router per feature. Order matters: commands first, the polite refusal last."""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    """New Routers for one dispatcher (a Router joins one parent only): each feature module
    declares its handlers on a plan (bot/routers/plan.py) that is built anew here."""
    from bot.catalogue import browse as catalogue
    from bot.catalogue import manage as catalogue_owner
    from bot.fiscal import actions as fiscal_actions
    from bot.fiscal import credentials as fiscal_credentials
    from bot.fiscal import receipts as fiscal_receipts
    from bot.fiscal import settings as fiscal_settings
    from bot.goods import handlers as goods_name
    from bot.invoices import basket as invoice_basket
    from bot.invoices import basket_lines as invoice_basket_lines
    from bot.invoices import dialog as invoice
    from bot.invoices import issuing
    from bot.invoices import summary as invoice_summary
    from bot.miniapp import chat as miniapp
    from bot.receipts import card as receipt_card
    from bot.receipts import pending as receipts
    from bot.reconcile import handlers as reconcile
    from bot.refunds import goods as refund_goods
    from bot.refunds import handlers as refunds
    from bot.reminders import handlers as reminder_settings
    from bot.reports import handlers as reports
    from bot.routers import common, owner_gate
    from bot.settings import buttons as settings_buttons
    from bot.settings import handlers as settings
    from bot.shops import staff, start

    plans = [
        common.router,
        start.router,
        staff.router,
        fiscal_credentials.router,  # before fiscal_settings, which takes its other buttons
        fiscal_settings.router,  # before settings: it takes the settings screen's button
        fiscal_actions.router,
        settings.router,
        settings_buttons.router,
        refunds.router,
        refund_goods.router,
        reminder_settings.router,
        goods_name.router,
        catalogue_owner.router,
        reconcile.router,
        owner_gate.refusal,  # a cashier at an owner's command or button: after the owner's routers
        issuing.router,  # before the dialog's catch-all for spent buttons
        invoice.router,  # the dialog's first steps, then
        invoice_basket.router,  # the basket (a shop with a catalogue): its items, then
        invoice_basket_lines.router,  # its lines, Checkout and its catch-alls, then
        invoice_summary.router,  # its last steps and its catch-alls, in the order they had
        receipts.router,
        receipt_card.router,
        fiscal_receipts.router,
        reports.router,
        catalogue.router,
        miniapp.router,
        common.fallback,
    ]
    return [plan.build() for plan in plans]
