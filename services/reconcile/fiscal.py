"""The registrar's side of a day's reconciliation: the bot's paid receipts against the
fiscal receipts the registrar lists for the day (Checkbox: GET /api/v1/receipts/search)."""

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
    ListedReceipt,
    receipt_uuid,
)
from services.reconcile.model import Entry, ProblemKind, Result, Side
from storage.models.fiscal import FiscalState
from storage.models.receipts import Receipt

log = logging.getLogger(__name__)

# A paid receipt gets this long to be registered before it is reported as not registered
# (the fiscal job retries by itself for at most 15 minutes between tries).
GRACE = timedelta(minutes=30)


class ReceiptListing(Protocol):
    """What the registrar lists (services/checkbox/client.py's CheckboxClient)."""

    async def receipts_between(
        self, creds: FiscalCredentials, since: datetime, until: datetime
    ) -> list[ListedReceipt]: ...


class FiscalCheck:
    def __init__(self, access: FiscalAccess, listing: ReceiptListing) -> None:
        self.access = access
        self.listing = listing

    async def check(
        self,
        shop_id: int,
        start: datetime,
        end: datetime,
        day_receipts: list[Receipt],
        agreed: dict[int, Receipt],
        fixed: set[int],
        result: Result,
    ) -> None:
        settings = await self.access.active_settings(shop_id)
        if settings is None:
            result.fiscal = Side.OFF
            return
        try:
            creds = self.access.credentials(settings)
        except SecretKeyMismatch:
            result.fiscal = Side.NO_KEYS
            return
        try:
            listed = await self.listing.receipts_between(creds, start, end)
        except FiscalError as exc:
            log.warning("Shop %s: the registrar's receipts not read: %s", shop_id, exc)
            result.fiscal = Side.UNAVAILABLE
            return
        finally:
            await self.access.keep_token(settings, creds)
        result.fiscal = Side.OK
        sales = {
            r.receipt_id: r for r in listed if not r.is_return and r.status is FiscalStatus.DONE
        }
        codes = {r.fiscal_code for r in sales.values() if r.fiscal_code}
        now = self.access.clock()
        ours: set[str] = set()
        for receipt in [*day_receipts, *agreed.values()]:
            ours.update(
                receipt_uuid(receipt.order_id, n) for n in range(1, receipt.fiscal_attempt + 1)
            )
            if receipt.fiscal_code:
                ours.add(receipt.fiscal_code)
        for receipt in agreed.values():
            self._one(receipt, sales, codes, start, end, now, receipt.id in fixed, result)
        for sale in sales.values():
            if sale.receipt_id not in ours and (sale.fiscal_code or "") not in ours:
                result.problems.append(
                    Entry(ProblemKind.NO_PAYMENT, sale.total, "UAH", code=sale.fiscal_code)
                )

    @staticmethod
    def _one(
        receipt: Receipt,
        sales: dict[str, ListedReceipt],
        codes: set[str],
        start: datetime,
        end: datetime,
        now: datetime,
        just_fixed: bool,
        result: Result,
    ) -> None:
        if receipt.fiscal_state is None:
            return  # not to be registered (another currency, fiscalisation was off)
        result.to_register += 1
        if receipt.fiscal_state is FiscalState.REGISTERED:
            listed = receipt_uuid(receipt.order_id, receipt.fiscal_attempt) in sales or (
                receipt.fiscal_code in codes
            )
            registered_that_day = (
                receipt.fiscal_date is not None and start <= receipt.fiscal_date < end
            )
            if listed or not registered_that_day:  # registered another day: that day's list
                result.registered += 1
                result.registered_sum += receipt.amount
            else:
                result.problems.append(
                    Entry(ProblemKind.REGISTRAR_MISSING, receipt.amount, receipt.currency,
                          number=receipt.number, code=receipt.fiscal_code)
                )  # fmt: skip
            return
        paid_at = receipt.paid_at or now
        if not just_fixed and paid_at + GRACE < now:
            result.problems.append(
                Entry(ProblemKind.NOT_REGISTERED, receipt.amount, receipt.currency,
                      number=receipt.number)
            )  # fmt: skip
