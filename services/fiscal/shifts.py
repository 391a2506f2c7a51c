"""Shifts close the same day: a `fiscal.close_shift` job per shop at its Kyiv time closes
the open shift (Z report), tells the owners the day's fiscal total and schedules the next."""

from __future__ import annotations

import logging
from datetime import timedelta

from services.core.crypto import SecretKeyMismatch
from services.fiscal import policy
from services.fiscal.access import DONE, FiscalAccess, Step, backoff
from services.fiscal.registrar import FiscalRefused, FiscalUnavailable, ShiftInfo
from services.notifications.jobs import NotificationKind, notify_job
from storage.models.fiscal import FiscalSettings
from storage.models.jobs import Job, NewJob
from storage.models.offline import RegisterMode
from storage.models.shops import Role

log = logging.getLogger(__name__)

OFFLINE_WAIT = timedelta(seconds=30)  # a late batch has the register offline: close after it


class ShiftClosing:
    """The `fiscal.close_shift` jobs: scheduled per shop, each closes the day's shift."""

    def __init__(self, access: FiscalAccess) -> None:
        self.access = access

    async def schedule_close_shifts(self) -> int:
        """Make sure every shop with a registrar has its next shift close scheduled."""
        now = self.access.clock()
        configured = await self.access.fiscal.configured()
        for settings in configured:
            try:
                await self.access.check_key_expiry(settings)
            except Exception:  # the shift closes are scheduled whatever befell this
                log.exception("Shop %s: the cashier's key was not checked", settings.shop_id)
        jobs = [policy.close_shift_job(s, now) for s in configured]
        return await self.access.jobs.enqueue(jobs, now) if jobs else 0

    async def run_close_shift(self, job: Job) -> Step:
        shop_id = int(job.payload["shop_id"])
        settings = await self.access.active_settings(shop_id)
        if settings is None or settings.close_shift_at != int(job.payload["minutes"]):
            return DONE  # switched off, or the time changed (that time has its own job)
        try:
            creds = self.access.credentials(settings)
        except SecretKeyMismatch:
            await self.access.tell_unreadable(settings)
            return DONE
        if (await self.access.offline.register(shop_id)).mode is RegisterMode.OFFLINE:
            return Step(self.access.clock() + OFFLINE_WAIT, "a late batch has the register")
        try:
            shift = await self.access.registrar.close_shift(creds)
        except FiscalUnavailable as exc:
            log.warning("Shop %s: shift not closed, the registrar is unavailable", shop_id)
            return Step(self.access.clock() + backoff(job.attempts), f"unavailable: {exc.reason}")
        except FiscalRefused as exc:
            log.warning("Shop %s: the registrar refused to close the shift: %s", shop_id, exc)
            if job.attempts < 5:
                return Step(self.access.clock() + backoff(job.attempts + 2), exc.reason.value)
            shift = None
        finally:
            await self.access.keep_token(settings, creds)
        now = self.access.clock()
        jobs = [policy.close_shift_job(settings, now + timedelta(minutes=1))]
        if shift is not None:  # the Z report: a document on the register, dated now
            await self.access.offline.note_document(shop_id, shift.closed_at or now, now)
            jobs += await self._closed_notices(settings, shift, job)
        await self.access.jobs.enqueue(jobs, now)
        self.access.outbox.notify()
        return DONE

    async def _closed_notices(
        self, settings: FiscalSettings, shift: ShiftInfo, job: Job
    ) -> list[NewJob]:
        now = self.access.clock()
        since = shift.opened_at or policy.kyiv_midnight(now)
        totals = await self.access.queries.fiscal_totals(
            settings.shop_id, since, (shift.closed_at or now) + timedelta(seconds=1)
        )
        log.info(
            "Shop %s: shift %s closed, %s receipts registered",
            settings.shop_id, shift.id, totals.count,
        )  # fmt: skip
        owners = await self.access.shops.member_ids(settings.shop_id, Role.OWNER)
        kind = NotificationKind.FISCAL_SHIFT_CLOSED
        return [
            notify_job(
                owner,
                kind,
                dedupe_key=f"fiscal.closed:{shift.id}:{owner}",
                count=totals.count,
                amount=totals.amount,
                day=job.payload.get("day"),
            )
            for owner in owners
        ]
