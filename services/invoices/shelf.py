"""What the basket of /new offers: the shop's catalogue items found by a few letters or a
barcode, the cashier's recent items, and an item checked for sale (known, not archived).
No aiogram; refusals are `BasketError`s (services/invoices/basket.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.invoices.basket import BasketError, looks_like_barcode
from storage.models.catalogue import CatalogueItem, SearchPage
from storage.models.shops import Member
from storage.protocols.catalogue import CatalogueRepository

PAGE = 8  # found items per page of buttons
SHORTLIST = 8  # recent items offered as buttons
MAX_QUERY = 64


class RecentItems(Protocol):
    async def recent_items(self, shop_id: int, cashier_id: int, limit: int) -> list[int]:
        """The catalogue items the cashier sold most recently, newest first (ids)."""
        ...


@dataclass(frozen=True)
class Found:
    """What a typed text found: one item by its barcode, or a page of items by name."""

    item: CatalogueItem | None
    page: SearchPage


class BasketShelf:
    def __init__(self, items: CatalogueRepository, recent: RecentItems | None = None) -> None:
        self.items = items
        self.recent = recent

    async def has_catalogue(self, member: Member) -> bool:
        """The basket is offered when the shop has an item to sell."""
        return await self.items.count(member.shop_id) > 0

    async def by_barcode(self, member: Member, text: str) -> CatalogueItem | None:
        """The item whose barcode this is (archived ones too: they are refused by name);
        None when the text is no barcode of the shop's."""
        code = text.strip()
        if not looks_like_barcode(code):
            return None
        page = await self.items.search(member.shop_id, code, limit=PAGE, include_archived=True)
        matches = [item for item in page.items if item.barcode == code]
        live = [item for item in matches if not item.archived]
        found = live or matches
        return found[0] if found else None

    async def find(self, member: Member, text: str, page: int = 0) -> SearchPage:
        """Items for sale whose name holds `text` (or whose code or barcode it is)."""
        return await self.items.search(
            member.shop_id, text.strip()[:MAX_QUERY], limit=PAGE, offset=max(page, 0) * PAGE
        )

    async def for_sale(self, member: Member, item_id: int) -> CatalogueItem:
        """Raises BasketError: `unknown` (not the shop's), `archived`."""
        item = await self.items.get(member.shop_id, item_id)
        if item is None:
            raise BasketError("unknown")
        if item.archived:
            raise BasketError("archived")
        return item

    async def shortlist(self, member: Member) -> list[CatalogueItem]:
        """Buttons under /new: the cashier's recent items; a small catalogue whole."""
        found: list[CatalogueItem] = []
        if self.recent is not None:
            for item_id in await self.recent.recent_items(
                member.shop_id, member.user_id, SHORTLIST
            ):
                item = await self.items.get(member.shop_id, item_id)
                if item is not None and not item.archived:
                    found.append(item)
        if found:
            return found
        if await self.items.count(member.shop_id) <= SHORTLIST:
            return await self.items.all_items(member.shop_id, include_archived=False)
        return []
