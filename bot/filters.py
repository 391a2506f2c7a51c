"""Who may use a router: set once on the router (`router.message.filter(IsOwner())`), so a
handler never checks the role itself. Whoever a filter turns away falls through to the
refusal that fits (bot/routers/owner_gate.py for a cashier, common.fallback for a stranger)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from storage.models.shops import Member


class IsMember(Filter):
    """Passes for a member of any shop; everyone else falls through to the refusal."""

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None


class IsOwner(Filter):
    """Passes for a shop's owner; a cashier falls through to the owner-only refusal."""

    async def __call__(self, event: TelegramObject, member: Member | None = None) -> bool:
        return member is not None and member.is_owner
