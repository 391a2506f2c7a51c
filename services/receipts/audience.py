"""Who hears about a shop's receipts: its owners and all its members, remembered a minute."""

from __future__ import annotations

import time

from storage.models.shops import Role
from storage.protocols.shops import ShopRepository

AUDIENCE_TTL = 60.0


class Audience:
    def __init__(self, shops: ShopRepository) -> None:
        self.shops = shops
        self._audience: dict[int, tuple[float, list[int], set[int]]] = {}

    async def __call__(self, shop_id: int) -> tuple[list[int], set[int]]:
        """The shop's owners and all its members, remembered for a minute: every payment
        notifies them. (A removed cashier stops being told within that minute.)"""
        now = time.monotonic()
        cached = self._audience.get(shop_id)
        if cached is None or cached[0] < now:
            owners = await self.shops.member_ids(shop_id, Role.OWNER)
            members = set(await self.shops.member_ids(shop_id))
            cached = self._audience[shop_id] = (now + AUDIENCE_TTL, owners, members)
        return cached[1], cached[2]
