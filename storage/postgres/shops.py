"""Shops, members and invites."""

from __future__ import annotations

from datetime import datetime

from storage.models.common import IntegrityViolation
from storage.models.shops import InviteOutcome, Member, Role
from storage.postgres.engine import PostgresEngine, Tx
from storage.rows import member_from

_MEMBER_SELECT = (
    "SELECT m.shop_id, s.name AS shop_name, m.user_id, m.role, m.name "
    "FROM members m JOIN shops s ON s.id = m.shop_id"
)

# One statement, so atomic by itself: the shop, its owner, its settings and its counter.
_CREATE_SHOP = """
    WITH shop AS (INSERT INTO shops (name, created_at) VALUES ($1, $2) RETURNING id),
    owner AS (INSERT INTO members (shop_id, user_id, role, name, joined_at)
              SELECT id, $3, 'owner', $4, $2 FROM shop),
    settings AS (INSERT INTO shop_settings (shop_id) SELECT id FROM shop),
    counter AS (INSERT INTO receipt_counters (shop_id, last_number) SELECT id, 0 FROM shop)
    SELECT id FROM shop
"""

# Spends the invite only if it is unspent, unexpired and the user is nobody's member yet;
# the row lock makes a concurrent redemption wait and then find it spent.
_SPEND = """
    UPDATE invites i SET used_by = $2, used_at = $3
    FROM shops s
    WHERE i.token = $1 AND s.id = i.shop_id AND i.used_by IS NULL AND i.expires_at > $3
      AND NOT EXISTS (SELECT 1 FROM members m WHERE m.user_id = $2)
    RETURNING i.shop_id, s.name AS shop_name
"""

REDEEM_ATTEMPTS = 3


class _Raced(Exception):
    """What the spending UPDATE saw changed before we could classify it: look again."""


class PostgresShops:
    def __init__(self, engine: PostgresEngine) -> None:
        self._db = engine

    async def create_shop(self, owner_id: int, owner_name: str, name: str, now: datetime) -> Member:
        shop_id = await self._db.value(_CREATE_SHOP, name, now, owner_id, owner_name)
        return Member(int(shop_id), name, owner_id, Role.OWNER, owner_name)

    async def get_member(self, user_id: int) -> Member | None:
        row = await self._db.one(_MEMBER_SELECT + " WHERE m.user_id = $1", user_id)
        return member_from(row) if row else None

    async def list_members(self, shop_id: int) -> list[Member]:
        sql = _MEMBER_SELECT + " WHERE m.shop_id = $1 ORDER BY m.role DESC, m.joined_at, m.user_id"
        return [member_from(r) for r in await self._db.all(sql, shop_id)]

    async def member_ids(self, shop_id: int, role: Role | None = None) -> list[int]:
        if role is None:
            sql = "SELECT user_id FROM members WHERE shop_id = $1 ORDER BY joined_at, user_id"
            rows = await self._db.all(sql, shop_id)
        else:
            sql = (
                "SELECT user_id FROM members WHERE shop_id = $1 AND role = $2 "
                "ORDER BY joined_at, user_id"
            )
            rows = await self._db.all(sql, shop_id, role.value)
        return [r["user_id"] for r in rows]

    async def remove_cashier(self, shop_id: int, user_id: int) -> bool:
        sql = "DELETE FROM members WHERE shop_id = $1 AND user_id = $2 AND role = 'cashier'"
        return await self._db.execute(sql, shop_id, user_id) > 0

    async def create_invite(
        self, shop_id: int, token: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO invites (token, shop_id, created_by, created_at, expires_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            token,
            shop_id,
            created_by,
            now,
            expires_at,
        )

    async def redeem_invite(
        self, token: str, user_id: int, name: str, now: datetime
    ) -> tuple[InviteOutcome, Member | None]:
        async def op(tx: Tx) -> tuple[InviteOutcome, Member | None]:
            spent = await tx.one(_SPEND, token, user_id, now)
            if spent is not None:
                await tx.execute(
                    "INSERT INTO members (shop_id, user_id, role, name, joined_at) "
                    "VALUES ($1, $2, 'cashier', $3, $4)",
                    spent["shop_id"],
                    user_id,
                    name,
                    now,
                )
                member = Member(spent["shop_id"], spent["shop_name"], user_id, Role.CASHIER, name)
                return InviteOutcome.JOINED, member
            # Not spent by us: say why, from what is committed now.
            invite = await tx.one("SELECT used_by, expires_at FROM invites WHERE token = $1", token)
            if invite is None:
                return InviteOutcome.UNKNOWN, None
            if invite["used_by"] is not None:
                return InviteOutcome.USED, None
            if invite["expires_at"] <= now:
                return InviteOutcome.EXPIRED, None
            existing = await tx.one(_MEMBER_SELECT + " WHERE m.user_id = $1", user_id)
            if existing is None:
                raise _Raced  # the membership that stopped us is gone already
            return InviteOutcome.ALREADY_MEMBER, member_from(existing)

        for attempt in range(1, REDEEM_ATTEMPTS + 1):
            try:
                return await self._db.transaction(op)
            except (_Raced, IntegrityViolation) as exc:
                # The user joined a shop (or left one) while we redeemed: nothing was
                # written; look again at what is true now.
                if attempt == REDEEM_ATTEMPTS:
                    raise IntegrityViolation("the membership kept changing") from exc
        raise AssertionError("unreachable")
