"""The SQLite store: the engine, the versioned schema and one repository per aggregate."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

from storage.models.store import StoreHealth
from storage.sqlite.catalogue import SqliteCatalogue
from storage.sqlite.dialogs import SqliteDialogs
from storage.sqlite.engine import MEMORY, SqliteEngine
from storage.sqlite.exclusive import FileHold, MemoryHold, try_hold
from storage.sqlite.fiscal import SqliteFiscal
from storage.sqlite.jobs import SqliteJobs
from storage.sqlite.lines import SqliteReceiptLines
from storage.sqlite.migrations import MIGRATIONS
from storage.sqlite.offline import SqliteOffline
from storage.sqlite.receipt_queries import SqliteReceiptQueries
from storage.sqlite.receipts import SqliteReceipts
from storage.sqlite.reconcile import SqliteReconcile
from storage.sqlite.refunds import SqliteRefunds
from storage.sqlite.replicas import SqliteReplicas
from storage.sqlite.reports import SqliteReports
from storage.sqlite.settings import SqliteSettings
from storage.sqlite.shops import SqliteShops
from storage.sqlite.transitions import SETUP as TRANSITIONS_SETUP
from storage.sqlite.tx import Tx, split_sql
from storage.sqlite.users import SqliteUsers

ENGINE = "sqlite"


class SqliteStore:
    """Implements storage.protocols.store.Store."""

    def __init__(self, engine: SqliteEngine, path: Path | str = MEMORY) -> None:
        self.engine = engine
        self._path = path
        self._holds: list[FileHold | MemoryHold] = []
        self._memory_holds: set[str] = set()
        self._users = SqliteUsers(engine)
        self._shops = SqliteShops(engine)
        self._settings = SqliteSettings(engine)
        self._receipts = SqliteReceipts(engine)
        self._receipt_queries = SqliteReceiptQueries(engine)
        self._receipt_lines = SqliteReceiptLines(engine)
        self._jobs = SqliteJobs(engine)
        self._dialogs = SqliteDialogs(engine)
        self._fiscal = SqliteFiscal(engine)
        self._refunds = SqliteRefunds(engine)
        self._replicas = SqliteReplicas(engine)
        self._reports = SqliteReports(engine)
        self._catalogue = SqliteCatalogue(engine)
        self._reconcile = SqliteReconcile(engine)
        self._offline = SqliteOffline(engine)

    @classmethod
    async def open(cls, path: Path | str) -> SqliteStore:
        engine = await SqliteEngine.open(path)
        store = cls(engine, path)
        try:
            await store.migrate()
            await engine.setup(TRANSITIONS_SETUP)
        except BaseException:
            with contextlib.suppress(Exception):
                await engine.close()
            raise
        return store

    @property
    def users(self) -> SqliteUsers:
        return self._users

    @property
    def shops(self) -> SqliteShops:
        return self._shops

    @property
    def settings(self) -> SqliteSettings:
        return self._settings

    @property
    def receipts(self) -> SqliteReceipts:
        return self._receipts

    @property
    def receipt_queries(self) -> SqliteReceiptQueries:
        return self._receipt_queries

    @property
    def receipt_lines(self) -> SqliteReceiptLines:
        return self._receipt_lines

    @property
    def jobs(self) -> SqliteJobs:
        return self._jobs

    @property
    def dialogs(self) -> SqliteDialogs:
        return self._dialogs

    @property
    def fiscal(self) -> SqliteFiscal:
        return self._fiscal

    @property
    def refunds(self) -> SqliteRefunds:
        return self._refunds

    @property
    def replicas(self) -> SqliteReplicas:
        return self._replicas

    @property
    def reports(self) -> SqliteReports:
        return self._reports

    @property
    def catalogue(self) -> SqliteCatalogue:
        return self._catalogue

    @property
    def reconcile(self) -> SqliteReconcile:
        return self._reconcile

    @property
    def offline(self) -> SqliteOffline:
        return self._offline

    async def hold_exclusive(self, name: str) -> FileHold | MemoryHold | None:
        hold: FileHold | MemoryHold | None
        if str(self._path) == MEMORY:
            hold = None if name in self._memory_holds else MemoryHold(self._memory_holds, name)
        else:
            hold = try_hold(Path(self._path), name)
        if hold is not None:
            self._holds.append(hold)
        return hold

    async def close(self) -> None:
        for hold in self._holds:
            await hold.release()
        await self.engine.close()

    async def schema_version(self) -> int:
        async def op(tx: Tx) -> int:
            await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = await tx.one("SELECT MAX(version) FROM schema_version")
            return int(row[0]) if row and row[0] is not None else 0

        return await self.engine.write(op)

    async def migrate(self) -> None:
        """Apply the steps of MIGRATIONS not applied yet, each in its own transaction."""
        current = await self.schema_version()
        for version, script in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue

            async def op(tx: Tx, script: str = script, version: int = version) -> None:
                for statement in split_sql(script):
                    await tx.execute(statement)
                await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

            await self.engine.write(op)

    async def health(self, now: datetime | None = None) -> StoreHealth:
        version = await self.engine.one("SELECT MAX(version) FROM schema_version")
        return StoreHealth(
            engine=ENGINE,
            schema_version=int(version[0]) if version and version[0] is not None else 0,
            jobs_pending=await self._jobs.pending_count(due_at=now),
        )
