"""The two engines' migrations make the same schema, version by version: the same tables,
columns (name, nullability, whether it has a default, a class of type), primary keys,
unique constraints, foreign keys, indexes by name and triggers by name.

A migration added to one engine only fails here, naming the table and column that differ.
Types are compared by class, as SQLite sees them: INTEGER (PostgreSQL's integers and
booleans), TEXT (text and jsonb), REAL (PostgreSQL's timestamptz: SQLite keeps instants as
epoch seconds; and double precision), BLOB (bytea).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from storage.postgres.engine import PostgresEngine
from storage.postgres.migrations import MIGRATIONS as POSTGRES_MIGRATIONS
from storage.postgres.migrations import migrate
from storage.postgres.store import PostgresStore
from storage.sqlite.migrations import MIGRATIONS as SQLITE_MIGRATIONS
from storage.sqlite.store import SqliteStore

EXPRESSION = "(expression)"  # an index's part that is an expression, not a column
POSTGRES_TYPE_CLASS = {
    "smallint": "INTEGER",
    "integer": "INTEGER",
    "bigint": "INTEGER",
    "boolean": "INTEGER",
    "text": "TEXT",
    "character varying": "TEXT",
    "jsonb": "TEXT",
    "timestamp with time zone": "REAL",
    "double precision": "REAL",
    "bytea": "BLOB",
}


@dataclass(frozen=True)
class Column:
    type_class: str
    not_null: bool
    has_default: bool

    def __str__(self) -> str:
        null = "NOT NULL" if self.not_null else "NULL"
        default = ", with a default" if self.has_default else ""
        return f"{self.type_class} {null}{default}"


@dataclass(frozen=True)
class Index:
    columns: tuple[str, ...]
    unique: bool
    partial: bool

    def __str__(self) -> str:
        kind = "UNIQUE " if self.unique else ""
        where = " WHERE …" if self.partial else ""
        return f"{kind}({', '.join(self.columns)}){where}"


@dataclass
class Table:
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    unique: set[tuple[str, ...]] = field(default_factory=set)
    # (columns, referenced table, referenced columns, ON DELETE action)
    foreign_keys: set[tuple[tuple[str, ...], str, tuple[str, ...], str]] = field(
        default_factory=set
    )
    indexes: dict[str, Index] = field(default_factory=dict)
    triggers: set[str] = field(default_factory=set)


Schema = dict[str, Table]


def sqlite_schema(conn: sqlite3.Connection) -> Schema:
    schema: Schema = {}
    tables = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for (name,) in tables:
        table = schema[name] = Table()
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        for _, column, declared, not_null, default, pk in info:
            # a primary key column is never NULL (SQLite's table_info says 0 for some)
            table.columns[column] = Column(
                declared.upper(), bool(not_null or pk), default is not None
            )
        table.primary_key = tuple(
            r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5])
        )
        for _, index, unique, origin, partial in conn.execute(f"PRAGMA index_list({name})"):
            columns = tuple(  # an expression (no column) as "(expression)"
                r[2] or EXPRESSION
                for r in sorted(conn.execute(f"PRAGMA index_info({index})"), key=lambda r: r[0])
            )
            if origin == "u":
                table.unique.add(columns)
            elif origin == "c":
                table.indexes[index] = Index(columns, bool(unique), bool(partial))
        keys: dict[int, list[tuple[str, str, str, str]]] = {}
        for key_id, _, parent, source, target, _, on_delete, _ in conn.execute(
            f"PRAGMA foreign_key_list({name})"
        ):
            keys.setdefault(key_id, []).append((source, parent, target, on_delete))
        for parts in keys.values():
            table.foreign_keys.add(
                (
                    tuple(p[0] for p in parts),
                    parts[0][1],
                    tuple(p[2] for p in parts),
                    parts[0][3].upper(),
                )
            )
    for trigger, table_name in conn.execute(
        "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"
    ):
        schema[table_name].triggers.add(trigger)
    return schema


_PG_ON_DELETE = {
    "a": "NO ACTION",
    "r": "RESTRICT",
    "c": "CASCADE",
    "n": "SET NULL",
    "d": "SET DEFAULT",
}

_PG_COLUMNS = """
    SELECT table_name, column_name, data_type, is_nullable = 'NO' AS not_null,
           column_default IS NOT NULL AS has_default
    FROM information_schema.columns WHERE table_schema = current_schema()
"""

_PG_CONSTRAINTS = """
    SELECT t.relname AS table_name, c.contype::text, c.confdeltype::text, f.relname AS parent,
           array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k (attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
                 ORDER BY k.n)::text[] AS columns,
           array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k (attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum
                 ORDER BY k.n)::text[] AS parent_columns
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    LEFT JOIN pg_class f ON f.oid = c.confrelid
    WHERE t.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f')
"""

# Indexes that no constraint owns: those made by CREATE INDEX.
_PG_INDEXES = """
    SELECT t.relname AS table_name, i.relname AS name, x.indisunique AS unique,
           x.indpred IS NOT NULL AS partial,
           array(SELECT COALESCE(a.attname::text, '(expression)')
                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k (attnum, n)
                 LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                 ORDER BY k.n)::text[] AS columns
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_class t ON t.oid = x.indrelid
    WHERE t.relnamespace = current_schema()::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
"""

_PG_TRIGGERS = """
    SELECT DISTINCT event_object_table, trigger_name FROM information_schema.triggers
    WHERE trigger_schema = current_schema()
