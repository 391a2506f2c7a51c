"""The cashier's signing key (its certificate) runs out: the registrar tells its end in the
cashier's profile, read after each sign-in and at most once a day otherwise; the owners are
warned 14, 3 and 1 days before, each once per shop and certificate end (a new end starts
the warnings again). Only the nearest threshold reached is said: a key first seen 2 days
before its end gets the 3-day warning, not the 14-day one too. After the end, a sale the
registrar refuses for it keeps KEY_EXPIRED (and the end) as its fiscal error."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from services.core.clock import Clock
from services.fiscal.registrar import FiscalCredentials, FiscalError, FiscalRegistrar
from services.notifications.jobs import NotificationKind, OutboxSignal, notify_job
from storage.models.fiscal import FiscalSettings
from storage.models.jobs import NewJob
from storage.models.shops import Role
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.jobs import JobQueue
from storage.protocols.shops import ShopRepository

log = logging.getLogger(__name__)

WARN_DAYS = (14, 3, 1)
READ_EVERY = timedelta(days=1)
READ_RETRY = timedelta(hours=1)  # after a read that got no answer
# A receipt's fiscal_error when the registrar refused it for the expired key:
# "key_expired" or "key_expired:<ISO end>".
KEY_EXPIRED = "key_expired"


def due_threshold(end: datetime, now: datetime) -> int | None:
    """The nearest warning threshold (in days) the key is within; None when it is further
    off than all of them, or already expired."""
    left = end - now
    if left <= timedelta(0):
        return None
    for days in sorted(WARN_DAYS):
        if left <= timedelta(days=days):
            return days
    return None


def days_left(end: datetime, now: datetime) -> int:
    """Whole days left, counted up (2 days and 5 hours: 3)."""
    return max(1, math.ceil((end - now) / timedelta(days=1)))


def warning_key(shop_id: int, days: int, end: datetime, owner: int) -> str:
    return f"fiscal.key_expiring:{shop_id}:{days}:{int(end.timestamp())}:{owner}"


def expired_note(end: datetime | None) -> str:
    """What a receipt refused for the expired key keeps as its fiscal error."""
    return KEY_EXPIRED if end is None else f"{KEY_EXPIRED}:{end.isoformat()}"


def expired_end(fiscal_error: str | None) -> tuple[bool, datetime | None]:
    """Whether a kept fiscal error is the expired key, and its end when known."""
    text = fiscal_error or ""
    if text != KEY_EXPIRED and not text.startswith(KEY_EXPIRED + ":"):
        return False, None
    try:
        return True, datetime.fromisoformat(text.removeprefix(KEY_EXPIRED + ":"))
    except ValueError:
        return True, None


class KeyExpiry:
    def __init__(
        self,
        fiscal: FiscalSettingsRepository,
        jobs: JobQueue,
        shops: ShopRepository,
        registrar: FiscalRegistrar,
        outbox: OutboxSignal,
        clock: Clock,
    ) -> None:
        self.fiscal = fiscal
        self.jobs = jobs
        self.shops = shops
        self.registrar = registrar
        self.outbox = outbox
        self.clock = clock

    async def read(self, settings: FiscalSettings, creds: FiscalCredentials) -> datetime | None:
        """Ask the registrar for the key's end, keep it, and warn when one is due; the end.
        A registrar that does not answer or does not say changes nothing and fails nothing."""
        try:
            profile = await self.registrar.me(creds)
        except FiscalError as exc:
            log.info("Shop %s: the cashier's profile was not read (%s)", settings.shop_id, exc)
            # the end known so far stays; the daily look asks again in READ_RETRY, so a
            # registrar that is down does not hold up every scheduling round
            checked = self.clock() - READ_EVERY + READ_RETRY
            await self.fiscal.save_certificate(settings.shop_id, settings.certificate_end, checked)
            return None
        end = profile.certificate_end
        await self.fiscal.save_certificate(settings.shop_id, end, self.clock())
        await self.warn(settings.shop_id, end)
        return end

    def stale(self, settings: FiscalSettings) -> bool:
        checked = settings.certificate_checked_at
        return checked is None or self.clock() - checked >= READ_EVERY

    async def warn(self, shop_id: int, end: datetime | None) -> int:
        """Enqueue the due warning to each owner (once, by its dedupe key)."""
        now = self.clock()
        days = None if end is None else due_threshold(end, now)
        if end is None or days is None:
            return 0
        owners = await self.shops.member_ids(shop_id, Role.OWNER)
        notices: list[NewJob] = [
            notify_job(
                owner,
                NotificationKind.FISCAL_KEY_EXPIRING,
                dedupe_key=warning_key(shop_id, days, end, owner),
                days=days_left(end, now),
                end=end.isoformat(),
            )
            for owner in owners
        ]
        added = await self.jobs.enqueue(notices, now) if notices else 0
        if added:
            log.warning("Shop %s: the cashier's key expires within %s days", shop_id, days)
            self.outbox.notify()
        return added
