"""Who hears about a shop's receipts: its owners and all its members, remembered a minute."""

from __future__ import annotations

import time

from services.notifications.jobs import recipients
from storage.models.jobs import NewJob
from storage.models.receipts import Receipt
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


class ReceiptNotices:
    """The notices a receipt's change sends: to the issuing cashier and the owners (or the
    owners only), plus the card redrawn. Given to the receipt service and the refund ledger."""

    def __init__(self, audience: Audience) -> None:
        self.audience = audience

    async def __call__(
        self, receipt: Receipt, kind: str, *, owners_only: bool = False
    ) -> list[NewJob]:
        owners, members = await self.audience(receipt.shop_id)
        return recipients(receipt, kind, owners, members, owners_only=owners_only)
