"""Who may use a router: set once on the router (`router.message.filter(IsOwner())`), so a
handler never checks the role itself. Whoever a filter turns away falls through to the
refusal that fits (bot/routers/owner_gate.py for a cashier, common.fallback for a stranger)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import ErrorEvent, TelegramObject

from storage.models.shops import Member


class IsMember(Filter):
    """Passes for a member of any shop; everyone else falls through to the refusal."""

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None


class IsOwner(Filter):
    """Passes for a shop's owner; a cashier falls through to the owner-only refusal."""

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None and member.is_owner


class FromButton(Filter):
    """For an error handler: passes when the failed update is a press of a button one of
    `buttons` matches (e.g. `ReceiptAction.filter(F.action != "retry")`). Errors go through
    every router's error handlers, so one that tells a router's own wording keeps to its
    buttons."""

    def __init__(self, *buttons: CallbackQueryFilter) -> None:
        self.buttons = buttons

    async def __call__(self, event: ErrorEvent) -> bool:
        callback = event.update.callback_query
        if callback is None:
            return False
        return any([bool(await matches(callback)) for matches in self.buttons])
