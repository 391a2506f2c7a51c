from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    CASHIER = "cashier"


@dataclass(frozen=True)
class Member:
    shop_id: int
    shop_name: str
    user_id: int
    role: Role
    name: str

    @property
    def is_owner(self) -> bool:
        return self.role is Role.OWNER


class InviteOutcome(StrEnum):
    JOINED = "joined"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_MEMBER = "already_member"
