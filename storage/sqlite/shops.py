"""Shops, members and invites."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.models.shops import InviteOutcome, Member, Role
from storage.rows import member_from
from storage.sqlite.codec import ts
from storage.sqlite.engine import SqliteEngine
from storage.sqlite.tx import Tx

_MEMBER_SELECT = (
    "SELECT m.shop_id, s.name AS shop_name, m.user_id, m.role, m.name "
    "FROM members m JOIN shops s ON s.id = m.shop_id"
)


class SqliteShops:
    def __init__(self, engine: SqliteEngine) -> None:
        self._db = engine

    async def create_shop(self, owner_id: int, owner_name: str, name: str, now: datetime) -> Member:
        async def op(tx: Tx) -> int:
            shop_id = await tx.insert(
                "INSERT INTO shops (name, created_at) VALUES (?, ?)", (name, ts(now))
            )
            await tx.execute(
                "INSERT INTO members (shop_id, user_id, role, name, joined_at) "
                "VALUES (?, ?, 'owner', ?, ?)",
                (shop_id, owner_id, owner_name, ts(now)),
            )
            await tx.execute("INSERT INTO shop_settings (shop_id) VALUES (?)", (shop_id,))
            await tx.execute(
                "INSERT INTO receipt_counters (shop_id, last_number) VALUES (?, 0)", (shop_id,)
            )
            return shop_id

        shop_id = await self._db.write(op)
        return Member(shop_id, name, owner_id, Role.OWNER, owner_name)

    async def get_member(self, user_id: int) -> Member | None:
        row = await self._db.one(_MEMBER_SELECT + " WHERE m.user_id = ?", (user_id,))
        return member_from(row) if row else None

    async def list_members(self, shop_id: int) -> list[Member]:
        sql = _MEMBER_SELECT + " WHERE m.shop_id = ? ORDER BY m.role DESC, m.joined_at"
        return [member_from(r) for r in await self._db.all(sql, (shop_id,))]

    async def member_ids(self, shop_id: int, role: Role | None = None) -> list[int]:
        sql = "SELECT user_id FROM members WHERE shop_id = ?"
        params: list[Any] = [shop_id]
        if role is not None:
            sql += " AND role = ?"
            params.append(role.value)
        rows = await self._db.all(sql + " ORDER BY joined_at, rowid", params)
        return [r["user_id"] for r in rows]

    async def remove_cashier(self, shop_id: int, user_id: int) -> bool:
        sql = "DELETE FROM members WHERE shop_id = ? AND user_id = ? AND role = 'cashier'"
        return await self._db.execute(sql, (shop_id, user_id)) > 0

    async def create_invite(
        self, shop_id: int, token: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO invites (token, shop_id, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token, shop_id, created_by, ts(now), ts(expires_at)),
        )

    async def redeem_invite(
        self, token: str, user_id: int, name: str, now: datetime
    ) -> tuple[InviteOutcome, Member | None]:
        # One write transaction (BEGIN IMMEDIATE): nobody else redeems in between.
        async def op(tx: Tx) -> tuple[InviteOutcome, Member | None]:
            invite = await tx.one(
                "SELECT i.shop_id, i.used_by, i.expires_at, s.name AS shop_name "
                "FROM invites i JOIN shops s ON s.id = i.shop_id WHERE i.token = ?",
                (token,),
            )
            if invite is None:
                return InviteOutcome.UNKNOWN, None
            if invite["used_by"] is not None:
                return InviteOutcome.USED, None
            if invite["expires_at"] <= ts(now):
                return InviteOutcome.EXPIRED, None
            existing = await tx.one(_MEMBER_SELECT + " WHERE m.user_id = ?", (user_id,))
            if existing is not None:
                return InviteOutcome.ALREADY_MEMBER, member_from(existing)
            spent = await tx.execute(
                "UPDATE invites SET used_by = ?, used_at = ? WHERE token = ? AND used_by IS NULL",
                (user_id, ts(now), token),
            )
            if not spent:
                return InviteOutcome.USED, None
            await tx.execute(
                "INSERT INTO members (shop_id, user_id, role, name, joined_at) "
                "VALUES (?, ?, 'cashier', ?, ?)",
                (invite["shop_id"], user_id, name, ts(now)),
            )
            member = Member(invite["shop_id"], invite["shop_name"], user_id, Role.CASHIER, name)
            return InviteOutcome.JOINED, member

        return await self._db.write(op)
