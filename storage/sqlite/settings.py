"""Shop settings and the LiqPay key pairs a shop has used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.models.jobs import NewJob
from storage.models.settings import SettingsChanges, ShopSettings
from storage.rows import shop_settings_from
from storage.sqlite.codec import ts
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.jobs import jobs_insert
from storage.sqlite.tx import Stmt

_COLUMNS = frozenset(
    {
        "api_version",
        "invoice_lifetime",
        "currency",
        "remind_cashier",
        "remind_customer",
        "default_goods_name",
        "goods_name_from_purpose",
        "remind_lead",
        "digest",
        "digest_at",
    }
)


class SqliteSettings:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def get(self, shop_id: int) -> ShopSettings:
        row = await self._db.one("SELECT * FROM shop_settings WHERE shop_id = ?", (shop_id,))
        if row is None:
            raise LookupError(f"no settings for shop {shop_id}")
        return shop_settings_from(row)

    async def save_keys(
        self,
        shop_id: int,
        public_key: str,
        private_key_enc: bytes,
        sandbox: bool,
        now: datetime,
    ) -> None:
        await self._db.batch(
            [
                Stmt(
                    "UPDATE shop_settings SET public_key = ?, private_key_enc = ?, sandbox = ?, "
                    "keys_unreadable_at = NULL WHERE shop_id = ?",
                    (public_key, private_key_enc, int(sandbox), shop_id),
                ),
                Stmt(
                    "INSERT INTO liqpay_keys (shop_id, public_key, private_key_enc, saved_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (shop_id, public_key) "
                    "DO UPDATE SET private_key_enc = excluded.private_key_enc, "
                    "saved_at = excluded.saved_at",
                    (shop_id, public_key, private_key_enc, ts(now)),
                ),
            ]
        )

    async def key_pair(self, shop_id: int, public_key: str) -> bytes | None:
        row = await self._db.one(
            "SELECT private_key_enc FROM liqpay_keys WHERE shop_id = ? AND public_key = ?",
            (shop_id, public_key),
        )
        return bytes(row[0]) if row else None

    async def update(self, shop_id: int, changes: SettingsChanges) -> None:
        fields = changes.assigned()
        if not fields:
            return
        assert set(fields) <= _COLUMNS  # the names come from the dataclass, never from input
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE shop_settings SET {assignments} WHERE shop_id = ?"  # noqa: S608
        await self._db.execute(sql, (*fields.values(), shop_id))

    async def save_sms_gateway(self, shop_id: int, token_enc: bytes, sender: str) -> None:
        await self._db.execute(
            "UPDATE shop_settings SET sms_token_enc = ?, sms_sender = ? WHERE shop_id = ?",
            (token_enc, sender, shop_id),
        )

    async def alert_unreadable_keys(
        self, shop_id: int, receipt_id: int, *, now: datetime, jobs: Sequence[NewJob]
    ) -> bool:
        alerted, *_ = await self._db.batch(
            [
                Stmt(
                    "UPDATE shop_settings SET keys_unreadable_at = ? "
                    "WHERE shop_id = ? AND keys_unreadable_at IS NULL",
                    (ts(now), shop_id),
                ),
                *jobs_insert(jobs, now, receipt_id=receipt_id, guarded=True),
            ]
        )
        return bool(alerted)
