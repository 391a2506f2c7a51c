"""The LiqPay key pairs a shop's receipts are made, checked and cancelled with.

Private keys are stored sealed under SECRET_KEY. When it changes, they can't be read: the
shop is then as good as keyless until the owner enters the keys again, and the owner is told
so once (the store remembers it across restarts), not on every callback or check.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from pydantic import SecretStr

from services.core.crypto import SecretBox, SecretKeyMismatch
from services.core.logthrottle import LogThrottle
from services.liqpay.signing import Credentials
from services.notifications.jobs import NotificationKind, OutboxSignal, notify_job
from storage.models.receipts import Receipt
from storage.models.settings import ShopSettings
from storage.models.shops import Role
from storage.protocols.settings import SettingsRepository
from storage.protocols.shops import ShopRepository

log = logging.getLogger(__name__)

KEY_PAIR_TTL = 60.0  # seconds a pair the shop has used is remembered (callbacks need it)


class NoKeys(Exception):
    """The shop has no LiqPay keys yet."""


class KeysUnreadable(NoKeys):
    """The shop's stored LiqPay keys can't be decrypted (SECRET_KEY changed since they were
    saved): as good as none until the owner enters them again; the owner is told once."""

    def __init__(self, encrypted: bytes) -> None:
        super().__init__("stored LiqPay keys can't be read")
        self.encrypted = encrypted  # the stored (sealed) private key that failed


class ShopKeys:
    def __init__(
        self,
        shop_settings: SettingsRepository,
        shops: ShopRepository,
        box: SecretBox,
        signal: OutboxSignal,
    ) -> None:
        self.shop_settings = shop_settings
        self.shops = shops
        self.box = box
        self.signal = signal
        self.throttled = LogThrottle(log)
        self._private_keys: dict[bytes, SecretStr] = {}
        self._key_pairs: dict[tuple[int, str], tuple[float, bytes]] = {}
        # (shop, sealed key) pairs whose unreadable keys this process has reported: keys
        # saved anew are sealed anew, so if those fail too it is reported again
        self._alerted: set[tuple[int, bytes]] = set()

    def private_key(self, encrypted: bytes) -> SecretStr:
        """Decrypt a stored private key, remembering it: callbacks need it on every request.
        Raises SecretKeyMismatch when SECRET_KEY changed since it was stored."""
        key = self._private_keys.get(encrypted)
        if key is None:
            key = self._private_keys[encrypted] = SecretStr(self.box.decrypt(encrypted))
        return key

    async def require_credentials(self, shop_id: int) -> Credentials:
        """Raises NoKeys, or KeysUnreadable when the stored ones can't be decrypted."""
        return self.credentials(await self.shop_settings.get(shop_id))

    def credentials(self, settings: ShopSettings) -> Credentials:
        """The shop's current pair from settings already read. Raises NoKeys, or
        KeysUnreadable when the stored ones can't be decrypted."""
        shop_id = settings.shop_id
        if not settings.public_key or not settings.private_key_enc:
            raise NoKeys
        try:
            private_key = self.private_key(settings.private_key_enc)
        except SecretKeyMismatch:
            self.throttled.log(
                ("unreadable", shop_id),
                "Shop %s: the stored LiqPay keys can't be read with the current SECRET_KEY; "
                "the owner must enter them again",
                shop_id,
            )
            raise KeysUnreadable(settings.private_key_enc) from None
        return Credentials(settings.public_key, private_key, settings.api_version)

    async def credentials_for(self, receipt: Receipt, now: datetime) -> Credentials:
        """The key pair the receipt's invoice was made with, even if the shop has new keys.
        Keys that can't be read are reported to the owner (once) and raise KeysUnreadable."""
        try:
            current = await self.require_credentials(receipt.shop_id)
            if not receipt.public_key or receipt.public_key == current.public_key:
                return current
            encrypted = await self.key_pair(receipt.shop_id, receipt.public_key)
            if encrypted is None:
                raise NoKeys
            try:
                private_key = self.private_key(encrypted)
            except SecretKeyMismatch:
                raise KeysUnreadable(encrypted) from None
        except KeysUnreadable as exc:
            await self.keys_unreadable(receipt, exc.encrypted, now)
            raise
        return Credentials(receipt.public_key, private_key, current.version)

    async def signing_key(
        self, receipt: Receipt, *, fresh: bool = False
    ) -> tuple[str, bytes] | None:
        """The public key and sealed private key LiqPay signs this receipt's callbacks with:
        the pair the receipt names, or (a receipt from before pairs were remembered) the
        shop's current one; None when there is none. `fresh` skips what is remembered."""
        if receipt.public_key:
            encrypted = await self.key_pair(receipt.shop_id, receipt.public_key, fresh=fresh)
            return (receipt.public_key, encrypted) if encrypted is not None else None
        settings = await self.shop_settings.get(receipt.shop_id)
        if not settings.public_key or not settings.private_key_enc:
            return None
        return settings.public_key, settings.private_key_enc

    async def key_pair(self, shop_id: int, public_key: str, *, fresh: bool = False) -> bytes | None:
        """A pair the shop has used (sealed), remembered for a minute."""
        now = time.monotonic()
        cached = self._key_pairs.get((shop_id, public_key))
        if cached is not None and cached[0] > now and not fresh:
            return cached[1]
        encrypted = await self.shop_settings.key_pair(shop_id, public_key)
        if encrypted is not None:
            self._key_pairs[(shop_id, public_key)] = (now + KEY_PAIR_TTL, encrypted)
        return encrypted

    async def keys_unreadable(self, receipt: Receipt, encrypted: bytes, now: datetime) -> None:
        """Tell the shop's owners, once until keys are saved again, that the LiqPay keys must
        be entered again. `receipt` is one whose payment can't be checked meanwhile (the
        notice is tied to it); `encrypted` is the stored key that failed."""
        self.throttled.log(
            ("waiting", receipt.shop_id),
            "Shop %s: receipt %s can't be checked until the owner enters the LiqPay keys again",
            receipt.shop_id,
            receipt.id,
        )
        if (receipt.shop_id, encrypted) in self._alerted:
            return
        owners = await self.shops.member_ids(receipt.shop_id, Role.OWNER)
        notices = [notify_job(owner, NotificationKind.KEYS_UNREADABLE) for owner in owners]
        queued = await self.shop_settings.alert_unreadable_keys(
            receipt.shop_id, receipt.id, now=now, jobs=notices
        )
        if queued:
            self.signal.notify()
        self._alerted.add((receipt.shop_id, encrypted))
