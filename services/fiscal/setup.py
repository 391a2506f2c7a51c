"""The owner's fiscalization settings: the register's license key and the cashier's PIN
(tested by signing in before they are saved, stored encrypted), the payment-form name, the
tax rate from the register's own list, the mode, the off switch and the shift closing time.

A second PRRO plugs in as another FiscalRegistrar: nothing here knows Checkbox.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum

from pydantic import SecretStr

from services.core.clock import Clock, utcnow
from services.core.crypto import SecretBox, SecretKeyMismatch
from services.fiscal import policy
from services.fiscal.registrar import (
    PAYMENT_LABELS,
    FiscalCredentials,
    FiscalError,
    FiscalRefused,
    FiscalRegistrar,
    TaxRate,
)
from storage.models.fiscal import (
    DEFAULT_CLOSE_SHIFT_AT,
    MINUTES_PER_DAY,
    FiscalMode,
    FiscalSettings,
    FiscalSettingsChanges,
)
from storage.models.shops import Member
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.jobs import JobQueue

log = logging.getLogger(__name__)

LICENSE_KEY_RE = re.compile(r"^[A-Za-z0-9_.:+/=-]{8,200}$")
PIN_RE = re.compile(r"^[0-9]{4,32}$")  # ASCII digits only (\d would take other scripts' too)
CLOSE_TIME_RE = re.compile(r"^([0-9]{1,2})[:.]([0-9]{2})$")
MINUTES_A_DAY = MINUTES_PER_DAY
DEFAULT_CLOSE_TIME = DEFAULT_CLOSE_SHIFT_AT  # minutes after Kyiv midnight
MAX_REFUSAL_TEXT = 200
MASK = "••••"


class CredentialsCheck(StrEnum):
    OK = "ok"
    REJECTED = "rejected"  # the registrar did not let the cashier sign in
    MALFORMED = "malformed"  # not what a license key / PIN looks like


@dataclass(frozen=True)
class CredentialsResult:
    outcome: CredentialsCheck
    message: str = ""  # the registrar's words on a refusal, with no secret in them
    # the tax rate chosen before is not in this register's list: the owner must choose again
    tax_rate_missing: bool = False


class NotSetUp(Exception):
    """The shop has no license key and PIN yet (or they can't be read any more)."""


class UnknownTaxRate(Exception):
    """The code is not in the register's list (any more)."""


def clean_license_key(text: str) -> str | None:
    key = text.strip()
    return key if LICENSE_KEY_RE.match(key) else None


def clean_pin(text: str) -> str | None:
    pin = text.strip()
    return pin if PIN_RE.match(pin) else None


def parse_close_time(text: str) -> int | None:
    """'23:45', '23.45', '7:05' to minutes after midnight; None when it is not a time."""
    match = CLOSE_TIME_RE.match(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def format_close_time(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def mask_key(key: str) -> str:
    return MASK + key[-4:]


def tax_rate_label(rate: TaxRate) -> str:
    """What the owner reads for a rate, in the register's own words: 'ПДВ 20%'."""
    label = rate.label or rate.symbol or str(rate.code)
    if rate.no_vat or not rate.rate:
        return label
    percent = format(rate.rate.normalize(), "f")
    return label if percent in label else f"{label} {percent}%"


def _scrubbed(message: str, *secrets: str) -> str:
    """The registrar's words, minus anything of ours it might echo back."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, MASK)
    return message[:MAX_REFUSAL_TEXT]


class FiscalSetupService:
    def __init__(
        self,
        registrar: FiscalRegistrar,
        fiscal: FiscalSettingsRepository,
        box: SecretBox,
        jobs: JobQueue | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.registrar = registrar
        self.fiscal = fiscal
        self.box = box
        self.jobs = jobs  # to schedule the shift close at once (the worker also does, later)
        self.clock = clock

    async def settings(self, shop_id: int) -> FiscalSettings | None:
        return await self.fiscal.get(shop_id)

    def license_key_hint(self, settings: FiscalSettings) -> str | None:
        """`••••` and the key's last 4 characters; None when there is none or it can't be
        read (SECRET_KEY changed)."""
        if settings.license_key_enc is None:
            return None
        try:
            return mask_key(self.box.decrypt(settings.license_key_enc))
        except SecretKeyMismatch:
            return None

    def seal(self, secret: str) -> str:
        """Encrypt a secret that waits in a dialog's stored data between two steps."""
        return self.box.encrypt(secret).decode()

    def unseal(self, sealed: str) -> str:
        return self.box.decrypt(sealed.encode())

    async def check_and_save_credentials(
        self, owner: Member, license_key: str, pin: str
    ) -> CredentialsResult:
        """Save the pair only if the registrar lets the cashier sign in with it. Raises
        FiscalUnavailable when it can't be asked; nothing is saved then."""
        _require_owner(owner)
        key, clean = clean_license_key(license_key), clean_pin(pin)
        if key is None or clean is None:
            return CredentialsResult(CredentialsCheck.MALFORMED)
        creds = FiscalCredentials(SecretStr(key), SecretStr(clean))
        try:
            await self.registrar.check_credentials(creds)
        except FiscalRefused as exc:
            log.info(
                "Shop %s: the fiscal registrar refused the license key and PIN (%s)",
                owner.shop_id,
                exc.reason,
            )
            return CredentialsResult(CredentialsCheck.REJECTED, _scrubbed(exc.message, key, clean))
        # The check signed in: that session is kept, so registering spends no second one
        # of the cashier's few.
        token = self.registrar.session_token(creds)
        saved = await self.fiscal.save_credentials(
            owner.shop_id,
            self.box.encrypt(key),
            self.box.encrypt(clean),
            self.box.encrypt(token) if token else None,
            self.clock(),
            register=self.box.fingerprint(key),  # another register: its offline state dropped
        )
        log.info("Shop %s: fiscal registrar credentials saved", owner.shop_id)
        await self._read_certificate(saved, creds)
        await self._schedule_close(saved)
        return CredentialsResult(
            CredentialsCheck.OK, tax_rate_missing=await self._tax_rate_missing(saved, creds)
        )

    async def _read_certificate(self, settings: FiscalSettings, creds: FiscalCredentials) -> None:
        """When the cashier's key expires (warned about by the fiscal worker); an
        unanswered question changes nothing."""
        try:
            profile = await self.registrar.me(creds)
        except FiscalError:
            return
        await self.fiscal.save_certificate(settings.shop_id, profile.certificate_end, self.clock())

    async def _tax_rate_missing(self, settings: FiscalSettings, creds: FiscalCredentials) -> bool:
        """Whether the rate chosen earlier (maybe on another register) is unknown here; an
        unanswered question is no reason to alarm the owner."""
        if settings.tax_code is None:
            return False
        try:
            rates = await self.registrar.tax_rates(creds)
        except FiscalError:
            return False
        return all(rate.code != settings.tax_code for rate in rates)

    async def credentials(self, shop_id: int) -> FiscalCredentials:
        """Raises NotSetUp when there are none or they can't be read."""
        settings = await self.fiscal.get(shop_id)
        if settings is None or settings.license_key_enc is None or settings.pin_enc is None:
            raise NotSetUp
        try:
            return FiscalCredentials(
                SecretStr(self.box.decrypt(settings.license_key_enc)),
                SecretStr(self.box.decrypt(settings.pin_enc)),
            )
        except SecretKeyMismatch:
            raise NotSetUp from None

    async def tax_rates(self, owner: Member) -> list[TaxRate]:
        """The register's own rates. Raises NotSetUp, FiscalUnavailable or FiscalRefused."""
        _require_owner(owner)
        return await self.registrar.tax_rates(await self.credentials(owner.shop_id))

    async def set_tax_rate(self, owner: Member, code: int | None) -> FiscalSettings:
        """None: no VAT. A code is taken only from the register's list as it is now (raises
        UnknownTaxRate otherwise, and what tax_rates raises)."""
        if code is None:
            return await self._update(owner, FiscalSettingsChanges(tax_code=None, tax_label=None))
        rate = next((r for r in await self.tax_rates(owner) if r.code == code), None)
        if rate is None:
            raise UnknownTaxRate(code)
        changes = FiscalSettingsChanges(tax_code=rate.code, tax_label=tax_rate_label(rate))
        return await self._update(owner, changes)

    async def set_payment_label(self, owner: Member, index: int) -> FiscalSettings:
        if not 0 <= index < len(PAYMENT_LABELS):
            raise ValueError("no such payment-form name")
        return await self._update(owner, FiscalSettingsChanges(payment_label=PAYMENT_LABELS[index]))

    async def set_mode(self, owner: Member, mode: FiscalMode) -> FiscalSettings:
        return await self._update(owner, FiscalSettingsChanges(mode=mode))

    async def set_enabled(self, owner: Member, enabled: bool) -> FiscalSettings:
        updated = await self._update(owner, FiscalSettingsChanges(enabled=enabled))
        await self._schedule_close(updated)
        return updated

    async def set_close_time(self, owner: Member, minutes: int) -> FiscalSettings:
        if not 0 <= minutes < MINUTES_A_DAY:
            raise ValueError("a time of day is 00:00 to 23:59")
        updated = await self._update(owner, FiscalSettingsChanges(close_shift_at=minutes))
        await self._schedule_close(updated)
        return updated

    async def forget_credentials(self, owner: Member) -> None:
        """Drop the license key, PIN and session; the other choices stay for next time."""
        _require_owner(owner)
        await self.fiscal.forget_credentials(owner.shop_id)
        log.info("Shop %s: fiscal registrar credentials forgotten", owner.shop_id)

    async def _schedule_close(self, settings: FiscalSettings) -> None:
        """The next shift close at the time now set (a job at an old time finds the time
        changed and does nothing); its dedupe key makes a repeat harmless."""
        if self.jobs is not None and policy.active(settings):
            now = self.clock()
            await self.jobs.enqueue([policy.close_shift_job(settings, now)], now)

    async def _update(self, owner: Member, changes: FiscalSettingsChanges) -> FiscalSettings:
        _require_owner(owner)
        updated = await self.fiscal.update(owner.shop_id, changes)
        if updated is None:
            raise NotSetUp
        return updated


def _require_owner(member: Member) -> None:
    if not member.is_owner:
        raise PermissionError("only an owner changes the fiscal settings")
