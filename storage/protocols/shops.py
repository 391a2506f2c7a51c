from __future__ import annotations

from datetime import datetime
from typing import Protocol

from storage.models.shops import InviteOutcome, Member, Role


class ShopRepository(Protocol):
    """Shops, their members (a user belongs to at most one shop) and one-time invites."""

    async def create_shop(self, owner_id: int, owner_name: str, name: str, now: datetime) -> Member:
        """A shop with its owner as first member and default settings, in one transaction.
        IntegrityViolation when the owner already belongs to a shop."""
        ...

    async def get_member(self, user_id: int) -> Member | None: ...

    async def list_members(self, shop_id: int) -> list[Member]:
        """Owners first, then by joining time."""
        ...

    async def member_ids(self, shop_id: int, role: Role | None = None) -> list[int]:
        """User ids by joining time, optionally of one role."""
        ...

    async def remove_cashier(self, shop_id: int, user_id: int) -> bool:
        """False when that user is not a cashier of that shop (an owner is never removed)."""
        ...

    async def create_invite(
        self, shop_id: int, token: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None: ...

    async def redeem_invite(
        self, token: str, user_id: int, name: str, now: datetime
    ) -> tuple[InviteOutcome, Member | None]:
        """Atomically: an invite is spent at most once even when redeemed concurrently.
        UNKNOWN, USED, EXPIRED (valid while now < expires_at) -> (outcome, None);
        ALREADY_MEMBER -> the user's current membership, and the invite is not spent;
        JOINED -> the new cashier membership."""
        ...
