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
from storage.rows import catalogue_item_from
from storage.sqlite.codec import CODEC, ts
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.tx import Tx

_COLUMNS = "code, name, search_key, price, unit, tax_codes, barcode, uktzed"


def _values(item: ItemFields) -> tuple[object, ...]:
    return (
        item.code, item.name, search_key(item.name), item.price, item.unit,
        tax_codes_text(item.tax_codes), item.barcode, item.uktzed,
    )  # fmt: skip


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqliteCatalogue:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def add(self, shop_id: int, item: ItemFields, now: datetime) -> CatalogueItem:
        async def op(tx: Tx) -> CatalogueItem:
            row = await tx.one(
                f"INSERT INTO catalogue_items (shop_id, {_COLUMNS}, created_at, updated_at) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (shop_id, *_values(item), ts(now), ts(now)),
            )
            assert row is not None
            return catalogue_item_from(row, CODEC)

        return await self._db.write(op)

    async def get(self, shop_id: int, item_id: int) -> CatalogueItem | None:
        row = await self._db.one(
            "SELECT * FROM catalogue_items WHERE shop_id = ? AND id = ?", (shop_id, item_id)
        )
        return catalogue_item_from(row, CODEC) if row else None

    async def by_code(self, shop_id: int, code: str) -> CatalogueItem | None:
        row = await self._db.one(
            "SELECT * FROM catalogue_items WHERE shop_id = ? AND code = ?", (shop_id, code)
        )
        return catalogue_item_from(row, CODEC) if row else None

    async def edit(
        self, shop_id: int, item_id: int, item: ItemFields, now: datetime
    ) -> CatalogueItem | None:
        async def op(tx: Tx) -> CatalogueItem | None:
            row = await tx.one(
                "UPDATE catalogue_items SET code = ?, name = ?, search_key = ?, price = ?, "
                "unit = ?, tax_codes = ?, barcode = ?, uktzed = ?, updated_at = ? "
                "WHERE shop_id = ? AND id = ? RETURNING *",
                (*_values(item), ts(now), shop_id, item_id),
            )
            return catalogue_item_from(row, CODEC) if row else None

        return await self._db.write(op)

    async def set_archived(
        self, shop_id: int, item_id: int, archived: bool, now: datetime
    ) -> CatalogueItem | None:
        rows = await self._db.returning(
            "UPDATE catalogue_items SET archived = ?, updated_at = ? "
            "WHERE shop_id = ? AND id = ? RETURNING *",
            (int(archived), ts(now), shop_id, item_id),
        )
        return catalogue_item_from(rows[0], CODEC) if rows else None

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
        archived = "" if include_archived else "AND archived = 0 "
        rows = await self._db.all(
            "SELECT * FROM catalogue_items WHERE shop_id = ? "  # noqa: S608
            f"{archived}AND (instr(search_key, ?) > 0 OR barcode = ? OR code = ?) "
            "ORDER BY instr(search_key, ?) <> 1, search_key, id LIMIT ? OFFSET ?",
            (shop_id, key, text.strip(), text.strip(), key, limit + 1, offset),
        )
        items = [catalogue_item_from(r, CODEC) for r in rows]
        return SearchPage(items=items[:limit], more=len(items) > limit)

    async def all_items(
        self, shop_id: int, *, include_archived: bool = True
    ) -> list[CatalogueItem]:
        archived = "" if include_archived else "AND archived = 0 "
        rows = await self._db.all(
            f"SELECT * FROM catalogue_items WHERE shop_id = ? {archived}ORDER BY code",  # noqa: S608
            (shop_id,),
        )
        return [catalogue_item_from(r, CODEC) for r in rows]

    async def count(self, shop_id: int, *, include_archived: bool = False) -> int:
        archived = "" if include_archived else "AND archived = 0"
        row = await self._db.one(
            f"SELECT COUNT(*) FROM catalogue_items WHERE shop_id = ? {archived}",  # noqa: S608
            (shop_id,),
        )
        return int(row[0]) if row else 0

    async def apply_import(
        self, shop_id: int, token: str, items: Sequence[ItemFields], now: datetime
    ) -> bool:
        async def op(tx: Tx) -> bool:
            taken = await tx.execute(
                "INSERT INTO catalogue_imports (token, shop_id, applied_at) VALUES (?, ?, ?) "
                "ON CONFLICT (token) DO NOTHING",
                (token, shop_id, ts(now)),
            )
            if not taken:
                return False
            await tx.executemany(
                f"INSERT INTO catalogue_items (shop_id, {_COLUMNS}, created_at, updated_at) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop_id, code) DO UPDATE "
                "SET name = excluded.name, search_key = excluded.search_key, "
                "price = excluded.price, unit = excluded.unit, tax_codes = excluded.tax_codes, "
                "barcode = excluded.barcode, uktzed = excluded.uktzed, archived = 0, "
                "updated_at = excluded.updated_at",
                [(shop_id, *_values(item), ts(now), ts(now)) for item in items],
            )
            return True

        return await self._db.write(op)
