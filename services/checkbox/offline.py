"""Checkbox's offline mode (docs/checkbox-offline.md): offline codes asked while online,
going offline at a past moment, sales dated at their payment, going online again."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from services.checkbox import wire
from services.checkbox.transport import CheckboxTransport
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalRefused,
    FiscalResult,
    FiscalUnavailable,
    OfflineTime,
    RefusalReason,
)

log = logging.getLogger(__name__)

BASE = "/api/v1/cash-registers"


def sell_offline_body(
    body: dict[str, Any], fiscal_code: str, fiscal_date: datetime
) -> dict[str, Any]:
    """A sell (or return) body made offline, dated `fiscal_date`."""
    body = dict(body)
    body["fiscal_code"] = fiscal_code
    body["fiscal_date"] = fiscal_date.isoformat()
    return body


def parse_codes(answer: Any) -> list[str]:
    if not isinstance(answer, list):
        raise FiscalUnavailable("offline codes answer is not a list")
    codes = [item.get("fiscal_code") for item in answer if isinstance(item, dict)]
    return [c for c in codes if isinstance(c, str) and c]


def _seconds(value: Any) -> timedelta:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return timedelta(seconds=float(value))
    return timedelta(0)


def parse_offline_time(answer: Any) -> OfflineTime:
    status = answer.get("status") if isinstance(answer, dict) else None
    if not isinstance(status, dict):
        raise FiscalUnavailable("offline time answer without status")
    return OfflineTime(_seconds(status.get("current")), _seconds(status.get("total")))


class CheckboxOffline:
    def __init__(self, http: CheckboxTransport) -> None:
        self._http = http

    async def ask_codes(self, creds: FiscalCredentials, count: int) -> None:
        """Ask the tax service for offline codes (online only); they come by codes()."""
        answer = await self._http.authed("GET", f"{BASE}/ask-offline-codes?count={count}", creds)
        if isinstance(answer, dict) and answer.get("status") in ("ERROR", "TIMEOUT"):
            message = str(answer.get("error") or answer.get("status"))
            raise FiscalRefused(RefusalReason.OTHER, message)

    async def codes(self, creds: FiscalCredentials, count: int) -> list[str]:
        answer = await self._http.authed("GET", f"{BASE}/get-offline-codes?count={count}", creds)
        return parse_codes(answer)

    async def go_offline(self, creds: FiscalCredentials, at: datetime, fiscal_code: str) -> None:
        body = {"go_offline_date": at.isoformat(), "fiscal_code": fiscal_code}
        await self._http.authed("POST", f"{BASE}/go-offline", creds, body)

    async def go_online(self, creds: FiscalCredentials) -> None:
        await self._http.authed("POST", f"{BASE}/go-online", creds)

    async def time(self, creds: FiscalCredentials) -> OfflineTime:
        return parse_offline_time(await self._http.authed("GET", f"{BASE}/get-offline-time", creds))

    async def sell(
        self, creds: FiscalCredentials, body: dict[str, Any], fiscal_code: str, at: datetime
    ) -> FiscalResult:
        """`body`: wire.sell_body() or wire.return_body(), sent dated `at`."""
        receipt_id = str(body["id"])
        body = sell_offline_body(body, fiscal_code, at)
        answer = await self._http.authed("POST", "/api/v1/receipts/sell-offline", creds, body)
        url = f"{self._http.base}/api/v1/receipts/{receipt_id}/html"
        result = wire.parse_receipt(answer, url)
        if result.receipt_id != receipt_id:
            raise FiscalUnavailable("Checkbox answered with another receipt")
        return result
