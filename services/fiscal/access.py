"""What every fiscal job needs: a shop's registrar settings and credentials (decrypted for
the call only; the session token kept sealed in the store), the owners' notices, and what
becomes of a claimed job."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import SecretStr

from services.core.clock import Clock, utcnow
from services.core.crypto import SecretBox, SecretKeyMismatch
from services.fiscal import policy
from services.fiscal.goods import sale_goods
from services.fiscal.key_expiry import KeyExpiry, expired_note
from services.fiscal.offline_registrar import OfflineRegistrar
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalRefused,
    SaleGood,
)
from services.notifications.jobs import NotificationKind, OutboxSignal, notify_job, recipients
from storage.models.fiscal import FiscalSettings
from storage.models.jobs import NewJob
from storage.models.receipts import Receipt
from storage.models.shops import Role
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.jobs import JobQueue
from storage.protocols.lines import ReceiptLinesRepository
from storage.protocols.offline import OfflineRepository
from storage.protocols.receipt_queries import ReceiptQueries
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.settings import SettingsRepository
from storage.protocols.shops import ShopRepository

log = logging.getLogger(__name__)

RETRY_FIRST = timedelta(seconds=15)
RETRY_CAP = timedelta(minutes=15)  # an outage delays registration by at most this after it


@dataclass(frozen=True)
class Step:
    """What becomes of a claimed job: finished, or again at `retry_at`."""

    retry_at: datetime | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.retry_at is None


DONE = Step()


def backoff(attempts: int) -> timedelta:
    """Doubling from RETRY_FIRST, capped: the job's n-th run waits this long after it."""
    doublings = min(max(attempts - 1, 0), 10)
    delay: timedelta = RETRY_FIRST * (1 << doublings)
    return min(RETRY_CAP, delay)


