"""The PostgreSQL store: the engine, the versioned schema and one repository per aggregate."""

from __future__ import annotations

from datetime import datetime

from storage.models.store import StoreHealth
from storage.postgres.catalogue import PostgresCatalogue
from storage.postgres.dialogs import PostgresDialogs
from storage.postgres.engine import PostgresEngine
from storage.postgres.exclusive import AdvisoryHold, try_hold
from storage.postgres.fiscal import PostgresFiscal
from storage.postgres.jobs import PostgresJobs
from storage.postgres.lines import PostgresReceiptLines
from storage.postgres.migrations import migrate, schema_version
from storage.postgres.offline import PostgresOffline
from storage.postgres.receipt_queries import PostgresReceiptQueries
from storage.postgres.receipts import PostgresReceipts
from storage.postgres.reconcile import PostgresReconcile
from storage.postgres.refunds import PostgresRefunds
from storage.postgres.replicas import PostgresReplicas
from storage.postgres.reports import PostgresReports
from storage.postgres.settings import PostgresSettings
from storage.postgres.shops import PostgresShops
from storage.postgres.users import PostgresUsers

ENGINE = "postgresql"


class PostgresStore:
    """Implements storage.protocols.store.Store; any number of processes may share one database."""

    def __init__(self, engine: PostgresEngine) -> None:
        self.engine = engine
        self._users = PostgresUsers(engine)
        self._shops = PostgresShops(engine)
        self._settings = PostgresSettings(engine)
        self._receipts = PostgresReceipts(engine)
        self._receipt_queries = PostgresReceiptQueries(engine)
        self._receipt_lines = PostgresReceiptLines(engine)
        self._jobs = PostgresJobs(engine)
        self._dialogs = PostgresDialogs(engine)
        self._fiscal = PostgresFiscal(engine)
        self._refunds = PostgresRefunds(engine)
        self._replicas = PostgresReplicas(engine)
        self._reports = PostgresReports(engine)
        self._catalogue = PostgresCatalogue(engine)
        self._reconcile = PostgresReconcile(engine)
        self._offline = PostgresOffline(engine)
        self._holds: list[AdvisoryHold] = []

    @classmethod
    async def open(cls, url: str, *, min_size: int = 1, max_size: int = 10) -> PostgresStore:
        """Connect (DatabaseUnavailable, naming host and database only, when that fails)
        and bring the schema up to date."""
        engine = await PostgresEngine.open(url, min_size=min_size, max_size=max_size)
        try:
            await migrate(engine)
        except BaseException:
            await engine.close()
            raise
        return cls(engine)

    @property
    def users(self) -> PostgresUsers:
        return self._users

    @property
    def shops(self) -> PostgresShops:
        return self._shops

    @property
    def settings(self) -> PostgresSettings:
        return self._settings

    @property
    def receipts(self) -> PostgresReceipts:
        return self._receipts

    @property
    def receipt_queries(self) -> PostgresReceiptQueries:
        return self._receipt_queries

    @property
    def receipt_lines(self) -> PostgresReceiptLines:
        return self._receipt_lines

    @property
    def jobs(self) -> PostgresJobs:
        return self._jobs

    @property
    def dialogs(self) -> PostgresDialogs:
        return self._dialogs

    @property
    def fiscal(self) -> PostgresFiscal:
        return self._fiscal

    @property
    def refunds(self) -> PostgresRefunds:
        return self._refunds

    @property
    def replicas(self) -> PostgresReplicas:
        return self._replicas

    @property
    def reports(self) -> PostgresReports:
        return self._reports

    @property
    def catalogue(self) -> PostgresCatalogue:
        return self._catalogue

    @property
    def reconcile(self) -> PostgresReconcile:
        return self._reconcile

    @property
    def offline(self) -> PostgresOffline:
        return self._offline

    async def hold_exclusive(self, name: str) -> AdvisoryHold | None:
        hold = await try_hold(await self.engine.dedicated_connection(), name)
        if hold is not None:
            self._holds = [h for h in self._holds if h.held]  # (liveness checks let go)
            self._holds.append(hold)
        return hold

    async def close(self) -> None:
        for hold in self._holds:
            await hold.release()
        await self.engine.close()

    async def schema_version(self) -> int:
        return await schema_version(self.engine)

    async def health(self, now: datetime | None = None) -> StoreHealth:
        return StoreHealth(
            engine=ENGINE,
            schema_version=await schema_version(self.engine),
            jobs_pending=await self._jobs.pending_count(due_at=now),
        )


async def open_postgres_store(url: str) -> PostgresStore:
    return await PostgresStore.open(url)
