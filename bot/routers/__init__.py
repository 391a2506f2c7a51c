"""One router per feature. Order matters: commands first, the polite refusal last."""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    """New Routers for one dispatcher (a Router joins one parent only): each feature module
    declares its handlers on a plan (bot/routers/plan.py) that is built anew here."""
    from bot.routers import (
        common,
        fiscal_actions,
        fiscal_credentials,
        fiscal_receipts,
        fiscal_settings,
        invoice,
        issuing,
        owner_gate,
        receipt_card,
        receipts,
        refunds,
        reminder_settings,
        reports,
        settings,
        settings_buttons,
        staff,
        start,
    )

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
        reminder_settings.router,
        owner_gate.refusal,  # a cashier at an owner's command or button: after the owner's routers
        issuing.router,  # before the dialog's catch-all for spent buttons
        invoice.router,
        receipts.router,
        receipt_card.router,
        fiscal_receipts.router,
        reports.router,
        common.fallback,
    ]
    return [plan.build() for plan in plans]
