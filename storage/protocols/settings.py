from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from storage.models.jobs import NewJob
from storage.models.settings import SettingsChanges, ShopSettings


class SettingsRepository(Protocol):
    """A shop's settings and every LiqPay key pair it has used."""

    async def get(self, shop_id: int) -> ShopSettings:
        """LookupError when the shop does not exist."""
        ...

    async def save_keys(
        self,
        shop_id: int,
        public_key: str,
        private_key_enc: bytes,
        sandbox: bool,
        now: datetime,
    ) -> None:
        """Make the pair the shop's current one and remember it among the pairs it has used
        (a pair saved again replaces its private key), in one transaction. Keys saved anew
        may be reported unreadable again (see alert_unreadable_keys)."""
        ...

    async def key_pair(self, shop_id: int, public_key: str) -> bytes | None:
        """The encrypted private key of a pair the shop has used (the current one included),
        named by its public key; None when the shop never used that public key."""
        ...

    async def update(self, shop_id: int, changes: SettingsChanges) -> None:
        """Set the fields of `changes` that are not UNSET."""
        ...

    async def save_sms_gateway(self, shop_id: int, token_enc: bytes, sender: str) -> None: ...

    async def alert_unreadable_keys(
        self, shop_id: int, receipt_id: int, *, now: datetime, jobs: Sequence[NewJob]
    ) -> bool:
        """Insert the owners' "enter the LiqPay keys again" notices (`jobs`, their receipt_id
        set to `receipt_id`, the receipt that met the unreadable keys) unless they were
        already since the keys were last saved (save_keys resets it); in one transaction.
        True when they were inserted now."""
        ...
