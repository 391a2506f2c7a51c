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
from storage.postgres.engine import CODEC, PostgresEngine, Tx
from storage.rows import fiscal_settings_from

_COLUMNS = frozenset(
    {"enabled", "mode", "payment_label", "tax_code", "tax_label", "close_shift_at"}
)


async def _switch_register(tx: Tx, shop_id: int, register: str | None, now: datetime) -> None:
    """Another register (or an unknown one): the shop's offline state is the old one's
    (the settings row, written first, is locked: two saves of one shop take turns)."""
    kept = await tx.one(
        "SELECT register_key FROM offline_registers WHERE shop_id = $1 FOR UPDATE", shop_id
    )
    if register is not None and kept is not None and kept["register_key"] == register:
        return
    await tx.execute("DELETE FROM offline_codes WHERE shop_id = $1", shop_id)
    await tx.execute("DELETE FROM offline_registers WHERE shop_id = $1", shop_id)
    if register is not None:
        await tx.execute(
            "INSERT INTO offline_registers (shop_id, register_key, updated_at) "
            "VALUES ($1, $2, $3)",
            shop_id, register, now,
        )  # fmt: skip


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
        *,
        register: str | None = None,
    ) -> FiscalSettings:
        async def op(tx: Tx) -> FiscalSettings:
            row = await tx.one(
                "INSERT INTO fiscal_settings (shop_id, enabled, mode, license_key_enc, "
                "pin_enc, token_enc, payment_label, close_shift_at, created_at) "
                "VALUES ($1, TRUE, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (shop_id) DO UPDATE "
                "SET license_key_enc = EXCLUDED.license_key_enc, pin_enc = EXCLUDED.pin_enc, "
                "token_enc = EXCLUDED.token_enc RETURNING *",
                shop_id, FiscalMode.AUTO.value, license_key_enc, pin_enc, token_enc,
                DEFAULT_FISCAL_PAYMENT_LABEL, DEFAULT_CLOSE_SHIFT_AT, now,
            )  # fmt: skip
            assert row is not None
            await _switch_register(tx, shop_id, register, now)
            return fiscal_settings_from(row, CODEC)

        return await self._db.transaction(op)

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
