"""A shop's register in Checkbox's offline mode and its offline fiscal codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.models.offline import OfflineRegister, RegisterMode
from storage.postgres.engine import PostgresEngine, Tx


class PostgresOffline:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def register(self, shop_id: int) -> OfflineRegister:
        row = await self._db.one("SELECT * FROM offline_registers WHERE shop_id = $1", shop_id)
        if row is None:
            return OfflineRegister(shop_id)
        return OfflineRegister(
            shop_id, RegisterMode(row["mode"]), row["offline_since"], row["last_document_at"]
        )

    async def set_mode(
        self, shop_id: int, mode: RegisterMode, offline_since: datetime | None, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO offline_registers (shop_id, mode, offline_since, updated_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (shop_id) DO UPDATE SET mode = excluded.mode, "
            "offline_since = excluded.offline_since, updated_at = excluded.updated_at",
            shop_id, mode.value, offline_since, now,
        )  # fmt: skip

    async def note_document(self, shop_id: int, at: datetime, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO offline_registers (shop_id, last_document_at, updated_at) "
            "VALUES ($1, $2, $3) ON CONFLICT (shop_id) DO UPDATE SET last_document_at = "
            "GREATEST(offline_registers.last_document_at, excluded.last_document_at), "
            "updated_at = excluded.updated_at",
            shop_id, at, now,
        )  # fmt: skip

    async def add_codes(self, shop_id: int, codes: Sequence[str], now: datetime) -> int:
        async def op(tx: Tx) -> int:
            added = 0
            for code in codes:
                added += await tx.execute(
                    "INSERT INTO offline_codes (shop_id, fiscal_code, obtained_at) "
                    "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    shop_id, code, now,
                )  # fmt: skip
            return added

        return await self._db.transaction(op)

    async def unused_codes(self, shop_id: int) -> int:
        return int(
            await self._db.value(
                "SELECT count(*) FROM offline_codes WHERE shop_id = $1 AND used_for IS NULL",
                shop_id,
            )
        )

    async def claim_codes(
        self, shop_id: int, purposes: Sequence[str], now: datetime
    ) -> dict[str, str] | None:
        async def op(tx: Tx) -> dict[str, str] | None:
            # one claim per shop at a time: the rows locked in order
            await tx.execute("SELECT pg_advisory_xact_lock(hashtext('offline_codes'), $1::int)",
                             shop_id % 2_000_000_000)  # fmt: skip
            claimed: dict[str, str] = {}
            for purpose in purposes:
                held = await tx.value(
                    "SELECT fiscal_code FROM offline_codes WHERE shop_id = $1 AND used_for = $2",
                    shop_id, purpose,
                )  # fmt: skip
                if held is not None:
                    claimed[purpose] = held
            wanted = [p for p in dict.fromkeys(purposes) if p not in claimed]
            if not wanted:
                return claimed
            free = await tx.all(
                "SELECT fiscal_code FROM offline_codes WHERE shop_id = $1 AND used_for IS NULL "
                "ORDER BY obtained_at, fiscal_code LIMIT $2 FOR UPDATE",
                shop_id, len(wanted),
            )  # fmt: skip
            if len(free) < len(wanted):
                return None
            for purpose, row in zip(wanted, free, strict=True):
                await tx.execute(
                    "UPDATE offline_codes SET used_for = $1, used_at = $2 "
                    "WHERE shop_id = $3 AND fiscal_code = $4",
                    purpose, now, shop_id, row["fiscal_code"],
                )  # fmt: skip
                claimed[purpose] = row["fiscal_code"]
            return claimed

        return await self._db.transaction(op)