"""


async def postgres_schema(url: str) -> Schema:
    conn = await asyncpg.connect(url)
    try:
        schema: Schema = {}
        for r in await conn.fetch(_PG_COLUMNS):
            type_class = POSTGRES_TYPE_CLASS.get(r["data_type"], r["data_type"])
            column = Column(type_class, r["not_null"], r["has_default"])
            schema.setdefault(r["table_name"], Table()).columns[r["column_name"]] = column
        for r in await conn.fetch(_PG_CONSTRAINTS):
            table = schema[r["table_name"]]
            columns = tuple(r["columns"])
            if r["contype"] == "p":
                table.primary_key = columns
            elif r["contype"] == "u":
                table.unique.add(columns)
            else:
                on_delete = _PG_ON_DELETE[r["confdeltype"]]
                table.foreign_keys.add(
                    (columns, r["parent"], tuple(r["parent_columns"]), on_delete)
                )
        for r in await conn.fetch(_PG_INDEXES):
            index = Index(tuple(r["columns"]), r["unique"], r["partial"])
            schema[r["table_name"]].indexes[r["name"]] = index
        for r in await conn.fetch(_PG_TRIGGERS):
            schema[r["event_object_table"]].triggers.add(r["trigger_name"])
        return schema
    finally:
        await conn.close()


def differences(sqlite: Schema, postgres: Schema) -> list[str]:
    found: list[str] = []

    def named(kind: str, left: dict[str, object], right: dict[str, object], where: str) -> None:
        for name in sorted(left.keys() | right.keys()):
            if name not in right:
                found.append(
                    f"{where}{kind} {name}: in SQLite ({left[name]}), missing in PostgreSQL"
                )
            elif name not in left:
                found.append(
                    f"{where}{kind} {name}: in PostgreSQL ({right[name]}), missing in SQLite"
                )
            elif left[name] != right[name]:
                found.append(
                    f"{where}{kind} {name}: SQLite {left[name]} but PostgreSQL {right[name]}"
                )

    for name in sorted(sqlite.keys() - postgres.keys()):
        found.append(f"table {name}: in SQLite, missing in PostgreSQL")
    for name in sorted(postgres.keys() - sqlite.keys()):
        found.append(f"table {name}: in PostgreSQL, missing in SQLite")
    for name in sorted(sqlite.keys() & postgres.keys()):
        left, right = sqlite[name], postgres[name]
        where = f"table {name}: "
        named("column", dict(left.columns), dict(right.columns), where)
        named("index", dict(left.indexes), dict(right.indexes), where)
        if left.primary_key != right.primary_key:
            found.append(
                f"{where}primary key: SQLite {left.primary_key} but PostgreSQL {right.primary_key}"
            )
        for what, l_set, r_set in (
            ("unique constraint", left.unique, right.unique),
            ("foreign key", left.foreign_keys, right.foreign_keys),
            ("trigger", left.triggers, right.triggers),
        ):
            for item in sorted(map(str, l_set - r_set)):
                found.append(f"{where}{what} {item}: in SQLite, missing in PostgreSQL")
            for item in sorted(map(str, r_set - l_set)):
                found.append(f"{where}{what} {item}: in PostgreSQL, missing in SQLite")
    return found


def test_both_engines_have_the_same_migrations() -> None:
    sqlite_steps, postgres_steps = len(SQLITE_MIGRATIONS), len(POSTGRES_MIGRATIONS)
    assert sqlite_steps == postgres_steps, (
        f"storage/sqlite/migrations.py has {sqlite_steps} steps but "
        f"storage/postgres/migrations.py has {postgres_steps}: every schema version "
        "is written for both engines"
    )


async def test_every_schema_version_is_the_same_on_both_engines(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    sqlite = sqlite3.connect(tmp_path / "steps.sqlite3")
    engine = await PostgresEngine.open(fresh_postgres_url)
    problems: list[str] = []
    try:
        for version in range(1, min(len(SQLITE_MIGRATIONS), len(POSTGRES_MIGRATIONS)) + 1):
            sqlite.executescript(SQLITE_MIGRATIONS[version - 1])
            await migrate(engine, POSTGRES_MIGRATIONS[:version])
            schema = await postgres_schema(fresh_postgres_url)
            schema.pop("schema_version")  # the SQLite steps ran here without their runner
            problems += [
                f"version {version}: {d}" for d in differences(sqlite_schema(sqlite), schema)
            ]
    finally:
        sqlite.close()
        await engine.close()
    assert not problems, "The engines' schemas differ:\n" + "\n".join(problems)


async def test_the_stores_open_the_same_schema(tmp_path: Path, fresh_postgres_url: str) -> None:
    path = tmp_path / "store.sqlite3"
    await (await SqliteStore.open(path)).close()
    await (await PostgresStore.open(fresh_postgres_url)).close()
    with sqlite3.connect(path) as conn:
        sqlite = sqlite_schema(conn)
    problems = differences(sqlite, await postgres_schema(fresh_postgres_url))
    assert not problems, "The engines' schemas differ:\n" + "\n".join(problems)
    assert "schema_version" in sqlite


def test_a_difference_names_the_table_and_column() -> None:
    table = Table(columns={"id": Column("INTEGER", True, False)})
    wider = Table(columns={**table.columns, "lease_until": Column("REAL", False, False)})
    assert differences({"receipts": wider}, {"receipts": table}) == [
        "table receipts: column lease_until: in SQLite (REAL NULL), missing in PostgreSQL"
    ]
    nullable = Table(columns={"id": Column("INTEGER", False, False)})
    assert differences({"receipts": table}, {"receipts": nullable}) == [
        "table receipts: column id: SQLite INTEGER NOT NULL but PostgreSQL INTEGER NULL"
    ]
