"""The reconciliation's object graph, built the same way by the app and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from services.fiscal.wiring import Fiscal
from services.notifications.jobs import OutboxSignal
from services.receipts.state import ReceiptService
from services.reconcile.daily import DailyReconcile
from services.reconcile.fiscal import FiscalCheck
from services.reconcile.service import Reconciliation
from services.reconcile.zreport import RegisterListing, ZReportCheck
from storage.protocols.store import Store


@dataclass(frozen=True)
class Reconcile:
    reconciliation: Reconciliation  # /reconcile, the digest's line
    daily: DailyReconcile  # the daily jobs


def build_reconcile(
    store: Store,
    receipts: ReceiptService,
    fiscal: Fiscal,
    listing: RegisterListing,
    outbox: OutboxSignal,
) -> Reconcile:
    check = FiscalCheck(fiscal.access, listing)
    zreport = ZReportCheck(fiscal.access, listing, store.reconcile)
    reconciliation = Reconciliation(
        receipts, store.reconcile, check, receipts.clock, zreport=zreport
    )
    daily = DailyReconcile(reconciliation, store.jobs, store.shops, fiscal.access, outbox)
    return Reconcile(reconciliation, daily)
