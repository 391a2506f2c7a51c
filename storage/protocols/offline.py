from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from storage.models.offline import OfflineRegister, RegisterMode


class OfflineRepository(Protocol):
    """A shop's register in offline mode and its offline fiscal codes (one register per
    shop: the shop's license key)."""

    async def register(self, shop_id: int) -> OfflineRegister:
        """The register's state; an online one with nothing known when never written."""
        ...

    async def set_mode(
        self, shop_id: int, mode: RegisterMode, offline_since: datetime | None, now: datetime
    ) -> None:
        """Record the register offline (since `offline_since`) or online again."""
        ...

    async def note_document(self, shop_id: int, at: datetime, now: datetime) -> None:
        """A fiscal document dated `at` is on the register: last_document_at never goes
        back."""
        ...

    async def add_codes(self, shop_id: int, codes: Sequence[str], now: datetime) -> int:
        """Keep offline codes obtained from the registrar; a code kept already (used or
        not) is skipped. How many were new."""
        ...

    async def unused_codes(self, shop_id: int) -> int: ...

    async def claim_codes(
        self, shop_id: int, purposes: Sequence[str], now: datetime
    ) -> dict[str, str] | None:
        """One code for each purpose (e.g. "go_offline:…", "receipt:…"), marked used in one
        transaction, oldest codes first; a purpose that holds a code already keeps it (a
        run after a crash uses the same code). None, and nothing written, when there are
        not enough unused codes."""
        ...
