"""The cashier's Checkbox shift: opened on demand, never used past its age, closed when
asked; one shift operation at a time per cashier key."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from services.checkbox import wire
from services.checkbox.polling import Polling
from services.checkbox.transport import CheckboxTransport, credentials_key, keyed_lock
from services.core.clock import Clock
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalRefused,
    FiscalUnavailable,
    RefusalReason,
    ShiftInfo,
    ShiftStatus,
)

log = logging.getLogger(__name__)

# Checkbox allows 24 h; the margin keeps a sale from landing in a shift that runs out.
MAX_SHIFT_AGE = timedelta(hours=23, minutes=30)
SHIFTS_PAGE = 50  # the most GET /api/v1/cash-registers/shifts gives at once
MAX_SHIFTS = 500
# Which moment the listing's from_date/to_date filter is not documented (opened, closed or
# created): asked from a day before, so a shift closed in the range is listed whichever.
SHIFT_SPAN = timedelta(hours=24)


class CheckboxShifts:
    def __init__(
        self,
        http: CheckboxTransport,
        polling: Polling,
        clock: Clock,
        *,
        wait: float,
        max_age: timedelta = MAX_SHIFT_AGE,
    ) -> None:
        self._http = http
        self._polling = polling
        self._clock = clock
        self._wait = wait
        self._max_age = max_age
        self._shifts: dict[str, ShiftInfo] = {}
        # When this process opened a shift whose answers carry no opening time.
        self._opened_here: dict[str, datetime] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def current(self, creds: FiscalCredentials) -> ShiftInfo | None:
        answer = await self._http.authed("GET", "/api/v1/cashier/shift", creds)
        return None if answer is None else wire.parse_shift(answer)

    async def closed_between(
        self, creds: FiscalCredentials, since: datetime, until: datetime
    ) -> list[ShiftInfo]:
        """The register's shifts closed in [since, until) (any cashier's: the X-License-Key
        names the register), page by page, oldest first."""
        shifts: list[ShiftInfo] = []
        offset = 0
        while True:
            query = urlencode(
                {
                    "statuses": "CLOSED",
                    "from_date": (since - SHIFT_SPAN).astimezone(UTC).isoformat(),
                    "to_date": until.astimezone(UTC).isoformat(),
                    "limit": SHIFTS_PAGE,
                    "offset": offset,
                }
            )
            path = f"/api/v1/cash-registers/shifts?{query}"
            page, count = wire.parse_shift_page(await self._http.authed("GET", path, creds))
            shifts.extend(page)
            offset += count
            if count < SHIFTS_PAGE or offset >= MAX_SHIFTS:
                break
        closed = [
            s for s in shifts
            if s.status is ShiftStatus.CLOSED and s.closed_at is not None
            and since <= s.closed_at < until
        ]  # fmt: skip
        return sorted(closed, key=lambda s: (s.closed_at or since, s.serial or 0))

    def forget(self, creds: FiscalCredentials) -> None:
        """Checkbox says no shift is open: the one kept here is not to be trusted."""
        self._shifts.pop(credentials_key(creds), None)

    async def open(self, creds: FiscalCredentials) -> ShiftInfo:
        key = credentials_key(creds)
        async with keyed_lock(self._locks, key):
            cached = self._shifts.get(key)
            if cached is not None and not self._stale(cached):
                return cached
            shift = await self.current(creds)
            if shift is not None and shift.status is ShiftStatus.OPENING:
                shift = await self._wait_shift(creds, shift, until=ShiftStatus.OPENED)
            if shift is not None and shift.status is ShiftStatus.OPENED and self._stale(shift):
                log.info("Checkbox shift %s is older than %s: closing it", shift.id, self._max_age)
                shift = await self._close(creds, shift)
            if shift is not None and shift.status is ShiftStatus.CLOSING:
                shift = await self._wait_shift(creds, shift, until=ShiftStatus.CLOSED)
            if shift is None or shift.status is not ShiftStatus.OPENED:
                shift = await self._open(creds)
            self._shifts[key] = shift
            return shift

    async def close(self, creds: FiscalCredentials) -> ShiftInfo | None:
        key = credentials_key(creds)
        async with keyed_lock(self._locks, key):
            self._shifts.pop(key, None)
            shift = await self.current(creds)
            if shift is None or shift.status is ShiftStatus.CLOSED:
                return None
            try:
                return await self._close(creds, shift)
            except FiscalRefused as exc:
                if exc.reason is RefusalReason.SHIFT_NOT_OPENED:
                    return None
                raise

    async def _get(self, creds: FiscalCredentials, shift_id: str) -> ShiftInfo:
        return wire.parse_shift(await self._http.authed("GET", f"/api/v1/shifts/{shift_id}", creds))

    async def _wait_shift(
        self, creds: FiscalCredentials, shift: ShiftInfo, *, until: ShiftStatus
    ) -> ShiftInfo:
        if shift.status in (until, ShiftStatus.CLOSED):
            return shift
        final = await self._polling.until(
            lambda: self._get(creds, shift.id),
            lambda s: s.status in (until, ShiftStatus.CLOSED),
            self._wait,
        )
        if final.status not in (until, ShiftStatus.CLOSED):
            raise FiscalUnavailable(f"shift still {final.status} after {self._wait} s")
        return final

    def _stale(self, shift: ShiftInfo) -> bool:
        """Too old to sell in. A shift of unknown age counts as too old (a day's shift must
        not outlive its day), unless this process opened it and knows since when."""
        opened_at = shift.opened_at or self._opened_here.get(shift.id)
        return opened_at is None or self._clock() - opened_at > self._max_age

    async def _open(self, creds: FiscalCredentials) -> ShiftInfo:
        asked_at: datetime | None = self._clock()
        try:
            shift = wire.parse_shift(await self._http.authed("POST", "/api/v1/shifts", creds))
        except FiscalRefused as exc:
            if exc.reason is not RefusalReason.SHIFT_ALREADY_OPENED:
                raise
            current = await self.current(creds)
            if current is None:
                raise
            shift = current
            asked_at = None  # opened elsewhere, at a time only its answer can tell
        log.info("Checkbox shift %s opening", shift.id)
        opened = await self._wait_shift(creds, shift, until=ShiftStatus.OPENED)
        if opened.status is not ShiftStatus.OPENED:
            message = opened.error_message or ""
            raise FiscalRefused(
                RefusalReason.SHIFT_FAILED, message, key_expired=wire.names_expired_key(message)
            )
        if opened.opened_at is None and asked_at is not None:
            self._opened_here[opened.id] = asked_at
        return opened

    async def _close(self, creds: FiscalCredentials, shift: ShiftInfo) -> ShiftInfo:
        answer = await self._http.authed("POST", "/api/v1/shifts/close", creds)
        closing = wire.parse_shift(answer) if isinstance(answer, dict) else shift
        closed = await self._wait_shift(creds, closing, until=ShiftStatus.CLOSED)
        log.info("Checkbox shift %s closed", closed.id)
        return closed
