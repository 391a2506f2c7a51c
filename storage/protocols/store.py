from __future__ import annotations

from datetime import datetime
from typing import Protocol

from storage.models.store import StoreHealth
from storage.protocols.catalogue import CatalogueRepository
from storage.protocols.dialogs import DialogRepository
from storage.protocols.exclusive import ExclusiveHold
from storage.protocols.fiscal import FiscalSettingsRepository
from storage.protocols.jobs import JobQueue
from storage.protocols.lines import ReceiptLinesRepository
from storage.protocols.offline import OfflineRepository
from storage.protocols.receipt_queries import ReceiptQueries
from storage.protocols.receipts import ReceiptRepository
from storage.protocols.reconcile import ReconcileRepository
from storage.protocols.refunds import RefundRepository
from storage.protocols.replicas import ReplicaRegistry
from storage.protocols.reports import ReportRepository
from storage.protocols.settings import SettingsRepository
from storage.protocols.shops import ShopRepository
from storage.protocols.users import UserRepository


class Store(Protocol):
    """One open store: the repositories of one engine over one database."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def shops(self) -> ShopRepository: ...

    @property
    def settings(self) -> SettingsRepository: ...

    @property
    def receipts(self) -> ReceiptRepository: ...

    @property
    def receipt_queries(self) -> ReceiptQueries: ...

    @property
    def receipt_lines(self) -> ReceiptLinesRepository: ...

    @property
    def jobs(self) -> JobQueue: ...

    @property
    def fiscal(self) -> FiscalSettingsRepository: ...

    @property
    def reports(self) -> ReportRepository: ...

    @property
    def dialogs(self) -> DialogRepository: ...

    @property
    def refunds(self) -> RefundRepository: ...

    @property
    def replicas(self) -> ReplicaRegistry: ...

    @property
    def catalogue(self) -> CatalogueRepository: ...

    @property
    def reconcile(self) -> ReconcileRepository: ...

    @property
    def offline(self) -> OfflineRepository: ...

    async def health(self, now: datetime | None = None) -> StoreHealth:
        """Engine name, schema version and how many pending jobs are due at `now` (not
        leased; the backlog — jobs scheduled for later would tell the shops' volume), or all
        pending jobs when `now` is None; raises when the database does not answer."""
        ...

    async def hold_exclusive(self, name: str) -> ExclusiveHold | None:
        """Take the hold `name` on this database (e.g. "polling": one process may poll
        Telegram), or None at once while anyone else holds it: another process, or another
        store opened on the same database. The engine's own primitive keeps it, so a process
        that dies (even by SIGKILL) leaves nothing behind; close() releases the store's holds."""
        ...

    async def close(self) -> None:
        """Wait for operations in flight, then close; the store is unusable afterwards."""
        ...
