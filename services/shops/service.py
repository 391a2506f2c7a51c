"""Shops, members, invites and shop settings (LiqPay keys, lifetime, currency, SMS)."""

from __future__ import annotations

import logging
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from pydantic import SecretStr

from services.core.clock import Clock, utcnow
from services.core.crypto import SecretBox
from services.core.money import CURRENCIES
from services.core.names import clean_name
from services.liqpay.client import LiqPayClient, LiqPayRefused, PaymentNotFound
from services.liqpay.signing import SUPPORTED_VERSIONS, Credentials
from services.turbosms import TurboSmsClient
from storage.models.settings import SettingsChanges, ShopSettings
from storage.models.shops import InviteOutcome, Member
from storage.protocols.settings import SettingsRepository
from storage.protocols.shops import ShopRepository

log = logging.getLogger(__name__)

INVITE_TTL = timedelta(hours=24)
MIN_LIFETIME = 5 * 60
MAX_LIFETIME = 30 * 24 * 3600
MAX_SHOP_NAME = 100
MAX_KEY_LENGTH = 200


class KeyCheck(StrEnum):
    OK = "ok"
    REJECTED = "rejected"  # LiqPay refused the pair
    MALFORMED = "malformed"  # not something a LiqPay key looks like


@dataclass(frozen=True)
class KeyCheckResult:
    outcome: KeyCheck
    sandbox: bool = False
    err_code: str | None = None


class ShopService:
    def __init__(
        self,
        shops: ShopRepository,
        shop_settings: SettingsRepository,
        liqpay: LiqPayClient,
        sms: TurboSmsClient,
        box: SecretBox,
        owner_ids: frozenset[int],
        clock: Clock = utcnow,
    ) -> None:
        self.shops = shops
        self.shop_settings = shop_settings
        self.liqpay = liqpay
        self.sms = sms
        self.box = box
        self.owner_ids = owner_ids
        self.clock = clock

    def may_create_shop(self, user_id: int) -> bool:
        return not self.owner_ids or user_id in self.owner_ids

    async def create_shop(self, user_id: int, user_name: str, shop_name: str) -> Member:
        name = clean_name(shop_name)[:MAX_SHOP_NAME]
        if not name:
            raise ValueError("empty shop name")
        if not self.may_create_shop(user_id):
            raise PermissionError("not allowed to create a shop")
        return await self.shops.create_shop(user_id, user_name, name, self.clock())

    async def create_invite(self, owner: Member) -> str:
        if not owner.is_owner:
            raise PermissionError("only an owner invites")
        token = secrets.token_urlsafe(18)
        now = self.clock()
        await self.shops.create_invite(owner.shop_id, token, owner.user_id, now, now + INVITE_TTL)
        return token

    async def join(
        self, token: str, user_id: int, user_name: str
    ) -> tuple[InviteOutcome, Member | None]:
        return await self.shops.redeem_invite(token, user_id, user_name, self.clock())

    async def settings(self, member: Member) -> ShopSettings:
        return await self.shop_settings.get(member.shop_id)

    async def members(self, member: Member) -> list[Member]:
        return await self.shops.list_members(member.shop_id)

    async def cashier(self, owner: Member, user_id: int) -> Member | None:
        """The owner's shop's cashier with this id, or None (not a member, or the owner)."""
        found = next((m for m in await self.members(owner) if m.user_id == user_id), None)
        return None if found is None or found.is_owner else found

    async def remove_cashier(self, owner: Member, user_id: int) -> bool:
        if not owner.is_owner:
            raise PermissionError("only an owner removes a cashier")
        return await self.shops.remove_cashier(owner.shop_id, user_id)

    async def check_and_save_keys(
        self, owner: Member, public_key: str, private_key: str
    ) -> KeyCheckResult:
        """Save the pair only if LiqPay accepts a signed `status` request made with it.
        Raises LiqPayUnavailable when LiqPay can't be asked; nothing is saved then."""
        if not owner.is_owner:
            raise PermissionError("only an owner sets keys")
        public_key, private_key = public_key.strip(), private_key.strip()
        for key in (public_key, private_key):
            if not key or len(key) > MAX_KEY_LENGTH or any(ch.isspace() for ch in key):
                return KeyCheckResult(KeyCheck.MALFORMED)
        settings = await self.shop_settings.get(owner.shop_id)
        creds = Credentials(public_key, SecretStr(private_key), settings.api_version)
        try:
            await self.liqpay.status(creds, f"keycheck-{secrets.token_hex(12)}")
        except PaymentNotFound:
            pass  # LiqPay checked the signature and looked the order up: the keys work
        except LiqPayRefused as exc:
            return KeyCheckResult(KeyCheck.REJECTED, creds.sandbox, exc.err_code)
        else:
            return KeyCheckResult(KeyCheck.REJECTED, creds.sandbox, "unexpected_answer")
        await self.shop_settings.save_keys(
            owner.shop_id, public_key, self.box.encrypt(private_key), creds.sandbox, self.clock()
        )
        log.info(
            "Shop %s: LiqPay keys saved (%s)", owner.shop_id, "sandbox" if creds.sandbox else "live"
        )
        return KeyCheckResult(KeyCheck.OK, creds.sandbox)

    async def set_lifetime(self, owner: Member, seconds: int) -> None:
        if not MIN_LIFETIME <= seconds <= MAX_LIFETIME:
            raise ValueError("lifetime out of range")
        await self._update(owner, SettingsChanges(invoice_lifetime=seconds))

    async def set_currency(self, owner: Member, currency: str) -> None:
        if currency not in CURRENCIES:
            raise ValueError("unsupported currency")
        await self._update(owner, SettingsChanges(currency=currency))

    async def set_api_version(self, owner: Member, version: int) -> None:
        if version not in SUPPORTED_VERSIONS:
            raise ValueError("unsupported API version")
        await self._update(owner, SettingsChanges(api_version=version))

    async def _update(self, owner: Member, changes: SettingsChanges) -> None:
        if not owner.is_owner:
            raise PermissionError("only an owner changes settings")
        await self.shop_settings.update(owner.shop_id, changes)

    def seal(self, secret: str) -> str:
        """Encrypt a secret that must wait in a dialog's stored data between two steps."""
        return self.box.encrypt(secret).decode()

    def unseal(self, sealed: str) -> str:
        return self.box.decrypt(sealed.encode())

    async def save_sms_gateway(self, owner: Member, token: str, sender: str) -> None:
        """Check the token with a balance request, then store it encrypted.
        Raises SmsError (token refused) or SmsUnavailable."""
        if not owner.is_owner:
            raise PermissionError("only an owner sets the SMS gateway")
        await self.sms.balance(token.strip())
        await self.shop_settings.save_sms_gateway(
            owner.shop_id, self.box.encrypt(token.strip()), sender
        )


def parse_lifetime(text: str) -> int | None:
    """'90' (minutes), '30m', '2h', '3d', '1 год'... to seconds; None when unreadable."""
    cleaned = text.strip().lower().replace(" ", "")
    units = {
        "m": 60, "min": 60, "хв": 60, "х": 60,
        "h": 3600, "год": 3600, "г": 3600,
        "d": 86400, "д": 86400, "дн": 86400, "днів": 86400, "дні": 86400, "days": 86400,
    }  # fmt: skip
    number = ""
    while cleaned and cleaned[0] in string.digits:  # isdigit() takes "²", "١", "９" too
        number, cleaned = number + cleaned[0], cleaned[1:]
    if not number or len(number) > 6:
        return None
    if not cleaned:
        return int(number) * 60
    factor = units.get(cleaned)
    return int(number) * factor if factor else None
