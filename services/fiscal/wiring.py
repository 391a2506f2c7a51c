"""The fiscal feature's object graph, built the same way by the app and the tests: one
FiscalAccess (settings, credentials, the kept token, the owners' notices) given to each
part that registers something."""

from __future__ import annotations

from dataclasses import dataclass

from services.core.clock import Clock, utcnow
from services.core.crypto import SecretBox
from services.fiscal.access import FiscalAccess
from services.fiscal.offline_registrar import OfflineRegistrar
from services.fiscal.returns import FiscalReturns
from services.fiscal.sales import FiscalSales
from services.fiscal.shifts import ShiftClosing
from services.notifications.jobs import OutboxSignal
from storage.protocols.store import Store


@dataclass(frozen=True)
class Fiscal:
    access: FiscalAccess
    sales: FiscalSales  # Register / Retry, the receipt's picture, /pending; the sale job
    shifts: ShiftClosing  # the shift close jobs
    returns: FiscalReturns  # the return receipt jobs


def build_fiscal(
    store: Store,
    registrar: OfflineRegistrar,
    box: SecretBox,
    outbox: OutboxSignal,
    wake: OutboxSignal,
    clock: Clock = utcnow,
) -> Fiscal:
    """`outbox` wakes the notices' sender, `wake` the fiscal worker."""
    access = FiscalAccess(
        store.receipts,
        store.receipt_queries,
        store.fiscal,
        store.jobs,
        store.shops,
        registrar,
        box,
        outbox,
        wake,
        clock,
        lines=store.receipt_lines,
        shop_settings=store.settings,
        offline=store.offline,
    )
    return Fiscal(access, FiscalSales(access), ShiftClosing(access), FiscalReturns(access))
