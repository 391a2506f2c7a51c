"""The shops' catalogues."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.models.catalogue import (
    CatalogueItem,
    ItemFields,
    SearchPage,
    search_key,
    tax_codes_text,
)
from storage.postgres.engine import CODEC, PostgresEngine, Tx
from storage.rows import catalogue_item_from

_COLUMNS = "code, name, search_key, price, unit, tax_codes, barcode, uktzed"


def _values(item: ItemFields) -> tuple[object, ...]:
    return (
        item.code, item.name, search_key(item.name), item.price, item.unit,
        tax_codes_text(item.tax_codes), item.barcode, item.uktzed,
    )  # fmt: skip


class PostgresCatalogue:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def add(self, shop_id: int, item: ItemFields, now: datetime) -> CatalogueItem:
        row = await self._db.one(
            f"INSERT INTO catalogue_items (shop_id, {_COLUMNS}, created_at, updated_at) "  # noqa: S608
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *",
            shop_id, *_values(item), now,
        )  # fmt: skip
        assert row is not None
        return catalogue_item_from(row, CODEC)

    async def get(self, shop_id: int, item_id: int) -> CatalogueItem | None:
        row = await self._db.one(
            "SELECT * FROM catalogue_items WHERE shop_id = $1 AND id = $2", shop_id, item_id
        )
        return catalogue_item_from(row, CODEC) if row else None

    async def by_code(self, shop_id: int, code: str) -> CatalogueItem | None:
        row = await self._db.one(
            "SELECT * FROM catalogue_items WHERE shop_id = $1 AND code = $2", shop_id, code
        )
        return catalogue_item_from(row, CODEC) if row else None

    async def edit(
        self, shop_id: int, item_id: int, item: ItemFields, now: datetime
    ) -> CatalogueItem | None:
        row = await self._db.one(
            "UPDATE catalogue_items SET code = $1, name = $2, search_key = $3, price = $4, "
            "unit = $5, tax_codes = $6, barcode = $7, uktzed = $8, updated_at = $9 "
            "WHERE shop_id = $10 AND id = $11 RETURNING *",
            *_values(item), now, shop_id, item_id,
        )  # fmt: skip
        return catalogue_item_from(row, CODEC) if row else None

    async def set_archived(
        self, shop_id: int, item_id: int, archived: bool, now: datetime
    ) -> CatalogueItem | None:
        row = await self._db.one(
            "UPDATE catalogue_items SET archived = $1, updated_at = $2 "
            "WHERE shop_id = $3 AND id = $4 RETURNING *",
            archived, now, shop_id, item_id,
        )  # fmt: skip
        return catalogue_item_from(row, CODEC) if row else None

    async def search(
        self,
        shop_id: int,
        text: str,
        *,
        limit: int,
        offset: int = 0,
        include_archived: bool = False,
    ) -> SearchPage:
        key = search_key(text)
        archived = "" if include_archived else "AND NOT archived "
        rows = await self._db.all(
            "SELECT * FROM catalogue_items WHERE shop_id = $1 "  # noqa: S608
            f"{archived}AND (strpos(search_key, $2) > 0 OR barcode = $3 OR code = $3) "
            "ORDER BY strpos(search_key, $2) <> 1, search_key COLLATE \"C\", id "
            "LIMIT $4 OFFSET $5",
            shop_id, key, text.strip(), limit + 1, offset,
        )  # fmt: skip
        items = [catalogue_item_from(r, CODEC) for r in rows]
        return SearchPage(items=items[:limit], more=len(items) > limit)

    async def all_items(
        self, shop_id: int, *, include_archived: bool = True
    ) -> list[CatalogueItem]:
        archived = "" if include_archived else "AND NOT archived "
        rows = await self._db.all(
            f"SELECT * FROM catalogue_items WHERE shop_id = $1 {archived}"  # noqa: S608
            'ORDER BY code COLLATE "C"',
            shop_id,
        )
        return [catalogue_item_from(r, CODEC) for r in rows]

    async def count(self, shop_id: int, *, include_archived: bool = False) -> int:
        archived = "" if include_archived else "AND NOT archived"
        return int(
            await self._db.value(
                f"SELECT COUNT(*) FROM catalogue_items WHERE shop_id = $1 {archived}",  # noqa: S608
                shop_id,
            )
        )

    async def apply_import(
        self, shop_id: int, token: str, items: Sequence[ItemFields], now: datetime
    ) -> bool:
        async def op(tx: Tx) -> bool:
            taken = await tx.execute(
                "INSERT INTO catalogue_imports (token, shop_id, applied_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (token) DO NOTHING",
                token, shop_id, now,
            )  # fmt: skip
            if not taken:
                return False
            for item in items:
                await tx.execute(
                    f"INSERT INTO catalogue_items (shop_id, {_COLUMNS}, created_at, updated_at) "  # noqa: S608
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) "
                    "ON CONFLICT (shop_id, code) DO UPDATE SET name = excluded.name, "
                    "search_key = excluded.search_key, price = excluded.price, "
                    "unit = excluded.unit, tax_codes = excluded.tax_codes, "
                    "barcode = excluded.barcode, uktzed = excluded.uktzed, archived = FALSE, "
                    "updated_at = excluded.updated_at",
                    shop_id, *_values(item), now,
                )  # fmt: skip
            return True

        return await self._db.transaction(op)
