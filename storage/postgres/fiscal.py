"""A shop's fiscal registrar settings (one row per shop, made on the first save)."""

from __future__ import annotations

from datetime import datetime

from storage.models.fiscal import (
    DEFAULT_CLOSE_SHIFT_AT,
    DEFAULT_FISCAL_PAYMENT_LABEL,
    FiscalMode,
    FiscalSettings,
    FiscalSettingsChanges,
)
from storage.postgres.engine import CODEC, PostgresEngine
from storage.rows import fiscal_settings_from

_COLUMNS = frozenset(
    {"enabled", "mode", "payment_label", "tax_code", "tax_label", "close_shift_at"}
)


class PostgresFiscal:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def get(self, shop_id: int) -> FiscalSettings | None:
        row = await self._db.one("SELECT * FROM fiscal_settings WHERE shop_id = $1", shop_id)
        return fiscal_settings_from(row, CODEC) if row else None

    async def save_credentials(
        self,
        shop_id: int,
        license_key_enc: bytes,
        pin_enc: bytes,
        token_enc: bytes | None,
        now: datetime,
    ) -> FiscalSettings:
        row = await self._db.one(
            "INSERT INTO fiscal_settings (shop_id, enabled, mode, license_key_enc, pin_enc, "
            "token_enc, payment_label, close_shift_at, created_at) "
            "VALUES ($1, TRUE, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (shop_id) DO UPDATE SET "
            "license_key_enc = EXCLUDED.license_key_enc, pin_enc = EXCLUDED.pin_enc, "
            "token_enc = EXCLUDED.token_enc RETURNING *",
            shop_id, FiscalMode.AUTO.value, license_key_enc, pin_enc, token_enc,
            DEFAULT_FISCAL_PAYMENT_LABEL, DEFAULT_CLOSE_SHIFT_AT, now,
        )  # fmt: skip
        assert row is not None
        return fiscal_settings_from(row, CODEC)

    async def update(self, shop_id: int, changes: FiscalSettingsChanges) -> FiscalSettings | None:
        fields = changes.assigned()
        if not fields:
            return await self.get(shop_id)
        assert set(fields) <= _COLUMNS  # the names come from the dataclass, never from input
        values = [v.value if isinstance(v, FiscalMode) else v for v in fields.values()]
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(fields, start=2))
        sql = f"UPDATE fiscal_settings SET {assignments} WHERE shop_id = $1 RETURNING *"  # noqa: S608
        row = await self._db.one(sql, shop_id, *values)
        return fiscal_settings_from(row, CODEC) if row else None

    async def save_token(self, shop_id: int, token_enc: bytes | None) -> None:
        await self._db.execute(
            "UPDATE fiscal_settings SET token_enc = $2 WHERE shop_id = $1", shop_id, token_enc
        )

    async def save_certificate(
        self, shop_id: int, certificate_end: datetime | None, checked_at: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE fiscal_settings SET certificate_end = $2, certificate_checked_at = $3 "
            "WHERE shop_id = $1",
            shop_id, certificate_end, checked_at,
        )  # fmt: skip

    async def forget_credentials(self, shop_id: int) -> None:
        await self._db.execute(
            "UPDATE fiscal_settings SET license_key_enc = NULL, pin_enc = NULL, "
            "token_enc = NULL, certificate_end = NULL, certificate_checked_at = NULL "
            "WHERE shop_id = $1",
            shop_id,
        )

    async def configured(self) -> list[FiscalSettings]:
        rows = await self._db.all(
            "SELECT * FROM fiscal_settings WHERE enabled AND license_key_enc IS NOT NULL "
            "AND pin_enc IS NOT NULL ORDER BY shop_id"
        )
        return [fiscal_settings_from(r, CODEC) for r in rows]
