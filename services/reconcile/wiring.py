"""The reconciliation's object graph, built the same way by the app and the tests."""

from __future__ import annotations

from dataclasses import dataclass

from services.fiscal.wiring import Fiscal
from services.notifications.jobs import OutboxSignal
from services.receipts.state import ReceiptService
from services.reconcile.daily import DailyReconcile
from services.reconcile.fiscal import FiscalCheck, ReceiptListing
from services.reconcile.service import Reconciliation
from storage.protocols.store import Store


@dataclass(frozen=True)
class Reconcile:
    reconciliation: Reconciliation  # /reconcile, the digest's line
    daily: DailyReconcile  # the daily jobs


def build_reconcile(
    store: Store,
    receipts: ReceiptService,
    fiscal: Fiscal,
    listing: ReceiptListing,
    outbox: OutboxSignal,
) -> Reconcile:
    check = FiscalCheck(fiscal.access, listing)
    reconciliation = Reconciliation(receipts, store.reconcile, check, receipts.clock)
    daily = DailyReconcile(reconciliation, store.jobs, store.shops, fiscal.access, outbox)
    return Reconcile(reconciliation, daily)
