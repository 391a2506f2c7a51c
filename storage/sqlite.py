"""SQLite implementation of the Store on one aiosqlite connection.

Every public method is one operation run on the connection's thread. Operations that arrive
while the thread is busy are grouped into one transaction (group commit): each runs inside
its own savepoint, so a failing one is rolled back alone, and no caller is answered before
the COMMIT that makes its change durable. Under load this turns a round trip and a commit per
operation into one per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage.database_file import prepare_database_file
from storage.migrations import MIGRATIONS
from storage.models import (
    Channel,
    EventSource,
    InviteOutcome,
    Member,
    NewNotification,
    OutboxItem,
    PaymentMismatch,
    Receipt,
    ReceiptEvent,
    ReceiptStatus,
    Role,
    ShopSettings,
)

T = TypeVar("T")
Op = Callable[[sqlite3.Connection], Any]

_SETTINGS_COLUMNS = {"api_version", "invoice_lifetime", "currency"}
_RECEIPT_CHANGE_COLUMNS = {
    "link", "invoice_token", "liqpay_status", "paid_at", "payment_id", "card_mask", "flagged",
    "expires_at",
}  # fmt: skip
MAX_BATCH = 256
LATE_PAYMENT_GRACE = 3600.0  # seconds after expiry that closed receipts are still polled


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
        public_key=row["public_key"],
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
        mismatch=_mismatch(row),
    )


def _mismatch(row: sqlite3.Row) -> PaymentMismatch | None:
    facts = (row["flag_amount"], row["flag_currency"], row["flag_payment_id"])
    if row["flagged"] is None or facts == (None, None, None):
        return None
    return PaymentMismatch(*facts)


def _member(row: sqlite3.Row) -> Member:
    return Member(
        shop_id=row["shop_id"],
        shop_name=row["shop_name"],
        user_id=row["user_id"],
        role=Role(row["role"]),
        name=row["name"],
    )


def _settings(row: sqlite3.Row) -> ShopSettings:
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


_MEMBER_SELECT = (
    "SELECT m.shop_id, s.name AS shop_name, m.user_id, m.role, m.name "
    "FROM members m JOIN shops s ON s.id = m.shop_id"
)


def _one(db: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
    row: sqlite3.Row | None = db.execute(sql, params).fetchone()
    return row


def _all(db: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    return db.execute(sql, params).fetchall()


def _run_batch(db: sqlite3.Connection, ops: list[tuple[Op, bool]]) -> list[tuple[bool, Any]]:
    """On the database thread: all `ops` in one transaction, each write in its own savepoint
    (a read changes nothing, so it needs none)."""
    results: list[tuple[bool, Any]] = []
    try:
        if db.in_transaction:  # never build on a transaction something left open
            db.execute("ROLLBACK")
        db.execute("BEGIN IMMEDIATE" if any(write for _, write in ops) else "BEGIN")
        for op, write in ops:
            if write:
                db.execute("SAVEPOINT op")
            try:
                value = op(db)
            except Exception as exc:
                if write:
                    db.execute("ROLLBACK TO op")
                    db.execute("RELEASE op")
                results.append((False, exc))
            else:
                if write:
                    db.execute("RELEASE op")
                results.append((True, value))
        db.execute("COMMIT")
    except BaseException as exc:
        if db.in_transaction:
            db.execute("ROLLBACK")
        if not isinstance(exc, Exception):
            raise
        return [(False, exc)] * len(ops)
    return results


class SqliteStore:
    """Owns the single connection; see the module docstring for how operations run."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._queue: list[tuple[Op, bool, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        if str(path) != ":memory:":
            prepare_database_file(Path(path))
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        store = cls(conn)
        try:
            conn.row_factory = sqlite3.Row
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA synchronous=NORMAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA busy_timeout=5000")
            await store.migrate()
        except BaseException:
            # Not a database, damaged, ...: aiosqlite's thread would keep the process alive.
            with contextlib.suppress(Exception):
                await store.close()
            raise
        return store

    async def close(self) -> None:
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
        await self._conn.close()

    async def _read(self, op: Callable[[sqlite3.Connection], T]) -> T:
        return await self._run(op, write=False)

    async def _run(self, op: Callable[[sqlite3.Connection], T], *, write: bool = True) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((op, write, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                # aiosqlite has no public call for "run this function on your thread"; one
                # call per batch is what makes group commit possible.
                results = await self._conn._execute(  # type: ignore[no-untyped-call]
                    _run_batch, self._conn._conn, [(op, write) for op, write, _ in batch]
                )
            except Exception as exc:
                results = [(False, exc)] * len(batch)
            except BaseException as exc:  # cancelled: nobody may wait forever
                for _, _, future in batch + self._queue:
                    if not future.done():
                        future.set_exception(
                            exc if isinstance(exc, asyncio.CancelledError) else RuntimeError(exc)
                        )
                self._queue.clear()
                raise
            for (_, _, future), (ok, value) in zip(batch, results, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    # schema

    async def schema_version(self) -> int:
        def op(db: sqlite3.Connection) -> int:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = _one(db, "SELECT MAX(version) FROM schema_version")
            return int(row[0]) if row and row[0] is not None else 0

        return await self._run(op)

    async def migrate(self) -> None:
        current = await self.schema_version()
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue

            def op(db: sqlite3.Connection, script: str = script, version: int = version) -> None:
                for statement in _split_sql(script):
                    db.execute(statement)
                db.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

            await self._run(op)

    async def health(self) -> dict[str, Any]:
        def op(db: sqlite3.Connection) -> dict[str, Any]:
            # The server that serves this also faces LiqPay: no shop's volume is shown here.
            version = _one(db, "SELECT MAX(version) FROM schema_version")
            pending = _one(db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            return {
                "database": "ok",
                "schema_version": version[0] if version else 0,
                "notifications_pending": pending[0] if pending else 0,
            }

        return await self._run(op)

    # users and shops

    async def get_language(self, user_id: int) -> str | None:
        """The language chosen with /lang, else the one Telegram last reported."""
        sql = "SELECT COALESCE(language, telegram_language) FROM users WHERE user_id = ?"
        row = await self._read(lambda db: _one(db, sql, (user_id,)))
        return row[0] if row else None

    async def get_chosen_language(self, user_id: int) -> str | None:
        sql = "SELECT language FROM users WHERE user_id = ?"
        row = await self._read(lambda db: _one(db, sql, (user_id,)))
        return row[0] if row else None

    async def set_language(self, user_id: int, language: str) -> None:
        sql = (
            "INSERT INTO users (user_id, language) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET language = excluded.language"
        )
        await self._run(lambda db: db.execute(sql, (user_id, language)))

    async def set_telegram_language(self, user_id: int, language: str) -> None:
        sql = (
            "INSERT INTO users (user_id, telegram_language) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET telegram_language = excluded.telegram_language"
        )
        await self._run(lambda db: db.execute(sql, (user_id, language)))

    async def create_shop(self, owner_id: int, owner_name: str, name: str, now: datetime) -> Member:
        def op(db: sqlite3.Connection) -> int:
            cur = db.execute("INSERT INTO shops (name, created_at) VALUES (?, ?)", (name, _ts(now)))
            shop_id = cur.lastrowid
            assert shop_id is not None
            db.execute(
                "INSERT INTO members (shop_id, user_id, role, name, joined_at) "
                "VALUES (?, ?, 'owner', ?, ?)",
                (shop_id, owner_id, owner_name, _ts(now)),
            )
            db.execute("INSERT INTO shop_settings (shop_id) VALUES (?)", (shop_id,))
            return shop_id

        shop_id = await self._run(op)
        return Member(shop_id, name, owner_id, Role.OWNER, owner_name)

    async def get_member(self, user_id: int) -> Member | None:
        row = await self._read(
            lambda db: _one(db, _MEMBER_SELECT + " WHERE m.user_id = ?", (user_id,))
        )
        return _member(row) if row else None

    async def list_members(self, shop_id: int) -> list[Member]:
        sql = _MEMBER_SELECT + " WHERE m.shop_id = ? ORDER BY m.role DESC, m.joined_at"
        rows = await self._read(lambda db: _all(db, sql, (shop_id,)))
        return [_member(r) for r in rows]

    async def member_ids(self, shop_id: int, role: Role | None = None) -> list[int]:
        sql = "SELECT user_id FROM members WHERE shop_id = ?"
        params: list[Any] = [shop_id]
        if role is not None:
            sql += " AND role = ?"
            params.append(role.value)
        rows = await self._read(lambda db: _all(db, sql + " ORDER BY joined_at", params))
        return [r["user_id"] for r in rows]

    async def remove_cashier(self, shop_id: int, user_id: int) -> bool:
        sql = "DELETE FROM members WHERE shop_id = ? AND user_id = ? AND role = 'cashier'"
        removed: int = await self._run(lambda db: db.execute(sql, (shop_id, user_id)).rowcount)
        return removed > 0

    # invites

    async def create_invite(
        self, shop_id: int, token: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        sql = (
            "INSERT INTO invites (token, shop_id, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        params = (token, shop_id, created_by, _ts(now), _ts(expires_at))
        await self._run(lambda db: db.execute(sql, params))

    async def redeem_invite(
        self, token: str, user_id: int, name: str, now: datetime
    ) -> tuple[InviteOutcome, Member | None]:
        def op(db: sqlite3.Connection) -> tuple[InviteOutcome, Member | None]:
            invite = _one(
                db,
                "SELECT i.*, s.name AS shop_name FROM invites i JOIN shops s ON s.id = i.shop_id "
                "WHERE i.token = ?",
                (token,),
            )
            if invite is None:
                return InviteOutcome.UNKNOWN, None
            if invite["used_by"] is not None:
                return InviteOutcome.USED, None
            if invite["expires_at"] <= _ts(now):
                return InviteOutcome.EXPIRED, None
            existing = _one(db, _MEMBER_SELECT + " WHERE m.user_id = ?", (user_id,))
            if existing is not None:
                return InviteOutcome.ALREADY_MEMBER, _member(existing)
            db.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ?",
                (user_id, _ts(now), token),
            )
            db.execute(
                "INSERT INTO members (shop_id, user_id, role, name, joined_at) "
                "VALUES (?, ?, 'cashier', ?, ?)",
                (invite["shop_id"], user_id, name, _ts(now)),
            )
            member = Member(invite["shop_id"], invite["shop_name"], user_id, Role.CASHIER, name)
            return InviteOutcome.JOINED, member

        return await self._run(op)

    # settings

    async def get_settings(self, shop_id: int) -> ShopSettings:
        sql = "SELECT * FROM shop_settings WHERE shop_id = ?"
        row = await self._read(lambda db: _one(db, sql, (shop_id,)))
        if row is None:
            raise LookupError(f"no settings for shop {shop_id}")
        return _settings(row)

    async def save_keys(
        self, shop_id: int, public_key: str, private_key_enc: bytes, sandbox: bool
    ) -> None:
        def op(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE shop_settings SET public_key = ?, private_key_enc = ?, sandbox = ?, "
                "keys_unreadable_at = NULL WHERE shop_id = ?",
                (public_key, private_key_enc, int(sandbox), shop_id),
            )
            db.execute(
                "INSERT INTO liqpay_keys (shop_id, public_key, private_key_enc, saved_at) "
                "VALUES (?, ?, ?, strftime('%s', 'now')) ON CONFLICT (shop_id, public_key) "
                "DO UPDATE SET private_key_enc = excluded.private_key_enc, "
                "saved_at = excluded.saved_at",
                (shop_id, public_key, private_key_enc),
            )

        await self._run(op)

    async def private_key_for(self, shop_id: int, public_key: str) -> bytes | None:
        """The stored (encrypted) private key of a pair the shop has used."""
        sql = "SELECT private_key_enc FROM liqpay_keys WHERE shop_id = ? AND public_key = ?"
        row = await self._read(lambda db: _one(db, sql, (shop_id, public_key)))
        return bytes(row[0]) if row else None

    async def update_settings(self, shop_id: int, **fields: int | str) -> None:
        unknown = set(fields) - _SETTINGS_COLUMNS
        if unknown:
            raise ValueError(f"not a shop setting: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE shop_settings SET {assignments} WHERE shop_id = ?"  # noqa: S608 (names checked above)
        params = (*fields.values(), shop_id)
        await self._run(lambda db: db.execute(sql, params))

    async def save_sms_gateway(self, shop_id: int, token_enc: bytes, sender: str) -> None:
        sql = "UPDATE shop_settings SET sms_token_enc = ?, sms_sender = ? WHERE shop_id = ?"
        await self._run(lambda db: db.execute(sql, (token_enc, sender, shop_id)))

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
        public_key: str | None = None,
    ) -> tuple[Receipt, bool]:
        """Reserve the next receipt number and an order id. The same idempotency key
        returns the receipt made before instead of a second one."""

        def op(db: sqlite3.Connection) -> tuple[Receipt, bool]:
            existing = _one(
                db, "SELECT * FROM receipts WHERE idempotency_key = ?", (idempotency_key,)
            )
            if existing is not None:
                return _receipt(existing), False
            row = _one(
                db,
                "SELECT COALESCE(MAX(number), 0) + 1 FROM receipts WHERE shop_id = ?",
                (shop_id,),
            )
            number = int(row[0]) if row else 1
            text = description(number) if callable(description) else description
            cur = db.execute(
                "INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, "
                "description, channel, contact, order_id, idempotency_key, status, expires_at, "
                "created_at, next_check_at, public_key) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?)",
                (
                    shop_id, number, cashier_id, amount, currency, text, channel.value, contact,
                    order_id(number), idempotency_key, _ts(expires_at), _ts(now), _ts(now),
                    public_key,
                ),
            )  # fmt: skip
            created = _one(db, "SELECT * FROM receipts WHERE id = ?", (cur.lastrowid,))
            assert created is not None
            return _receipt(created), True

        return await self._run(op)

    async def delete_draft(self, receipt_id: int) -> bool:
        # A flagged draft has events and an owner alert: it stays for the owner to see.
        sql = "DELETE FROM receipts WHERE id = ? AND status = 'draft' AND flagged IS NULL"
        deleted: int = await self._run(lambda db: db.execute(sql, (receipt_id,)).rowcount)
        return deleted > 0

    async def get_receipt(self, receipt_id: int) -> Receipt | None:
        row = await self._read(
            lambda db: _one(db, "SELECT * FROM receipts WHERE id = ?", (receipt_id,))
        )
        return _receipt(row) if row else None

    async def receipt_with_settings(self, order_id: str) -> tuple[Receipt, ShopSettings] | None:
        """A receipt by its order id with its shop's settings, in one round trip; the keys
        in them are the pair the receipt was issued with."""

        def op(db: sqlite3.Connection) -> tuple[Receipt, ShopSettings] | None:
            receipt = _one(db, "SELECT * FROM receipts WHERE order_id = ?", (order_id,))
            if receipt is None:
                return None
            sql = "SELECT * FROM shop_settings WHERE shop_id = ?"
            settings = _one(db, sql, (receipt["shop_id"],))
            if settings is None:
                return None
            shop = _settings(settings)
            if receipt["public_key"] and receipt["public_key"] != shop.public_key:
                sql = "SELECT private_key_enc FROM liqpay_keys WHERE shop_id = ? AND public_key = ?"
                old = _one(db, sql, (receipt["shop_id"], receipt["public_key"]))
                shop = replace(
                    shop,
                    public_key=receipt["public_key"],
                    private_key_enc=bytes(old[0]) if old else None,
                )
            return _receipt(receipt), shop

        return await self._read(op)

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

        def op(db: sqlite3.Connection) -> Receipt | None:
            row = _one(
                db,
                f"SELECT status FROM receipts WHERE id = ? AND status IN ({marks})",  # noqa: S608
                (receipt_id, *[s.value for s in expected]),
            )
            if row is None:
                return None
            db.execute(
                f"UPDATE receipts SET {assignments} WHERE id = ?",  # noqa: S608 (names checked)
                (*fields.values(), receipt_id),
            )
            db.execute(
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
            self._enqueue(db, receipt_id, notifications, now)
            updated = _one(db, "SELECT * FROM receipts WHERE id = ?", (receipt_id,))
            return _receipt(updated) if updated else None

        return await self._run(op)

    async def flag(
        self,
        receipt_id: int,
        *,
        reason: str,
        source: EventSource,
        now: datetime,
        liqpay_status: str | None,
        notifications: Sequence[NewNotification] = (),
        mismatch: PaymentMismatch | None = None,
    ) -> bool:
        """Mark a receipt for the owner's attention once per reason and reported payment;
        status unchanged. False when it was flagged so already (nothing written)."""
        facts = (
            (mismatch.amount, mismatch.currency, mismatch.payment_id) if mismatch else (None,) * 3
        )

        def op(db: sqlite3.Connection) -> bool:
            cur = db.execute(
                "UPDATE receipts SET flagged = ?, flag_amount = ?, flag_currency = ?, "
                "flag_payment_id = ? WHERE id = ? AND NOT (flagged IS ? AND flag_amount IS ? "
                "AND flag_currency IS ? AND flag_payment_id IS ?)",
                (reason, *facts, receipt_id, reason, *facts),
            )
            if cur.rowcount == 0:
                return False
            detail = f"flagged: {reason}"
            if mismatch is not None:
                detail += f" amount={facts[0]} currency={facts[1]} payment_id={facts[2]}"
            db.execute(
                "INSERT INTO receipt_events (receipt_id, at, source, from_status, to_status, "
                "liqpay_status, detail) SELECT id, ?, ?, status, status, ?, ? FROM receipts "
                "WHERE id = ?",
                (_ts(now), source.value, liqpay_status, detail, receipt_id),
            )
            self._enqueue(db, receipt_id, notifications, now)
            return True

        return await self._run(op)

    async def alert_unreadable_keys(
        self,
        shop_id: int,
        receipt_id: int,
        *,
        now: datetime,
        notifications: Sequence[NewNotification],
    ) -> bool:
        """Queue the owner's "enter the LiqPay keys again" notices (tied to the receipt that
        met the unreadable keys) unless they were queued since the keys were last saved."""

        def op(db: sqlite3.Connection) -> bool:
            cur = db.execute(
                "UPDATE shop_settings SET keys_unreadable_at = ? "
                "WHERE shop_id = ? AND keys_unreadable_at IS NULL",
                (_ts(now), shop_id),
            )
            if cur.rowcount == 0:
                return False
            self._enqueue(db, receipt_id, notifications, now)
            return True

        return await self._run(op)

    @staticmethod
    def _enqueue(
        db: sqlite3.Connection,
        receipt_id: int,
        notifications: Sequence[NewNotification],
        now: datetime,
    ) -> None:
        if notifications:
            db.executemany(
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

        def op(db: sqlite3.Connection) -> tuple[list[Receipt], int]:
            total = _one(db, f"SELECT COUNT(*) FROM receipts WHERE {where}", params)  # noqa: S608
            rows = _all(
                db,
                f"SELECT * FROM receipts WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",  # noqa: S608
                (*params, limit, offset),
            )
            return [_receipt(r) for r in rows], int(total[0]) if total else 0

        return await self._read(op)

    async def due_for_check(self, now: datetime, limit: int) -> list[Receipt]:
        # Failed, cancelled and expired receipts stay on the list until shortly after their
        # expiry: a customer can still pay a link after a declined card or a cashier's cancel,
        # or finish a payment that was under way when the invoice expired.
        sql = (
            "SELECT * FROM receipts "
            "WHERE status IN ('awaiting', 'draft', 'failed', 'cancelled', 'expired') "
            "AND next_check_at <= ? AND (status IN ('awaiting', 'draft') OR expires_at > ?) "
            "ORDER BY COALESCE(last_checked_at, 0), id LIMIT ?"
        )
        params = (_ts(now), now.timestamp() - LATE_PAYMENT_GRACE, limit)
        rows = await self._read(lambda db: _all(db, sql, params))
        return [_receipt(r) for r in rows]

    async def mark_checked(self, receipt_id: int, now: datetime, next_check_at: datetime) -> None:
        sql = "UPDATE receipts SET last_checked_at = ?, next_check_at = ? WHERE id = ?"
        params = (_ts(now), _ts(next_check_at), receipt_id)
        await self._run(lambda db: db.execute(sql, params))

    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None:
        sql = "UPDATE receipts SET card_chat_id = ?, card_message_id = ? WHERE id = ?"
        await self._run(lambda db: db.execute(sql, (chat_id, message_id, receipt_id)))

    async def events(self, receipt_id: int) -> list[ReceiptEvent]:
        sql = "SELECT * FROM receipt_events WHERE receipt_id = ? ORDER BY id"
        rows = await self._read(lambda db: _all(db, sql, (receipt_id,)))
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
        """The oldest pending item of each chat, if it is due, oldest first: a chat's items go
        out in order, and one chat's backlog does not hold up the others."""
        sql = (
            "SELECT * FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ? "
            "AND o.id = (SELECT MIN(p.id) FROM outbox p WHERE p.chat_id = o.chat_id "
            "AND p.state = 'pending') ORDER BY o.id LIMIT ?"
        )
        rows = await self._read(lambda db: _all(db, sql, (_ts(now), limit)))
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
        sql = "UPDATE outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?"
        await self._run(lambda db: db.execute(sql, (_ts(now), item_id)))

    async def postpone(self, item_id: int, error: str, until: datetime) -> None:
        sql = (
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
            "WHERE id = ?"
        )
        await self._run(lambda db: db.execute(sql, (error[:500], _ts(until), item_id)))

    async def mark_dead(self, item_id: int, error: str) -> None:
        sql = (
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ? WHERE id = ?"
        )
        await self._run(lambda db: db.execute(sql, (error[:500], item_id)))

    # dialog state (aiogram FSM), so a restart does not lose a half-filled dialog

    async def dialog_state(self, key: str) -> str | None:
        row = await self._read(
            lambda db: _one(db, "SELECT state FROM dialogs WHERE key = ?", (key,))
        )
        return row["state"] if row else None

    async def set_dialog_state(self, key: str, state: str | None) -> None:
        sql = (
            "INSERT INTO dialogs (key, state) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET state = excluded.state"
        )
        await self._run(lambda db: db.execute(sql, (key, state)))

    async def dialog_data(self, key: str) -> dict[str, Any]:
        row = await self._read(
            lambda db: _one(db, "SELECT data FROM dialogs WHERE key = ?", (key,))
        )
        return dict(json.loads(row["data"])) if row else {}

    async def set_dialog_data(self, key: str, data: dict[str, Any]) -> None:
        sql = (
            "INSERT INTO dialogs (key, data) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET data = excluded.data"
        )
        payload = json.dumps(data)
        await self._run(lambda db: db.execute(sql, (key, payload)))


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
