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
from storage.rows import fiscal_settings_from
from storage.sqlite.codec import CODEC, ts, ts_or_none
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.tx import Tx

_COLUMNS = frozenset(
    {"enabled", "mode", "payment_label", "tax_code", "tax_label", "close_shift_at"}
)


def _plain(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, FiscalMode):
        return value.value
    return value


async def _switch_register(tx: Tx, shop_id: int, register: str | None, now: datetime) -> None:
    """Another register (or an unknown one): the shop's offline state is the old one's."""
    kept = await tx.one("SELECT register_key FROM offline_registers WHERE shop_id = ?", (shop_id,))
    if register is not None and kept is not None and kept["register_key"] == register:
        return
    await tx.execute("DELETE FROM offline_codes WHERE shop_id = ?", (shop_id,))
    await tx.execute("DELETE FROM offline_registers WHERE shop_id = ?", (shop_id,))
    if register is not None:
        await tx.execute(
            "INSERT INTO offline_registers (shop_id, register_key, updated_at) VALUES (?, ?, ?)",
            (shop_id, register, ts(now)),
        )


class SqliteFiscal:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def get(self, shop_id: int) -> FiscalSettings | None:
        row = await self._db.one("SELECT * FROM fiscal_settings WHERE shop_id = ?", (shop_id,))
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
                "INSERT INTO fiscal_settings (shop_id, enabled, mode, license_key_enc, pin_enc, "
                "token_enc, payment_label, close_shift_at, created_at) "
                "VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (shop_id) DO UPDATE SET "
                "license_key_enc = excluded.license_key_enc, pin_enc = excluded.pin_enc, "
                "token_enc = excluded.token_enc RETURNING *",
                (
                    shop_id, FiscalMode.AUTO.value, license_key_enc, pin_enc, token_enc,
                    DEFAULT_FISCAL_PAYMENT_LABEL, DEFAULT_CLOSE_SHIFT_AT, ts(now),
                ),
            )  # fmt: skip
            assert row is not None
            await _switch_register(tx, shop_id, register, now)
            return fiscal_settings_from(row, CODEC)

        return await self._db.write(op)

    async def update(self, shop_id: int, changes: FiscalSettingsChanges) -> FiscalSettings | None:
        fields = changes.assigned()
        if not fields:
            return await self.get(shop_id)
        assert set(fields) <= _COLUMNS  # the names come from the dataclass, never from input
        values = [_plain(v) for v in fields.values()]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE fiscal_settings SET {assignments} WHERE shop_id = ? RETURNING *"  # noqa: S608

        async def op(tx: Tx) -> FiscalSettings | None:
            row = await tx.one(sql, (*values, shop_id))
            return fiscal_settings_from(row, CODEC) if row else None

        return await self._db.write(op)

    async def save_token(self, shop_id: int, token_enc: bytes | None) -> None:
        await self._db.execute(
            "UPDATE fiscal_settings SET token_enc = ? WHERE shop_id = ?", (token_enc, shop_id)
        )

    async def save_certificate(
        self, shop_id: int, certificate_end: datetime | None, checked_at: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE fiscal_settings SET certificate_end = ?, certificate_checked_at = ? "
            "WHERE shop_id = ?",
            (ts_or_none(certificate_end), ts(checked_at), shop_id),
        )

    async def forget_credentials(self, shop_id: int) -> None:
        await self._db.execute(
            "UPDATE fiscal_settings SET license_key_enc = NULL, pin_enc = NULL, "
            "token_enc = NULL, certificate_end = NULL, certificate_checked_at = NULL "
            "WHERE shop_id = ?",
            (shop_id,),
        )

    async def configured(self) -> list[FiscalSettings]:
        rows = await self._db.all(
            "SELECT * FROM fiscal_settings WHERE enabled AND license_key_enc IS NOT NULL "
            "AND pin_enc IS NOT NULL ORDER BY shop_id"
        )
        return [fiscal_settings_from(r, CODEC) for r in rows]
