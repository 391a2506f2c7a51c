"""What only the SQLite engine has: its schema and migrations, connection settings, secrets
at rest in the file, the append-only trigger, and group commit. Everything every engine
must do is in tests/contract/."""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.core.crypto import SecretBox
from storage.models.jobs import JobState, NewJob
from storage.models.receipts import Channel, EventSource, NewDraft, ReceiptStatus
from storage.sqlite.migrations import MIGRATIONS
from storage.sqlite.store import SqliteStore
from storage.sqlite.tx import Tx
from tests.conftest import FakeClock

S = ReceiptStatus
TABLES = {
    "schema_version", "users", "shops", "members", "invites", "shop_settings", "liqpay_keys",
    "receipts", "receipt_events", "receipt_counters", "jobs", "job_holds", "dialogs",
}  # fmt: skip


def raw(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Committed state, over a connection of the test's own."""
    with sqlite3.connect(db_path) as db:
        return [tuple(r) for r in db.execute(sql, params).fetchall()]


async def awaiting(store: SqliteStore, clock: FakeClock, shop_id: int) -> int:
    draft = NewDraft(
        shop_id, 1, 100, "UAH", "x", Channel.LINK, None, secrets.token_hex(4),
        secrets.token_hex(6), clock() + timedelta(days=1),
    )  # fmt: skip
    receipt, _ = await store.receipts.create_draft(draft, clock())
    moved = await store.receipts.transition(
        receipt.id, expected=[S.DRAFT], new=S.AWAITING, source=EventSource.USER, now=clock()
    )
    assert moved is not None
    return moved.id


async def test_fresh_database_is_migrated(store: SqliteStore, db_path: Path) -> None:
    assert await store.schema_version() == len(MIGRATIONS)
    names = {name for (name,) in raw(db_path, "SELECT name FROM sqlite_master")}
    assert TABLES <= names
    assert "outbox" not in names
    assert {"receipt_events_append_only_update", "receipt_events_append_only_delete"} <= names


async def test_reopening_changes_nothing(db_path: Path, clock: FakeClock) -> None:
    first = await SqliteStore.open(db_path)
    await first.shops.create_shop(1, "Owner", "Shop", clock())
    await first.close()
    schema_before = raw(db_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    second = await SqliteStore.open(db_path)
    await second.close()
    assert raw(db_path, "SELECT COUNT(*) FROM schema_version") == [(len(MIGRATIONS),)]
    assert raw(db_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema_before


async def test_pragmas(store: SqliteStore, db_path: Path) -> None:
    assert [tuple(r) for r in await store.engine.returning("PRAGMA foreign_keys")] == [(1,)]
    assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]


async def test_private_key_is_not_stored_in_plain_text(
    db_path: Path, box: SecretBox, clock: FakeClock
) -> None:
    public = "sandbox_i" + secrets.token_hex(8)
    private = "sandbox_PRIVATE_" + secrets.token_hex(16)
    store = await SqliteStore.open(db_path)
    shop = await store.shops.create_shop(1, "Owner", "Shop", clock())
    await store.settings.save_keys(shop.shop_id, public, box.encrypt(private), True, clock())
    saved = await store.settings.get(shop.shop_id)
    assert saved.private_key_enc is not None
    assert box.decrypt(saved.private_key_enc) == private
    assert raw(db_path, "SELECT sandbox FROM shop_settings") == [(1,)]

    def on_disk() -> bytes:
        blob = b""
        for suffix in ("", "-wal", "-shm"):
            path = Path(str(db_path) + suffix)
            if path.exists():
                blob += path.read_bytes()
        return blob

    while_open = on_disk()
    await store.close()
    after_close = on_disk()
    for blob in (while_open, after_close):
        assert public.encode() in blob  # we do read the stored rows...
        assert private.encode() not in blob  # ...and the private key is not among them


async def test_receipt_events_are_append_only(
    store: SqliteStore, db_path: Path, clock: FakeClock
) -> None:
    shop = await store.shops.create_shop(1, "Owner", "Shop", clock())
    receipt_id = await awaiting(store, clock, shop.shop_id)
    for sql in ("UPDATE receipt_events SET to_status = 'paid'", "DELETE FROM receipt_events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw(db_path, sql)
    assert [e.to_status for e in await store.receipt_queries.events(receipt_id)] == [S.AWAITING]


# group commit: operations batched into one transaction stay independent


async def test_a_failing_operation_in_a_batch_leaves_the_others_committed(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await store.shops.create_shop(1, "Owner", "Shop", clock())
    first = await awaiting(store, clock, shop.shop_id)
    second = await awaiting(store, clock, shop.shop_id)

    async def broken(tx: Tx) -> None:
        await tx.execute("UPDATE receipts SET status = 'paid' WHERE id = ?", (first,))
        raise RuntimeError("half done")

    async def pay(receipt_id: int) -> Any:
        return await store.receipts.transition(
            receipt_id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK,
            now=clock(),
        )  # fmt: skip

    # Issued together, so they run as one batch in one transaction.
    results = await asyncio.gather(
        store.engine.write(broken), pay(second), store.receipts.get(first), return_exceptions=True
    )
    assert isinstance(results[0], RuntimeError)
    assert results[1] is not None and results[1].status is S.PAID
    assert results[2] is not None and results[2].status is S.AWAITING  # never saw it half done
    assert (await store.receipts.get(first)).status is S.AWAITING  # type: ignore[union-attr]
    assert (await store.receipts.get(second)).status is S.PAID  # type: ignore[union-attr]


async def test_an_operation_that_escapes_with_a_base_exception_does_not_jam_the_store(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await store.shops.create_shop(1, "Owner", "Shop", clock())
    receipt = await awaiting(store, clock, shop.shop_id)

    class Abort(BaseException):
        pass

    async def abort(tx: Tx) -> None:
        await tx.execute("UPDATE receipts SET status = 'paid' WHERE id = ?", (receipt,))
        raise Abort

    with pytest.raises(Abort):
        await store.engine.write(abort)
    assert (await store.receipts.get(receipt)).status is S.AWAITING  # type: ignore[union-attr]
    moved = await store.receipts.transition(
        receipt, expected=[S.AWAITING], new=S.PAID, source=EventSource.USER, now=clock()
    )
    assert moved is not None and moved.status is S.PAID


async def test_dialog_reads_wait_for_the_writes_submitted_before_them(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await store.shops.create_shop(1, "Owner", "Shop", clock())
    receipt = await awaiting(store, clock, shop.shop_id)
    await store.dialogs.set_state("chat", "Invoice:channel")
    updated, release = asyncio.Event(), asyncio.Event()

    async def slow(tx: Tx) -> None:
        await tx.execute("UPDATE receipts SET status = 'paid' WHERE id = ?", (receipt,))
        await tx.execute("UPDATE dialogs SET state = 'Invoice:contact' WHERE key = 'chat'")
        updated.set()
        await release.wait()  # the batch stays open, uncommitted

    write = asyncio.create_task(store.engine.write(slow))
    try:
        await updated.wait()
        # Any read sees committed state only, never the open batch's...
        found = await store.receipts.get(receipt)
        assert found is not None and found.status is S.AWAITING
        # ...and a dialog read waits for the writes submitted before it.
        state = asyncio.create_task(store.dialogs.get_state("chat"))
        await asyncio.sleep(0.05)
        assert not state.done()
    finally:
        release.set()
        await write
    assert await state == "Invoice:contact"


# migration 2 on a database made by the first release


async def test_an_existing_database_keeps_its_outbox_checks_and_numbers(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = clock().timestamp()
    with sqlite3.connect(db_path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (1)")
        db.execute("INSERT INTO shops VALUES (1, 'Shop', ?)", (t0,))
        db.execute("INSERT INTO members VALUES (1, 10, 'owner', 'O', ?)", (t0,))
        db.execute("INSERT INTO shop_settings (shop_id) VALUES (1)")
        for number, status, checked in (
            (1, "paid", t0),
            (2, "awaiting", t0 - 30),
            (3, "draft", None),
        ):
            db.execute(
                "INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, "
                "description, channel, order_id, status, expires_at, created_at, "
                "next_check_at, last_checked_at) "
                "VALUES (1, ?, 10, 100, 'UAH', 'd', 'link', ?, ?, ?, ?, ?, ?)",
                (number, f"o{number}", status, t0 + 86400, t0, t0 + 60, checked),
            )
        db.execute(
            "INSERT INTO outbox (chat_id, receipt_id, kind, created_at, state, attempts, "
            "next_attempt_at, sent_at) VALUES (10, 1, 'paid', ?, 'sent', 1, ?, ?)",
            (t0, t0, t0),
        )
        db.execute(
            "INSERT INTO outbox (chat_id, receipt_id, kind, created_at, state, attempts, "
            "next_attempt_at, last_error) VALUES (10, 2, 'expired', ?, 'pending', 2, ?, 'x')",
            (t0, t0 + 8),
        )
    store = await SqliteStore.open(db_path)
    try:
        notify = await store.jobs.find(kind="notify")
        assert [(j.payload, j.group_key, j.state, j.attempts, j.receipt_id) for j in notify] == [
            ({"chat_id": 10, "kind": "paid"}, "chat:10", JobState.DONE, 1, 1),
            ({"chat_id": 10, "kind": "expired"}, "chat:10", JobState.PENDING, 2, 2),
        ]
        assert notify[1].run_at == datetime.fromtimestamp(t0 + 8, UTC)
        assert notify[1].last_error == "x"
        checks = await store.jobs.find(kind="check")
        assert [(j.receipt_id, j.run_at, j.claimed_at) for j in checks] == [
            (2, clock() + timedelta(seconds=60), clock() - timedelta(seconds=30)),
            (3, clock() + timedelta(seconds=60), None),
        ]
        receipt = await store.receipts.get(2)
        assert receipt is not None and receipt.status is S.AWAITING
        draft = NewDraft(1, 10, 100, "UAH", "n", Channel.LINK, None, "k", "o4", clock())
        assert (await store.receipts.create_draft(draft, clock()))[0].number == 4
    finally:
        await store.close()
    columns = {row[1] for row in raw(db_path, "PRAGMA table_info(receipts)")}
    assert not {"next_check_at", "last_checked_at"} & columns
    assert json.loads(raw(db_path, "SELECT payload FROM jobs WHERE id = 1")[0][0])["kind"] == "paid"


async def test_a_first_version_database_is_upgraded_keeping_its_flags(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    t0 = clock().timestamp()
    with sqlite3.connect(db_path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (1)")
        db.execute("INSERT INTO shops VALUES (1, 'Shop', ?)", (t0,))
        db.execute(
            "INSERT INTO receipts (shop_id, number, cashier_id, amount, currency, description, "
            "channel, order_id, status, flagged, expires_at, created_at, next_check_at) "
            "VALUES (1, 1, 10, 100, 'UAH', 'd', 'link', 'o1', 'awaiting', "
            "'paid 444 UAH (payment 9)', ?, ?, ?)",
            (t0 + 86400, t0, t0),
        )
    store = await SqliteStore.open(db_path)
    try:
        old = await store.receipts.get(1)
        assert old is not None and old.flagged and old.mismatch is None  # text of old: no facts
    finally:
        await store.close()


async def test_the_claim_and_the_pending_page_read_their_order_from_an_index(
    store: SqliteStore,
) -> None:
    from storage.sqlite.jobs import DUE_FEW, DUE_MANY

    def plan(rows: list[sqlite3.Row]) -> str:
        return "\n".join(str(r[3]) for r in rows)

    now = 1e9
    many = plan(
        await store.engine.all("EXPLAIN QUERY PLAN " + DUE_MANY, ("check", now, now, now, 10))
    )
    assert "jobs_claim_order" in many and "TEMP B-TREE" not in many
    few = plan(
        await store.engine.all("EXPLAIN QUERY PLAN " + DUE_FEW, ("check", now, now, now, 10))
    )
    assert "jobs_due" in few  # few due jobs: found by run_at, then sorted
    page = plan(
        await store.engine.all(
            "EXPLAIN QUERY PLAN SELECT * FROM receipts WHERE shop_id = ? "
            "AND status IN (?, ?) ORDER BY id DESC LIMIT 10",
            (1, "awaiting", "draft"),
        )
    )
    assert "receipts_by_shop" in page and "TEMP B-TREE" not in page


async def test_a_batch_that_cannot_begin_writes_nothing(store: SqliteStore, db_path: Path) -> None:
    # Another connection holds the write lock past the busy timeout, then lets go: the
    # batch's BEGIN gave up meanwhile, and nothing of the batch may have run without it.
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    loop.call_later(6.5, holder.rollback)
    try:
        added = await store.jobs.enqueue([NewJob("notify", {"n": 1})], datetime.now(UTC))
    except sqlite3.OperationalError:
        added = 0
    finally:
        await asyncio.sleep(7)  # until the holder has let go
        holder.close()
    assert len(await store.jobs.find(kind="notify")) == added  # once or not at all, never twice


async def test_lookups_by_order_read_together_each_get_their_own(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await store.shops.create_shop(1, "Owner", "Shop", clock())
    made = [await awaiting(store, clock, shop.shop_id) for _ in range(30)]
    orders = [r.order_id for r in await store.receipts.get_many(made)]
    asked = [*orders, "nobody's", orders[0], *reversed(orders)]  # misses and repeats too
    found = await asyncio.gather(*(store.receipts.by_order_id(o) for o in asked))
    assert [r.order_id if r else None for r in found] == [*orders, None, orders[0], *orders[::-1]]
    await store.receipts.transition(
        made[0], expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK, now=clock()
    )
    again = await store.receipts.by_order_id(orders[0])  # the committed state, not a stale one
    assert again is not None and again.status is S.PAID


async def test_the_sqlite_lock_file_is_private(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    store = await SqliteStore.open(database)
    try:
        hold = await store.hold_exclusive("polling")
        assert hold is not None
        lock = database.with_name("bot.sqlite3.polling.lock")
        assert lock.stat().st_mode & 0o777 == 0o600
        await hold.release()
        lock.chmod(0o644)  # left open to others: tightened when taken again
        assert await store.hold_exclusive("polling") is not None
        assert lock.stat().st_mode & 0o777 == 0o600
    finally:
        await store.close()


async def test_receipt_search_folds_cyrillic_case(store: SqliteStore, clock: FakeClock) -> None:
    """SQLite's LIKE folds ASCII only: the receipts search folds Ukrainian too (the engine's
    `casefold` function), so "кава" finds "Кава"."""
    from storage.models.receipt_search import ReceiptSearch
    from tests.builders import make_owner
    from tests.contract.test_receipt_search import issue

    shop = (await make_owner(store, clock, owner_id=1)).shop_id
    coffee = await issue(store, clock, shop, "a", description="Кава з собою")
    found = await store.receipt_queries.search(ReceiptSearch(shop, text="кАВА"))
    assert [r.id for r in found] == [coffee.id]
