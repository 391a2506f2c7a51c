"""SQLite implementation of the Store on one aiosqlite connection."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS
from storage.models import (
    Channel,
    EventSource,
    InviteOutcome,
    Member,
    NewNotification,
    OutboxItem,
    Receipt,
    ReceiptEvent,
    ReceiptStatus,
    Role,
    ShopSettings,
)

_SETTINGS_COLUMNS = {"api_version", "invoice_lifetime", "currency"}
_RECEIPT_CHANGE_COLUMNS = {
    "link", "invoice_token", "liqpay_status", "paid_at", "payment_id", "card_mask", "flagged",
    "expires_at",
}  # fmt: skip


def _ts(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _req_dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _receipt(row: sqlite3.Row) -> Receipt:
    return Receipt(
        id=row["id"],
        shop_id=row["shop_id"],
        number=row["number"],
        cashier_id=row["cashier_id"],
        amount=row["amount"],
        currency=row["currency"],
        description=row["description"],
        channel=Channel(row["channel"]),
        contact=row["contact"],
        order_id=row["order_id"],
        link=row["link"],
        invoice_token=row["invoice_token"],
        status=ReceiptStatus(row["status"]),
        liqpay_status=row["liqpay_status"],
        flagged=row["flagged"],
        expires_at=_req_dt(row["expires_at"]),
        created_at=_req_dt(row["created_at"]),
        paid_at=_dt(row["paid_at"]),
        payment_id=row["payment_id"],
        card_mask=row["card_mask"],
        card_chat_id=row["card_chat_id"],
        card_message_id=row["card_message_id"],
        last_checked_at=_dt(row["last_checked_at"]),
    )


def _member(row: sqlite3.Row) -> Member:
    return Member(
        shop_id=row["shop_id"],
        shop_name=row["shop_name"],
        user_id=row["user_id"],
        role=Role(row["role"]),
        name=row["name"],
    )


_MEMBER_SELECT = (
    "SELECT m.shop_id, s.name AS shop_name, m.user_id, m.role, m.name "
    "FROM members m JOIN shops s ON s.id = m.shop_id"
)


class SqliteStore:
    """Owns the single connection. Every statement runs under one lock, so a transaction
    begun by one coroutine never interleaves with another's statements."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.execute("PRAGMA busy_timeout=5000")
        store = cls(conn)
        await store.migrate()
        return store

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._lock, self._conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock, self._conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._lock:
            cur = await self._conn.execute(sql, params)
            return cur.rowcount

    # schema

    async def schema_version(self) -> int:
        async with self._lock:
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
            )
            async with self._conn.execute("SELECT MAX(version) FROM schema_version") as cur:
                row = await cur.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    async def migrate(self) -> None:
        current = await self.schema_version()
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            async with self._tx() as conn:
                for statement in _split_sql(script):
                    await conn.execute(statement)
                await conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    async def health(self) -> dict[str, Any]:
        awaiting = await self._one("SELECT COUNT(*) FROM receipts WHERE status = 'awaiting'")
        pending = await self._one("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        return {
            "database": "ok",
            "schema_version": await self.schema_version(),
            "receipts_awaiting": awaiting[0] if awaiting else 0,
            "notifications_pending": pending[0] if pending else 0,
        }

    # users and shops

    async def get_language(self, user_id: int) -> str | None:
        """The language chosen with /lang, else the one Telegram last reported."""
        row = await self._one(
            "SELECT COALESCE(language, telegram_language) FROM users WHERE user_id = ?",
            (user_id,),
        )
        return row[0] if row else None

    async def get_chosen_language(self, user_id: int) -> str | None:
        row = await self._one("SELECT language FROM users WHERE user_id = ?", (user_id,))
        return row[0] if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        await self._exec(
            "INSERT INTO users (user_id, language) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language",
            (user_id, language),
        )

    async def set_telegram_language(self, user_id: int, language: str) -> None:
        await self._exec(
            "INSERT INTO users (user_id, telegram_language) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET telegram_language = excluded.telegram_language",
            (user_id, language),
        )

    async def create_shop(self, owner_id: int, owner_name: str, name: str, now: datetime) -> Member:
        async with self._tx() as conn:
            cur = await conn.execute(
                "INSERT INTO shops (name, created_at) VALUES (?, ?)", (name, _ts(now))
            )
            shop_id = cur.lastrowid
            await conn.execute(
                "INSERT INTO members (shop_id, user_id, role, name, joined_at) "
                "VALUES (?, ?, 'owner', ?, ?)",
                (shop_id, owner_id, owner_name, _ts(now)),
            )
            await conn.execute("INSERT INTO shop_settings (shop_id) VALUES (?)", (shop_id,))
        assert shop_id is not None
        return Member(shop_id, name, owner_id, Role.OWNER, owner_name)

    async def get_member(self, user_id: int) -> Member | None:
        row = await self._one(_MEMBER_SELECT + " WHERE m.user_id = ?", (user_id,))
        return _member(row) if row else None

    async def list_members(self, shop_id: int) -> list[Member]:
        rows = await self._all(
            _MEMBER_SELECT + " WHERE m.shop_id = ? ORDER BY m.role DESC, m.joined_at", (shop_id,)
        )
        return [_member(r) for r in rows]

    async def member_ids(self, shop_id: int, role: Role | None = None) -> list[int]:
        sql = "SELECT user_id FROM members WHERE shop_id = ?"
        params: list[Any] = [shop_id]
        if role is not None:
            sql += " AND role = ?"
            params.append(role.value)
        return [r["user_id"] for r in await self._all(sql + " ORDER BY joined_at", params)]

    async def remove_cashier(self, shop_id: int, user_id: int) -> bool:
        removed = await self._exec(
            "DELETE FROM members WHERE shop_id = ? AND user_id = ? AND role = 'cashier'",
            (shop_id, user_id),
        )
        return removed > 0

    # invites

    async def create_invite(
        self, shop_id: int, token: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        await self._exec(
            "INSERT INTO invites (token, shop_id, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token, shop_id, created_by, _ts(now), _ts(expires_at)),
        )

    async def redeem_invite(
        self, token: str, user_id: int, name: str, now: datetime
    ) -> tuple[InviteOutcome, Member | None]:
        async with self._tx() as conn:
            async with conn.execute(
                "SELECT i.*, s.name AS shop_name FROM invites i JOIN shops s ON s.id = i.shop_id "
                "WHERE i.token = ?",
                (token,),
            ) as cur:
                invite = await cur.fetchone()
            if invite is None:
                return InviteOutcome.UNKNOWN, None
            if invite["used_by"] is not None:
                return InviteOutcome.USED, None
            if invite["expires_at"] <= _ts(now):
                return InviteOutcome.EXPIRED, None
            async with conn.execute(_MEMBER_SELECT + " WHERE m.user_id = ?", (user_id,)) as cur:
                existing = await cur.fetchone()
            if existing is not None:
                return InviteOutcome.ALREADY_MEMBER, _member(existing)
            await conn.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ?",
                (user_id, _ts(now), token),
            )
            await conn.execute(
                "INSERT INTO members (shop_id, user_id, role, name, joined_at) "
                "VALUES (?, ?, 'cashier', ?, ?)",
                (invite["shop_id"], user_id, name, _ts(now)),
            )
        member = Member(invite["shop_id"], invite["shop_name"], user_id, Role.CASHIER, name)
        return InviteOutcome.JOINED, member

    # settings

    async def get_settings(self, shop_id: int) -> ShopSettings:
        row = await self._one("SELECT * FROM shop_settings WHERE shop_id = ?", (shop_id,))
        if row is None:
            raise LookupError(f"no settings for shop {shop_id}")
        return ShopSettings(
            shop_id=row["shop_id"],
            public_key=row["public_key"],
            private_key_enc=row["private_key_enc"],
            api_version=row["api_version"],
            invoice_lifetime=row["invoice_lifetime"],
            currency=row["currency"],
            sms_token_enc=row["sms_token_enc"],
            sms_sender=row["sms_sender"],
        )

    async def save_keys(
        self, shop_id: int, public_key: str, private_key_enc: bytes, sandbox: bool
    ) -> None:
        await self._exec(
            "UPDATE shop_settings SET public_key = ?, private_key_enc = ?, sandbox = ? "
            "WHERE shop_id = ?",
            (public_key, private_key_enc, int(sandbox), shop_id),
        )

    async def update_settings(self, shop_id: int, **fields: int | str) -> None:
        unknown = set(fields) - _SETTINGS_COLUMNS
        if unknown:
            raise ValueError(f"not a shop setting: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await self._exec(
            f"UPDATE shop_settings SET {assignments} WHERE shop_id = ?",  # noqa: S608 (names checked above)
            (*fields.values(), shop_id),
        )

    async def save_sms_gateway(self, shop_id: int, token_enc: bytes, sender: str) -> None:
        await self._exec(
            "UPDATE shop_settings SET sms_token_enc = ?, sms_sender = ? WHERE shop_id = ?",
            (token_enc, sender, shop_id),
        )

    # receipts

    async def create_draft(
        self,
        *,
        shop_id: int,
        cashier_id: int,
        amount: int,
        currency: str,
        description: str | Callable[[int], str],
        channel: Channel,
        contact: str | None,
        idempotency_key: str,
        order_id: Callable[[int], str],
        expires_at: datetime,
        now: datetime,
    ) -> tuple[Receipt, bool]:
        """Reserve the next receipt number and an order id. The same idempotency key
        returns the receipt made before instead of a second one."""
        async with self._tx() as conn:
            async with conn.execute(
                "SELECT * FROM receipts WHERE idempotency_key = ?", (idempotency_key,)
            ) as cur:
                existing = await cur.fetchone()
            if existing is not None:
                return _receipt(existing), False
            async with conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM receipts WHERE shop_id = ?", (shop_id,)
            ) as cur:
                row = await cur.fetchone()
            number = int(row[0]) if row else 1
            text = description(number) if callable(description) else description
            cur = await conn.execute(
                "INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, "
                "description, channel, contact, order_id, idempotency_key, status, expires_at, "
                "created_at, next_check_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)",
                (
                    shop_id, number, cashier_id, amount, currency, text, channel.value, contact,
                    order_id(number), idempotency_key, _ts(expires_at), _ts(now), _ts(now),
                ),
            )  # fmt: skip
            async with conn.execute("SELECT * FROM receipts WHERE id = ?", (cur.lastrowid,)) as c:
                created = await c.fetchone()
        assert created is not None
        return _receipt(created), True

    async def delete_draft(self, receipt_id: int) -> None:
        # A flagged draft has events and an owner alert: it stays for the owner to see.
        await self._exec(
            "DELETE FROM receipts WHERE id = ? AND status = 'draft' AND flagged IS NULL",
            (receipt_id,),
        )

    async def get_receipt(self, receipt_id: int) -> Receipt | None:
        row = await self._one("SELECT * FROM receipts WHERE id = ?", (receipt_id,))
        return _receipt(row) if row else None

    async def get_receipt_by_order(self, order_id: str) -> Receipt | None:
        row = await self._one("SELECT * FROM receipts WHERE order_id = ?", (order_id,))
        return _receipt(row) if row else None

    async def transition(
        self,
        receipt_id: int,
        *,
        expected: Sequence[ReceiptStatus],
        new: ReceiptStatus,
        source: EventSource,
        now: datetime,
        changes: dict[str, Any] | None = None,
        liqpay_status: str | None = None,
        detail: str | None = None,
        notifications: Sequence[NewNotification] = (),
    ) -> Receipt | None:
        """Compare-and-set the status, write the event and the notifications in one
        transaction. Returns the new receipt, or None when its status was not `expected`."""
        fields = dict(changes or {})
        unknown = set(fields) - _RECEIPT_CHANGE_COLUMNS
        if unknown:
            raise ValueError(f"not a receipt field: {sorted(unknown)}")
        for key in ("paid_at", "expires_at"):
            if isinstance(fields.get(key), datetime):
                fields[key] = _ts(fields[key])
        if liqpay_status is not None:
            fields["liqpay_status"] = liqpay_status
        fields["status"] = new.value
        assignments = ", ".join(f"{name} = ?" for name in fields)
        marks = ", ".join("?" for _ in expected)
        async with self._tx() as conn:
            async with conn.execute(
                f"SELECT status FROM receipts WHERE id = ? AND status IN ({marks})",  # noqa: S608
                (receipt_id, *[s.value for s in expected]),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            await conn.execute(
                f"UPDATE receipts SET {assignments} WHERE id = ?",  # noqa: S608 (names checked)
                (*fields.values(), receipt_id),
            )
            await conn.execute(
                "INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, "
                "liqpay_status, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    receipt_id,
                    _ts(now),
                    source.value,
                    row["status"],
                    new.value,
                    liqpay_status,
                    detail,
                ),
            )
            await self._enqueue(conn, receipt_id, notifications, now)
            async with conn.execute("SELECT * FROM receipts WHERE id = ?", (receipt_id,)) as cur:
                updated = await cur.fetchone()
        return _receipt(updated) if updated else None

    async def flag(
        self,
        receipt_id: int,
        *,
        reason: str,
        source: EventSource,
        now: datetime,
        liqpay_status: str | None,
        notifications: Sequence[NewNotification] = (),
    ) -> bool:
        """Mark a receipt for the owner's attention once per reason; status unchanged."""
        async with self._tx() as conn:
            cur = await conn.execute(
                "UPDATE receipts SET flagged = ? WHERE id = ? AND flagged IS NOT ?",
                (reason, receipt_id, reason),
            )
            if cur.rowcount == 0:
                return False
            await conn.execute(
                "INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, "
                "liqpay_status, detail) SELECT id, ?, ?, status, status, ?, ? FROM receipts "
                "WHERE id = ?",
                (_ts(now), source.value, liqpay_status, f"flagged: {reason}", receipt_id),
            )
            await self._enqueue(conn, receipt_id, notifications, now)
        return True

    @staticmethod
    async def _enqueue(
        conn: aiosqlite.Connection,
        receipt_id: int,
        notifications: Sequence[NewNotification],
        now: datetime,
    ) -> None:
        if notifications:
            await conn.executemany(
                "INSERT INTO outbox (chat_id, receipt_id, kind, created_at, next_attempt_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(n.chat_id, receipt_id, n.kind, _ts(now), _ts(now)) for n in notifications],
            )

    async def list_pending(
        self, shop_id: int, cashier_id: int | None, offset: int, limit: int
    ) -> tuple[list[Receipt], int]:
        where = "shop_id = ? AND status IN ('awaiting', 'draft')"
        params: list[Any] = [shop_id]
        if cashier_id is not None:
            where += " AND cashier_id = ?"
            params.append(cashier_id)
        total = await self._one(f"SELECT COUNT(*) FROM receipts WHERE {where}", params)  # noqa: S608
        rows = await self._all(
            f"SELECT * FROM receipts WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
            (*params, limit, offset),
        )
        return [_receipt(r) for r in rows], int(total[0]) if total else 0

    async def due_for_check(self, now: datetime, limit: int) -> list[Receipt]:
        rows = await self._all(
            "SELECT * FROM receipts WHERE status IN ('awaiting', 'draft') AND next_check_at <= ? "
            "ORDER BY COALESCE(last_checked_at, 0), id LIMIT ?",
            (_ts(now), limit),
        )
        return [_receipt(r) for r in rows]

    async def mark_checked(self, receipt_id: int, now: datetime, next_check_at: datetime) -> None:
        await self._exec(
            "UPDATE receipts SET last_checked_at = ?, next_check_at = ? WHERE id = ?",
            (_ts(now), _ts(next_check_at), receipt_id),
        )

    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None:
        await self._exec(
            "UPDATE receipts SET card_chat_id = ?, card_message_id = ? WHERE id = ?",
            (chat_id, message_id, receipt_id),
        )

    async def events(self, receipt_id: int) -> list[ReceiptEvent]:
        rows = await self._all(
            "SELECT * FROM receipt_events WHERE receipt_id = ? ORDER BY id", (receipt_id,)
        )
        return [
            ReceiptEvent(
                receipt_id=r["receipt_id"],
                at=_req_dt(r["at"]),
                source=EventSource(r["source"]),
                from_status=ReceiptStatus(r["from_status"]) if r["from_status"] else None,
                to_status=ReceiptStatus(r["to_status"]),
                liqpay_status=r["liqpay_status"],
                detail=r["detail"],
            )
            for r in rows
        ]

    # outbox

    async def due_notifications(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Pending items in order; a chat whose earlier item waits holds back its later ones."""
        rows = await self._all(
            "SELECT * FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ? "
            "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.chat_id = o.chat_id "
            "AND p.state = 'pending' AND p.id < o.id AND p.next_attempt_at > ?) "
            "ORDER BY o.id LIMIT ?",
            (_ts(now), _ts(now), limit),
        )
        return [
            OutboxItem(
                id=r["id"],
                chat_id=r["chat_id"],
                receipt_id=r["receipt_id"],
                kind=r["kind"],
                attempts=r["attempts"],
                created_at=_req_dt(r["created_at"]),
            )
            for r in rows
        ]

    async def mark_sent(self, item_id: int, now: datetime) -> None:
        await self._exec(
            "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            (_ts(now), item_id),
        )

    async def postpone(self, item_id: int, error: str, until: datetime) -> None:
        await self._exec(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
            "WHERE id = ?",
            (error[:500], _ts(until), item_id),
        )

    async def mark_dead(self, item_id: int, error: str) -> None:
        await self._exec(
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ? "
            "WHERE id = ?",
            (error[:500], item_id),
        )

    # dialog state (aiogram FSM), so a restart does not lose a half-filled dialog

    async def dialog_state(self, key: str) -> str | None:
        row = await self._one("SELECT state FROM dialogs WHERE key = ?", (key,))
        return row["state"] if row else None

    async def set_dialog_state(self, key: str, state: str | None) -> None:
        await self._exec(
            "INSERT INTO dialogs (key, state) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET state = excluded.state",
            (key, state),
        )

    async def dialog_data(self, key: str) -> dict[str, Any]:
        row = await self._one("SELECT data FROM dialogs WHERE key = ?", (key,))
        return dict(json.loads(row["data"])) if row else {}

    async def set_dialog_data(self, key: str, data: dict[str, Any]) -> None:
        await self._exec(
            "INSERT INTO dialogs (key, data) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET data = excluded.data",
            (key, json.dumps(data)),
        )


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
