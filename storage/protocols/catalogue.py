from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from storage.models.catalogue import CatalogueItem, ItemFields, SearchPage


class CatalogueRepository(Protocol):
    """The shops' catalogues: items with a code unique in their shop."""

    async def add(self, shop_id: int, item: ItemFields, now: datetime) -> CatalogueItem:
        """A new item (not archived); IntegrityViolation when its code is taken in the shop."""
        ...

    async def get(self, shop_id: int, item_id: int) -> CatalogueItem | None:
        """The shop's item, archived or not; None for another shop's."""
        ...

    async def by_code(self, shop_id: int, code: str) -> CatalogueItem | None: ...

    async def edit(
        self, shop_id: int, item_id: int, item: ItemFields, now: datetime
    ) -> CatalogueItem | None:
        """Replace the item's fields (updated_at = now); None when there is no such item;
        IntegrityViolation when the new code is another item's."""
        ...

    async def set_archived(
        self, shop_id: int, item_id: int, archived: bool, now: datetime
    ) -> CatalogueItem | None: ...

    async def search(
        self,
        shop_id: int,
        text: str,
        *,
        limit: int,
        offset: int = 0,
        include_archived: bool = False,
    ) -> SearchPage:
        """Items whose name contains `text` (case-insensitive, names starting with it
        first, then by name), or whose barcode or code is `text`."""
        ...

    async def all_items(
        self, shop_id: int, *, include_archived: bool = True
    ) -> list[CatalogueItem]:
        """By code."""
        ...

    async def count(self, shop_id: int, *, include_archived: bool = False) -> int: ...

    async def apply_import(
        self, shop_id: int, token: str, items: Sequence[ItemFields], now: datetime
    ) -> bool:
        """In one transaction: each item inserted, or, when its code is in the shop, its
        fields replaced (unarchived). False, nothing written, when `token` was applied
        before (a double tap of Confirm). Any violation: nothing written, it is raised."""
        ...
