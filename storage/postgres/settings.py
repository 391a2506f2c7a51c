"""Shop settings and the LiqPay key pairs a shop has used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.models.jobs import NewJob
from storage.models.settings import SettingsChanges, ShopSettings
from storage.postgres.engine import PostgresEngine, Tx
from storage.postgres.job_inserts import insert_jobs
from storage.rows import shop_settings_from

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


class PostgresSettings:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def get(self, shop_id: int) -> ShopSettings:
        row = await self._db.one("SELECT * FROM shop_settings WHERE shop_id = $1", shop_id)
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
        async def op(tx: Tx) -> None:
            await tx.execute(
                "UPDATE shop_settings SET public_key = $2, private_key_enc = $3, sandbox = $4, "
                "keys_unreadable_at = NULL WHERE shop_id = $1",
                shop_id,
                public_key,
                private_key_enc,
                sandbox,
            )
            await tx.execute(
                "INSERT INTO liqpay_keys (shop_id, public_key, private_key_enc, saved_at) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (shop_id, public_key) "
                "DO UPDATE SET private_key_enc = EXCLUDED.private_key_enc, "
                "saved_at = EXCLUDED.saved_at",
                shop_id,
                public_key,
                private_key_enc,
                now,
            )

        await self._db.transaction(op)

    async def key_pair(self, shop_id: int, public_key: str) -> bytes | None:
        value: bytes | None = await self._db.value(
            "SELECT private_key_enc FROM liqpay_keys WHERE shop_id = $1 AND public_key = $2",
            shop_id,
            public_key,
        )
        return value

    async def update(self, shop_id: int, changes: SettingsChanges) -> None:
        fields = changes.assigned()
        if not fields:
            return
        assert set(fields) <= _COLUMNS  # the names come from the dataclass, never from input
        assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(fields, start=2))
        sql = f"UPDATE shop_settings SET {assignments} WHERE shop_id = $1"  # noqa: S608
        await self._db.execute(sql, shop_id, *fields.values())

    async def save_sms_gateway(self, shop_id: int, token_enc: bytes, sender: str) -> None:
        await self._db.execute(
            "UPDATE shop_settings SET sms_token_enc = $2, sms_sender = $3 WHERE shop_id = $1",
            shop_id,
            token_enc,
            sender,
        )

    async def alert_unreadable_keys(
        self, shop_id: int, receipt_id: int, *, now: datetime, jobs: Sequence[NewJob]
    ) -> bool:
        async def op(tx: Tx) -> bool:
            changed = await tx.execute(
                "UPDATE shop_settings SET keys_unreadable_at = $2 "
                "WHERE shop_id = $1 AND keys_unreadable_at IS NULL",
                shop_id,
                now,
            )
            if not changed:
                return False
            await insert_jobs(tx, jobs, now, receipt_id)
            return True

        return await self._db.transaction(op)
