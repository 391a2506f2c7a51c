"""The PostgreSQL engine of the store (chosen by DATABASE_URL: several replicas, one database)."""

from storage.postgres.engine import DatabaseUnavailable
from storage.postgres.store import PostgresStore, open_postgres_store

__all__ = ["DatabaseUnavailable", "PostgresStore", "open_postgres_store"]
