from __future__ import annotations

from datetime import datetime
from typing import Protocol

from storage.models.fiscal import FiscalSettings, FiscalSettingsChanges


class FiscalSettingsRepository(Protocol):
    """A shop's fiscal registrar settings (one row per shop, none until first set up)."""

    async def get(self, shop_id: int) -> FiscalSettings | None:
        """None: never set up."""
        ...

    async def save_credentials(
        self,
        shop_id: int,
        license_key_enc: bytes,
        pin_enc: bytes,
        token_enc: bytes | None,
        now: datetime,
        *,
        register: str | None = None,
    ) -> FiscalSettings:
        """The first save makes the row (enabled, mode AUTO, the default payment label, no
        VAT, shift closed at 23:45); later saves keep the other fields and replace the
        credentials and the token. IntegrityViolation for an unknown shop.
        `register`: the license key's fingerprint (never the key). Another register than
        the one the shop's offline state was kept for (or None: unknown) drops that state
        in the same transaction: its unused offline codes, its mode, its last document."""
        ...

    async def update(self, shop_id: int, changes: FiscalSettingsChanges) -> FiscalSettings | None:
        """Set the fields of `changes` that are not UNSET; None (nothing written) when the
        shop was never set up. IntegrityViolation for a value out of range."""
        ...

    async def save_token(self, shop_id: int, token_enc: bytes | None) -> None:
        """Replace the stored cashier token (None forgets it)."""
        ...

    async def save_certificate(
        self, shop_id: int, certificate_end: datetime | None, checked_at: datetime
    ) -> None:
        """Record when the cashier's signing key expires (None: the registrar did not say)
        and when it was read."""
        ...

    async def forget_credentials(self, shop_id: int) -> None:
        """Drop the license key, PIN and token; the other settings stay."""
        ...

    async def configured(self) -> list[FiscalSettings]:
        """Every shop with both credentials stored and fiscalization enabled, by shop id."""
        ...