class FiscalAccess:
    def __init__(
        self,
        receipts: ReceiptRepository,
        queries: ReceiptQueries,
        fiscal: FiscalSettingsRepository,
        jobs: JobQueue,
        shops: ShopRepository,
        registrar: OfflineRegistrar,
        box: SecretBox,
        outbox: OutboxSignal,
        wake: OutboxSignal | None = None,
        clock: Clock = utcnow,
        *,
        lines: ReceiptLinesRepository | None = None,
        shop_settings: SettingsRepository | None = None,
        offline: OfflineRepository,
    ) -> None:
        self.receipts = receipts
        self.lines = lines
        self.shop_settings = shop_settings
        self.queries = queries
        self.fiscal = fiscal
        self.jobs = jobs
        self.shops = shops
        self.registrar = registrar
        self.box = box
        self.outbox = outbox
        self.wake = wake or OutboxSignal()
        self.clock = clock
        self.offline = offline  # the registers' offline mode and codes
        self._kept_tokens: dict[int, str] = {}  # shop -> the token last stored for it
        self.key_expiry = KeyExpiry(fiscal, jobs, shops, registrar, outbox, clock)

    # what is sold

    async def goods_of(self, receipt: Receipt, settings: FiscalSettings) -> tuple[SaleGood, ...]:
        """The receipt's goods as the fiscal receipt prints them (services/fiscal/goods.py)."""
        stored = await self.lines.of_receipt(receipt.id) if self.lines is not None else []
        default_name = None
        if not stored and self.shop_settings is not None:
            default_name = (await self.shop_settings.get(receipt.shop_id)).default_goods_name
        lines = [line.line for line in stored]
        return sale_goods(lines, receipt.amount, settings.tax_code, default_name)

    async def returned_goods(
        self, refund_id: object, sold: int, amount: int
    ) -> list[tuple[int, int, int]]:
        """What the refund `refund_id` (a return job's) gives back, as (position, quantity,
        amount), when it is goods adding up to `amount` within the `sold` lines; [] for an
        amount (then the return is of the sale's goods for the amount)."""
        if not isinstance(refund_id, int) or self.lines is None:
            return []
        picks = [
            (line.position, line.quantity, line.amount)
            for line in await self.lines.returned_by(refund_id)
        ]
        fits = all(1 <= position <= sold for position, _, _ in picks)
        if not fits or sum(part for _, _, part in picks) != amount:
            return []
        return picks

    # credentials and the kept session token

    def credentials(self, settings: FiscalSettings) -> FiscalCredentials:
        """SecretKeyMismatch when they were sealed under another SECRET_KEY."""
        assert settings.license_key_enc is not None and settings.pin_enc is not None
        creds = FiscalCredentials(
            SecretStr(self.box.decrypt(settings.license_key_enc)),
            SecretStr(self.box.decrypt(settings.pin_enc)),
        )
        if settings.token_enc is not None and self.registrar.session_token(creds) is None:
            try:
                token = self.box.decrypt(settings.token_enc)
            except SecretKeyMismatch:
                return creds  # a new sign-in replaces it
            self.registrar.resume_session(creds, token)
            self._kept_tokens[settings.shop_id] = token
        return creds

    async def keep_token(self, settings: FiscalSettings, creds: FiscalCredentials) -> None:
        """Store the session token (sealed) when it is new, so restarts and replicas reuse
        it: a cashier holds at most 10, and each sign-in takes one."""
        if await self._store_token(settings, creds):  # a new token: a sign-in happened
            await self.key_expiry.read(settings, creds)

    async def _store_token(self, settings: FiscalSettings, creds: FiscalCredentials) -> bool:
        token = self.registrar.session_token(creds)
        if token is None or self._kept_tokens.get(settings.shop_id) == token:
            return False
        await self.fiscal.save_token(settings.shop_id, self.box.encrypt(token))
        self._kept_tokens[settings.shop_id] = token
        return True

    async def check_key_expiry(self, settings: FiscalSettings) -> None:
        """The daily look at the cashier's key: read again when a day old, else warn from
        what is kept."""
        if not self.key_expiry.stale(settings):
            await self.key_expiry.warn(settings.shop_id, settings.certificate_end)
            return
        try:
            creds = self.credentials(settings)
        except SecretKeyMismatch:
            return  # told by the jobs that need them
        await self.key_expiry.read(settings, creds)
        await self._store_token(settings, creds)  # read just now: not again

    async def refusal_note(
        self, exc: FiscalRefused, settings: FiscalSettings, creds: FiscalCredentials
    ) -> str:
        """What a refused receipt keeps as its fiscal error: for the expired key, the
        key's end (read now, as it may not be known yet)."""
        if not exc.key_expired:
            return exc.message or exc.reason.value
        end = await self.key_expiry.read(settings, creds)
        return expired_note(end or settings.certificate_end)

    async def active_settings(self, shop_id: int) -> FiscalSettings | None:
        settings = await self.fiscal.get(shop_id)
        return settings if policy.active(settings) else None

    async def owner_notices(self, receipt: Receipt, kind: str, key: str | None) -> list[NewJob]:
        """The owners told (each once under `key`), and the receipt's card redrawn."""
        owners = await self.shops.member_ids(receipt.shop_id, Role.OWNER)
        members = set(await self.shops.member_ids(receipt.shop_id))
        notices = []
        for job in recipients(receipt, kind, owners, members, owners_only=True):
            chat = int(job.payload["chat_id"])
            if job.payload["kind"] == kind and key is not None:
                job = notify_job(chat, kind, dedupe_key=f"{key}:{chat}")
            notices.append(job)
        return notices

    async def tell_unreadable(self, settings: FiscalSettings) -> None:
        sealed = settings.license_key_enc or b""
        mark = hashlib.sha256(sealed).hexdigest()[:16]
        owners = await self.shops.member_ids(settings.shop_id, Role.OWNER)
        kind = NotificationKind.FISCAL_UNREADABLE
        notices = [
            notify_job(owner, kind, dedupe_key=f"fiscal.unreadable:{mark}:{owner}")
            for owner in owners
        ]
        if await self.jobs.enqueue(notices, self.clock()):
            log.warning("Shop %s: the registrar credentials can't be read", settings.shop_id)
            self.outbox.notify()
