"""A shop's cash register in Checkbox's offline mode (docs/checkbox-offline.md): whether the
bot has it offline, the last fiscal document the bot knows it carries, and its stock of
offline fiscal codes (each used once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RegisterMode(StrEnum):
    ONLINE = "online"
    # written before go-offline is asked: a register found so after a restart goes online
    # first (go-online is harmless on an online register)
    OFFLINE = "offline"


@dataclass(frozen=True)
class OfflineRegister:
    shop_id: int
    mode: RegisterMode = RegisterMode.ONLINE
    offline_since: datetime | None = None  # the go-offline date asked for
    last_document_at: datetime | None = None  # the latest fiscal date the bot made there
