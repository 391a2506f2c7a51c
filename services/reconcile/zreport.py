"""The Z reports of a day's reconciliation: each shift closed on the register that Kyiv day
(Checkbox: GET /api/v1/cash-registers/shifts, its `balance`), its card sales and card
returns against the bot's in that shift's own time, from its opening to its closing:

- sales: the bot's receipts registered (fiscal_date) in the shift, from the bot's store;
- returns: the registrar's return receipts of the shift (GET /api/v1/receipts/search over
  the shift's time) that return one of the bot's sales (`related_receipt_id`): the bot keeps
  no return receipt of its own, only the refund and its job.

A difference is reported, never fixed: a sale rung up at a till, a return made by hand, a
receipt the bot registered that the registrar put elsewhere. Checkbox not answering: the Z
report was not checked (said, nothing else changes)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from services.core.crypto import SecretKeyMismatch
from services.fiscal.access import FiscalAccess
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalError,
    FiscalStatus,
    ShiftInfo,
    receipt_uuid,
)
from services.reconcile.fiscal import ReceiptListing
from services.reconcile.model import Result, Side, ZTotals
from storage.models.fiscal import FiscalState
from storage.protocols.reconcile import ReconcileRepository

log = logging.getLogger(__name__)

EDGE = timedelta(seconds=1)  # the closing moment itself belongs to the shift


class RegisterListing(ReceiptListing, Protocol):
    """What the registrar lists (services/checkbox/client.py's CheckboxClient)."""

    async def closed_shifts(
        self, creds: FiscalCredentials, since: datetime, until: datetime
    ) -> list[ShiftInfo]: ...


class ZReportCheck:
    def __init__(
        self, access: FiscalAccess, listing: RegisterListing, store: ReconcileRepository
    ) -> None:
        self.access = access
        self.listing = listing
        self.store = store

    async def check(self, shop_id: int, start: datetime, end: datetime, result: Result) -> None:
        """After the registrar's side (FiscalCheck): read only when that side was read."""
        if result.fiscal is not Side.OK:
            result.zreport = Side.UNAVAILABLE if result.fiscal is Side.UNAVAILABLE else Side.OFF
            return
        settings = await self.access.active_settings(shop_id)
        if settings is None:
            result.zreport = Side.OFF
            return
        try:
            creds = self.access.credentials(settings)
        except SecretKeyMismatch:
            result.zreport = Side.NO_KEYS
            return
        try:
            shifts = await self.listing.closed_shifts(creds, start, end)
            totals = [await self._shift(shop_id, creds, shift) for shift in shifts]
        except FiscalError as exc:
            log.warning("Shop %s: the Z reports not read: %s", shop_id, exc)
            result.zreport = Side.UNAVAILABLE
            return
        finally:
            await self.access.keep_token(settings, creds)
        result.zreport = Side.OK
        result.shifts = totals

    async def _shift(self, shop_id: int, creds: FiscalCredentials, shift: ShiftInfo) -> ZTotals:
        assert shift.closed_at is not None  # closed_shifts lists closed ones only
        until = shift.closed_at + EDGE
        since = shift.opened_at or shift.closed_at - timedelta(hours=24)
        ours = await self.store.day_receipts(shop_id, since, until)
        sales = sum(
            r.amount
            for r in ours
            if r.fiscal_state is FiscalState.REGISTERED
            and r.fiscal_date is not None
            and since <= r.fiscal_date < until
        )
        returns = 0
        listed = await self.listing.receipts_between(creds, since, until)
        if any(r.is_return for r in listed):
            refunded = await self.store.refunded_sales(shop_id)
            sold = {receipt_uuid(r.order_id, r.fiscal_attempt) for r in refunded}
            returns = sum(
                r.total
                for r in listed
                if r.is_return and r.status is FiscalStatus.DONE and r.related_receipt_id in sold
            )
        return ZTotals(
            serial=shift.serial,
            card_sales=shift.card_sales or 0,
            card_returns=shift.card_returns or 0,
            bot_sales=sales,
            bot_returns=returns,
        )
