"""A shop's register in Checkbox's offline mode and its offline fiscal codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.models.offline import OfflineRegister, RegisterMode
from storage.sqlite.codec import CODEC, ts, ts_or_none
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.tx import Tx


class SqliteOffline:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def register(self, shop_id: int) -> OfflineRegister:
        row = await self._db.one("SELECT * FROM offline_registers WHERE shop_id = ?", (shop_id,))
        if row is None:
            return OfflineRegister(shop_id)
        return OfflineRegister(
            shop_id,
            RegisterMode(row["mode"]),
            CODEC.moment_or_none(row["offline_since"]),
            CODEC.moment_or_none(row["last_document_at"]),
        )

    async def set_mode(
        self, shop_id: int, mode: RegisterMode, offline_since: datetime | None, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO offline_registers (shop_id, mode, offline_since, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (shop_id) DO UPDATE SET mode = excluded.mode, "
            "offline_since = excluded.offline_since, updated_at = excluded.updated_at",
            (shop_id, mode.value, ts_or_none(offline_since), ts(now)),
        )

    async def note_document(self, shop_id: int, at: datetime, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO offline_registers (shop_id, last_document_at, updated_at) "
            "VALUES (?, ?, ?) ON CONFLICT (shop_id) DO UPDATE SET last_document_at = "
            "max(coalesce(offline_registers.last_document_at, excluded.last_document_at), "
            "excluded.last_document_at), updated_at = excluded.updated_at",
            (shop_id, ts(at), ts(now)),
        )

    async def add_codes(self, shop_id: int, codes: Sequence[str], now: datetime) -> int:
        async def op(tx: Tx) -> int:
            added = 0
            for code in codes:
                added += await tx.execute(
                    "INSERT INTO offline_codes (shop_id, fiscal_code, obtained_at) "
                    "VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (shop_id, code, ts(now)),
                )
            return added

        return await self._db.write(op)

    async def unused_codes(self, shop_id: int) -> int:
        row = await self._db.one(
            "SELECT count(*) AS n FROM offline_codes WHERE shop_id = ? AND used_for IS NULL",
            (shop_id,),
        )
        return int(row["n"]) if row else 0

    async def claim_codes(
        self, shop_id: int, purposes: Sequence[str], now: datetime
    ) -> dict[str, str] | None:
        async def op(tx: Tx) -> dict[str, str] | None:
            claimed: dict[str, str] = {}
            for purpose in purposes:
                held = await tx.one(
                    "SELECT fiscal_code FROM offline_codes WHERE shop_id = ? AND used_for = ?",
                    (shop_id, purpose),
                )
                if held is not None:
                    claimed[purpose] = held["fiscal_code"]
            wanted = [p for p in dict.fromkeys(purposes) if p not in claimed]
            if not wanted:
                return claimed
            free = await tx.all(
                "SELECT fiscal_code FROM offline_codes WHERE shop_id = ? AND used_for IS NULL "
                "ORDER BY obtained_at, rowid LIMIT ?",
                (shop_id, len(wanted)),
            )
            if len(free) < len(wanted):
                return None
            for purpose, row in zip(wanted, free, strict=True):
                await tx.execute(
                    "UPDATE offline_codes SET used_for = ?, used_at = ? "
                    "WHERE shop_id = ? AND fiscal_code = ?",
                    (purpose, ts(now), shop_id, row["fiscal_code"]),
                )
                claimed[purpose] = row["fiscal_code"]
            return claimed

        return await self._db.write(op)
