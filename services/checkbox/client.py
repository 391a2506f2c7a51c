"""The Checkbox PRRO (../shared/reference/checkbox.md) as a FiscalRegistrar, over one shared
aiohttp session: shifts opened on demand and never used past their age, sales registered
once under their receipt id, receipts polled to the tax service's answer.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp

from services.checkbox import wire
from services.checkbox.offline import CheckboxOffline
from services.checkbox.polling import Polling
from services.checkbox.shifts import MAX_SHIFT_AGE, CheckboxShifts
from services.checkbox.transport import CLIENT_NAME, CheckboxTransport
from services.core.clock import Clock, utcnow
from services.fiscal.registrar import (
    CashierProfile,
    FiscalCredentials,
    FiscalRefused,
    FiscalResult,
    FiscalUnavailable,
    ListedReceipt,
    OfflineTime,
    RefusalReason,
    RegisterGood,
    Sale,
    SaleReturn,
    ShiftInfo,
    TaxRate,
)

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.checkbox.ua"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GOODS_PAGE = 1000  # the most GET /api/v1/goods gives at once
RECEIPTS_PAGE = 100  # the most GET /api/v1/receipts/search gives at once
MAX_LISTED = 10_000  # far above a register's day
MAX_GOODS = 10_000  # what a shop's catalogue holds
# Refusals that say nothing about whether the receipt exists (anything else may be
# Checkbox's undocumented answer to an id it already has).
_NOT_ABOUT_THE_RECEIPT = frozenset(
    {
        RefusalReason.BAD_CREDENTIALS,
        RefusalReason.INVALID_TOKEN,
        RefusalReason.REGISTER_BUSY,
        RefusalReason.KEY_EXPIRED,
    }
)


class CheckboxClient:
    """One instance per process; credentials come per call."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: str = DEFAULT_API_URL,
        *,
        timeout: float = 15.0,
        receipt_wait: float = 30.0,
        shift_wait: float = 60.0,
        poll_delay: float = 0.5,
        poll_max_delay: float = 3.0,
        max_shift_age: timedelta = MAX_SHIFT_AGE,
        clock: Clock = utcnow,
        client_name: str = CLIENT_NAME,
        client_version: str | None = None,
    ) -> None:
        self._http = CheckboxTransport(
            session,
            api_url,
            timeout=timeout,
            client_name=client_name,
            client_version=client_version,
        )
        self._receipt_wait = receipt_wait
        self._polling = Polling(poll_delay, poll_max_delay)
        self._shifts = CheckboxShifts(
            self._http, self._polling, clock, wait=shift_wait, max_age=max_shift_age
        )
        self._offline = CheckboxOffline(self._http)

    async def check_credentials(self, creds: FiscalCredentials) -> None:
        await self._http.sign_in_now(creds)

    async def me(self, creds: FiscalCredentials) -> CashierProfile:
        return wire.parse_cashier(await self._http.authed("GET", "/api/v1/cashier/me", creds))

    def session_token(self, creds: FiscalCredentials) -> str | None:
        return self._http.token(creds)

    def resume_session(self, creds: FiscalCredentials, token: str) -> None:
        self._http.seed_token(creds, token)

    # shifts

    async def current_shift(self, creds: FiscalCredentials) -> ShiftInfo | None:
        return await self._shifts.current(creds)

    async def open_shift(self, creds: FiscalCredentials) -> ShiftInfo:
        return await self._shifts.open(creds)

    async def close_shift(self, creds: FiscalCredentials) -> ShiftInfo | None:
        return await self._shifts.close(creds)

    async def closed_shifts(
        self, creds: FiscalCredentials, since: datetime, until: datetime
    ) -> list[ShiftInfo]:
        """The register's shifts closed in [since, until), with their balances (Z reports)."""
        return await self._shifts.closed_between(creds, since, until)

    # receipts

    def receipt_url(self, receipt_id: str) -> str:
        return f"{self._http.base}/api/v1/receipts/{receipt_id}/html"

    async def find(self, creds: FiscalCredentials, receipt_id: str) -> FiscalResult | None:
        try:
            answer = await self._http.authed("GET", f"/api/v1/receipts/{receipt_id}", creds)
        except FiscalRefused as exc:
            if exc.reason is RefusalReason.NOT_FOUND:
                return None
            raise
        return wire.parse_receipt(answer, self.receipt_url(receipt_id))

    async def _get_receipt(self, creds: FiscalCredentials, receipt_id: str) -> FiscalResult:
        found = await self.find(creds, receipt_id)
        if found is None:
            raise FiscalRefused(RefusalReason.NOT_FOUND, "", 404)
        return found

    async def wait_result(self, creds: FiscalCredentials, receipt_id: str) -> FiscalResult:
        return await self._polling.until(
            lambda: self._get_receipt(creds, receipt_id),
            lambda r: r.finished,
            self._receipt_wait,
        )

    async def register_sale(self, creds: FiscalCredentials, sale: Sale) -> FiscalResult:
        return await self._register(creds, wire.sell_body(sale), sale.receipt_id)

    async def register_return(
        self, creds: FiscalCredentials, sale_return: SaleReturn
    ) -> FiscalResult:
        return await self._register(creds, wire.return_body(sale_return), sale_return.receipt_id)

    async def _register(
        self, creds: FiscalCredentials, body: dict[str, Any], receipt_id: str
    ) -> FiscalResult:
        for attempt in (1, 2):
            await self._shifts.open(creds)
            try:
                answer = await self._http.authed("POST", "/api/v1/receipts/sell", creds, body)
            except FiscalRefused as exc:
                if exc.reason is RefusalReason.SHIFT_NOT_OPENED and attempt == 1:
                    log.info("Checkbox says no shift is open: opening one and selling again")
                    self._shifts.forget(creds)
                    continue
                if exc.reason in _NOT_ABOUT_THE_RECEIPT:
                    raise
                existing = await self.find(creds, receipt_id)
                if existing is None:
                    raise
                log.info("Checkbox already has receipt %s: taking it", receipt_id)
                return await self._settle(creds, existing)
            except FiscalUnavailable:
                # The sale may have gone through; never send it again before asking.
                existing = await self.find(creds, receipt_id)
                if existing is None:
                    raise
                log.info("Receipt %s reached Checkbox despite the failed answer", receipt_id)
                return await self._settle(creds, existing)
            result = wire.parse_receipt(answer, self.receipt_url(receipt_id))
            if result.receipt_id != receipt_id:
                raise FiscalUnavailable("Checkbox answered with another receipt")
            return await self._settle(creds, result)
        raise AssertionError("unreachable")

    async def _settle(self, creds: FiscalCredentials, result: FiscalResult) -> FiscalResult:
        if result.finished:
            return result
        return await self.wait_result(creds, result.receipt_id)

    async def receipt_png(self, creds: FiscalCredentials, receipt_id: str) -> bytes:
        content = await self._http.request(
            "GET", f"/api/v1/receipts/{receipt_id}/png", creds, raw=True
        )
        if not isinstance(content, bytes) or not content.startswith(_PNG_MAGIC):
            raise FiscalUnavailable("receipt picture is not a PNG")
        return content

    async def email_receipt(
        self, creds: FiscalCredentials, receipt_id: str, emails: Sequence[str]
    ) -> None:
        answer = await self._http.authed(
            "POST", f"/api/v1/receipts/{receipt_id}/email", creds, list(emails)
        )
        if not (isinstance(answer, dict) and answer.get("ok") is True):
            raise FiscalRefused(RefusalReason.OTHER, wire.error_message(answer) or "")

    async def receipts_between(
        self, creds: FiscalCredentials, since: datetime, until: datetime
    ) -> list[ListedReceipt]:
        """The register's receipts made in [since, until], page by page (the cashier's
        X-License-Key names the register)."""
        listed: list[ListedReceipt] = []
        while True:
            query = urlencode(
                {
                    "from_date": since.astimezone(UTC).isoformat(),
                    "to_date": until.astimezone(UTC).isoformat(),
                    "limit": RECEIPTS_PAGE,
                    "offset": len(listed),
                }
            )
            answer = await self._http.authed("GET", f"/api/v1/receipts/search?{query}", creds)
            page, count = wire.parse_receipt_page(answer)
            listed.extend(page)
            if count < RECEIPTS_PAGE or len(listed) >= MAX_LISTED:
                return listed[:MAX_LISTED]

    # the register

    async def tax_rates(self, creds: FiscalCredentials) -> list[TaxRate]:
        return wire.parse_taxes(await self._http.authed("GET", "/api/v1/cashier/tax", creds))

    async def goods(self, creds: FiscalCredentials) -> list[RegisterGood]:
        """Every one of the register's goods, page by page."""
        goods: list[RegisterGood] = []
        offset = 0
        while True:
            path = f"/api/v1/goods?limit={GOODS_PAGE}&offset={offset}"
            page, count = wire.parse_goods(await self._http.authed("GET", path, creds))
            goods.extend(page)
            if count < GOODS_PAGE or len(goods) >= MAX_GOODS:
                return goods[:MAX_GOODS]
            offset += count

    # offline mode (docs/checkbox-offline.md)

    async def ask_offline_codes(self, creds: FiscalCredentials, count: int) -> list[str]:
        """Ask the tax service for offline codes (online only) and take what Checkbox holds."""
        await self._offline.ask_codes(creds, count)
        return await self._offline.codes(creds, count)

    async def go_offline(self, creds: FiscalCredentials, at: datetime, fiscal_code: str) -> None:
        await self._offline.go_offline(creds, at, fiscal_code)

    async def sell_offline(
        self, creds: FiscalCredentials, sale: Sale, fiscal_code: str, fiscal_date: datetime
    ) -> FiscalResult:
        """Dated at fiscal_date; the shift is opened first when none is."""
        await self._shifts.open(creds)
        return await self._offline.sell(creds, wire.sell_body(sale), fiscal_code, fiscal_date)

    async def sell_offline_return(
        self,
        creds: FiscalCredentials,
        sale_return: SaleReturn,
        fiscal_code: str,
        fiscal_date: datetime,
    ) -> FiscalResult:
        await self._shifts.open(creds)
        body = wire.return_body(sale_return)
        return await self._offline.sell(creds, body, fiscal_code, fiscal_date)

    async def go_online(self, creds: FiscalCredentials) -> None:
        """Send what was made offline; the register is online again (idempotent)."""
        await self._offline.go_online(creds)

    async def offline_time(self, creds: FiscalCredentials) -> OfflineTime:
        return await self._offline.time(creds)
