"""SqliteStore: migrations, secrets at rest, the receipt state machine's storage, invites,
listings and the notification outbox."""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from services.crypto import SecretBox
from storage.migrations import MIGRATIONS
from storage.models import (
    Channel,
    EventSource,
    InviteOutcome,
    Member,
    NewNotification,
    Receipt,
    ReceiptStatus,
    Role,
)
from storage.sqlite import SqliteStore
from tests.conftest import FakeClock

S = ReceiptStatus
TABLES = {
    "schema_version",
    "users",
    "shops",
    "members",
    "invites",
    "shop_settings",
    "receipts",
    "receipt_events",
    "outbox",
}


async def make_shop(store: SqliteStore, clock: FakeClock, owner_id: int = 1) -> Member:
    return await store.create_shop(owner_id, f"Owner {owner_id}", f"Shop of {owner_id}", clock())


async def make_draft(
    store: SqliteStore,
    clock: FakeClock,
    shop_id: int,
    *,
    cashier_id: int = 1,
    key: str | None = None,
    amount: int = 25050,
) -> tuple[Receipt, bool]:
    return await store.create_draft(
        shop_id=shop_id,
        cashier_id=cashier_id,
        amount=amount,
        currency="UAH",
        description=lambda n: f"Receipt {n}",
        channel=Channel.EMAIL,
        contact="buyer@example.com",
        idempotency_key=key or secrets.token_hex(8),
        order_id=lambda n: f"shop{shop_id}-{n}",
        expires_at=clock() + timedelta(days=1),
        now=clock(),
    )


async def make_awaiting(
    store: SqliteStore,
    clock: FakeClock,
    shop_id: int,
    *,
    cashier_id: int = 1,
    notifications: tuple[NewNotification, ...] = (),
) -> Receipt:
    draft, _ = await make_draft(store, clock, shop_id, cashier_id=cashier_id)
    moved = await store.transition(
        draft.id,
        expected=[S.DRAFT],
        new=S.AWAITING,
        source=EventSource.USER,
        now=clock(),
        notifications=notifications,
    )
    assert moved is not None
    return moved


async def rows(store: SqliteStore, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    async with store._conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


async def outbox_count(store: SqliteStore) -> int:
    return (await rows(store, "SELECT COUNT(*) FROM outbox"))[0][0]


# migrations and connection settings


async def test_fresh_database_is_migrated(store: SqliteStore) -> None:
    assert await store.schema_version() == len(MIGRATIONS)
    names = {r["name"] for r in await rows(store, "SELECT name FROM sqlite_master")}
    assert TABLES <= names
    assert {"receipt_events_append_only_update", "receipt_events_append_only_delete"} <= names


async def test_reopening_changes_nothing(db_path: Path, clock: FakeClock) -> None:
    first = await SqliteStore.open(db_path)
    shop = await make_shop(first, clock)
    schema_before = await rows(first, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    await first.close()

    second = await SqliteStore.open(db_path)
    try:
        assert await second.schema_version() == len(MIGRATIONS)
        assert (await rows(second, "SELECT COUNT(*) FROM schema_version"))[0][0] == len(MIGRATIONS)
        schema_after = await rows(second, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
        assert [tuple(r) for r in schema_after] == [tuple(r) for r in schema_before]
        assert await second.get_member(1) == shop  # data kept
    finally:
        await second.close()


async def test_pragmas(store: SqliteStore) -> None:
    assert (await rows(store, "PRAGMA foreign_keys"))[0][0] == 1
    assert (await rows(store, "PRAGMA journal_mode"))[0][0] == "wal"


async def test_foreign_keys_are_enforced(store: SqliteStore, clock: FakeClock) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await make_draft(store, clock, shop_id=999)


# secrets at rest


async def test_private_key_is_not_stored_in_plain_text(
    db_path: Path, box: SecretBox, clock: FakeClock
) -> None:
    public = "sandbox_i" + secrets.token_hex(8)
    private = "sandbox_PRIVATE_" + secrets.token_hex(16)
    store = await SqliteStore.open(db_path)
    shop = await make_shop(store, clock)
    await store.save_keys(shop.shop_id, public, box.encrypt(private), True)
    saved = await store.get_settings(shop.shop_id)
    assert saved.public_key == public
    assert saved.private_key_enc is not None
    assert box.decrypt(saved.private_key_enc) == private
    sandbox = await rows(store, "SELECT sandbox FROM shop_settings WHERE shop_id = ?", (1,))
    assert sandbox[0][0] == 1

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


# transition


async def test_transition_moves_and_records(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id)
    clock.advance(minutes=1)
    moved = await store.transition(
        draft.id,
        expected=[S.DRAFT],
        new=S.AWAITING,
        source=EventSource.USER,
        now=clock(),
        changes={"link": "https://liqpay.ua/apipay/invoice/t", "invoice_token": "t"},
        liqpay_status="invoice_wait",
        detail="sent",
        notifications=[NewNotification(1, "issued"), NewNotification(2, "issued")],
    )
    assert moved is not None
    assert moved.status is S.AWAITING
    assert moved.link == "https://liqpay.ua/apipay/invoice/t"
    assert moved.liqpay_status == "invoice_wait"
    assert (await store.get_receipt(draft.id)) == moved
    events = await store.events(draft.id)
    assert len(events) == 1
    assert events[0].from_status is S.DRAFT
    assert events[0].to_status is S.AWAITING
    assert events[0].source is EventSource.USER
    assert events[0].liqpay_status == "invoice_wait"
    assert events[0].at == clock()
    outbox = await rows(store, "SELECT chat_id, receipt_id, kind FROM outbox ORDER BY id")
    assert [tuple(r) for r in outbox] == [(1, draft.id, "issued"), (2, draft.id, "issued")]


async def test_transition_is_compare_and_set(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id)
    result = await store.transition(
        draft.id,
        expected=[S.AWAITING],
        new=S.PAID,
        source=EventSource.CALLBACK,
        now=clock(),
        notifications=[NewNotification(1, "paid")],
    )
    assert result is None
    assert (await store.get_receipt(draft.id)) == draft
    assert await store.events(draft.id) == []
    assert await outbox_count(store) == 0


async def test_transition_second_racer_loses(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    first = await store.transition(
        receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK, now=clock()
    )
    second = await store.transition(
        receipt.id, expected=[S.AWAITING], new=S.CANCELLED, source=EventSource.USER, now=clock()
    )
    assert first is not None and first.status is S.PAID
    assert second is None
    assert (await store.get_receipt(receipt.id)).status is S.PAID  # type: ignore[union-attr]
    assert [e.to_status for e in await store.events(receipt.id)] == [S.AWAITING, S.PAID]


async def test_transition_refuses_unknown_columns(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id)
    with pytest.raises(ValueError, match="not a receipt field"):
        await store.transition(
            draft.id,
            expected=[S.DRAFT],
            new=S.AWAITING,
            source=EventSource.USER,
            now=clock(),
            changes={"amount": 1},
        )
    assert (await store.get_receipt(draft.id)) == draft


async def test_transition_is_one_transaction(
    store: SqliteStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = await make_shop(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    seen_inside: dict[str, Any] = {}

    def failing_enqueue(db: sqlite3.Connection, receipt_id: int, *_: Any) -> None:
        # Inside the transaction the UPDATE and the event INSERT have already run...
        sql = "SELECT status FROM receipts WHERE id = ?"
        seen_inside["status"] = db.execute(sql, (receipt_id,)).fetchone()[0]
        sql = "SELECT COUNT(*) FROM receipt_events WHERE receipt_id = ?"
        seen_inside["events"] = db.execute(sql, (receipt_id,)).fetchone()[0]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_enqueue", failing_enqueue)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await store.transition(
            receipt.id,
            expected=[S.AWAITING],
            new=S.PAID,
            source=EventSource.CALLBACK,
            now=clock(),
            changes={"payment_id": "123"},
            liqpay_status="success",
            notifications=[NewNotification(1, "paid")],
        )
    assert seen_inside == {"status": "paid", "events": 2}
    # ...and all of it was rolled back.
    after = await store.get_receipt(receipt.id)
    assert after == receipt
    assert [e.to_status for e in await store.events(receipt.id)] == [S.AWAITING]
    assert await outbox_count(store) == 0

    # The store is usable afterwards: lock released, no transaction left open.
    monkeypatch.undo()
    moved = await store.transition(
        receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK, now=clock()
    )
    assert moved is not None and moved.status is S.PAID


# receipt_events is append-only


async def test_receipt_events_cannot_be_updated(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await store._conn.execute("UPDATE receipt_events SET to_status = 'paid'")
    assert [e.to_status for e in await store.events(receipt.id)] == [S.AWAITING]


async def test_receipt_events_cannot_be_deleted(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        await store._conn.execute("DELETE FROM receipt_events")
    assert len(await store.events(receipt.id)) == 1


async def test_delete_draft_removes_only_drafts(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id)
    awaiting = await make_awaiting(store, clock, shop.shop_id)
    await store.delete_draft(draft.id)
    await store.delete_draft(awaiting.id)
    assert await store.get_receipt(draft.id) is None
    assert await store.get_receipt(awaiting.id) == awaiting


# drafts: idempotency and numbering


async def test_create_draft_is_idempotent(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    first, created_first = await make_draft(store, clock, shop.shop_id, key="tap-1")
    again, created_again = await make_draft(store, clock, shop.shop_id, key="tap-1", amount=999)
    assert created_first is True
    assert created_again is False
    assert again == first
    assert again.amount == 25050  # the first one's, not the repeat's
    assert (await rows(store, "SELECT COUNT(*) FROM receipts"))[0][0] == 1
    other, created_other = await make_draft(store, clock, shop.shop_id, key="tap-2")
    assert created_other is True
    assert other.number == 2


async def test_create_draft_fields(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id, cashier_id=7)
    assert draft.status is S.DRAFT
    assert draft.number == 1
    assert draft.description == "Receipt 1"
    assert draft.order_id == f"shop{shop.shop_id}-1"
    assert draft.cashier_id == 7
    assert draft.created_at == clock()
    assert draft.expires_at == clock() + timedelta(days=1)


async def test_numbers_are_sequential_per_shop(store: SqliteStore, clock: FakeClock) -> None:
    shop_a = await make_shop(store, clock, owner_id=1)
    shop_b = await make_shop(store, clock, owner_id=2)
    numbers: list[tuple[int, int]] = []
    for shop_id in (shop_a.shop_id, shop_b.shop_id, shop_a.shop_id, shop_a.shop_id, shop_b.shop_id):
        draft, _ = await make_draft(store, clock, shop_id)
        numbers.append((shop_id, draft.number))
    a, b = shop_a.shop_id, shop_b.shop_id
    assert numbers == [(a, 1), (b, 1), (a, 2), (a, 3), (b, 2)]


# invites


async def test_invite_joined(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    await store.create_invite(shop.shop_id, "tok", 1, clock(), clock() + timedelta(hours=24))
    outcome, member = await store.redeem_invite("tok", 42, "Olena", clock())
    assert outcome is InviteOutcome.JOINED
    expected = Member(shop.shop_id, shop.shop_name, 42, Role.CASHIER, "Olena")
    assert member == expected
    assert await store.get_member(42) == expected


async def test_invite_unknown(store: SqliteStore, clock: FakeClock) -> None:
    await make_shop(store, clock)
    assert await store.redeem_invite("nope", 42, "Olena", clock()) == (InviteOutcome.UNKNOWN, None)
    assert await store.get_member(42) is None


async def test_invite_used(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    await store.create_invite(shop.shop_id, "tok", 1, clock(), clock() + timedelta(hours=24))
    assert (await store.redeem_invite("tok", 42, "Olena", clock()))[0] is InviteOutcome.JOINED
    assert await store.redeem_invite("tok", 43, "Taras", clock()) == (InviteOutcome.USED, None)
    assert await store.get_member(43) is None


async def test_invite_expired(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    await store.create_invite(shop.shop_id, "tok", 1, clock(), clock() + timedelta(hours=24))
    clock.advance(hours=24)  # exactly at expiry: no longer valid
    assert await store.redeem_invite("tok", 42, "Olena", clock()) == (InviteOutcome.EXPIRED, None)
    assert await store.get_member(42) is None


async def test_invite_valid_just_before_expiry(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    await store.create_invite(shop.shop_id, "tok", 1, clock(), clock() + timedelta(hours=24))
    clock.advance(hours=23, minutes=59)
    assert (await store.redeem_invite("tok", 42, "Olena", clock()))[0] is InviteOutcome.JOINED


async def test_invite_already_member(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock, owner_id=1)
    other = await make_shop(store, clock, owner_id=2)
    await store.create_invite(shop.shop_id, "tok", 1, clock(), clock() + timedelta(hours=24))
    outcome, member = await store.redeem_invite("tok", 2, "Owner 2", clock())
    assert outcome is InviteOutcome.ALREADY_MEMBER
    assert member == other  # still the owner of the other shop
    assert await store.get_member(2) == other
    # The invite was not spent on them.
    assert (await store.redeem_invite("tok", 42, "Olena", clock()))[0] is InviteOutcome.JOINED


# list_pending


async def test_list_pending_scopes_and_orders(store: SqliteStore, clock: FakeClock) -> None:
    # "Pending" is awaiting plus drafts left by an outage (commit 021d8bd); finished
    # receipts are not listed.
    shop_a = await make_shop(store, clock, owner_id=1)
    shop_b = await make_shop(store, clock, owner_id=2)
    a, b = shop_a.shop_id, shop_b.shop_id
    r1 = await make_awaiting(store, clock, a, cashier_id=10)
    r2 = await make_awaiting(store, clock, a, cashier_id=11)
    await make_awaiting(store, clock, b, cashier_id=10)  # other shop
    for final in (S.PAID, S.CANCELLED):
        done = await make_awaiting(store, clock, a, cashier_id=10)
        moved = await store.transition(
            done.id, expected=[S.AWAITING], new=final, source=EventSource.POLL, now=clock()
        )
        assert moved is not None
    draft, _ = await make_draft(store, clock, a, cashier_id=10)
    r4 = await make_awaiting(store, clock, a, cashier_id=10)

    listed, total = await store.list_pending(a, None, 0, 10)
    assert [r.id for r in listed] == [r4.id, draft.id, r2.id, r1.id]
    assert total == 4
    assert all(r.status in (S.AWAITING, S.DRAFT) and r.shop_id == a for r in listed)

    mine, mine_total = await store.list_pending(a, 10, 0, 10)
    assert [r.id for r in mine] == [r4.id, draft.id, r1.id]
    assert mine_total == 3

    page, page_total = await store.list_pending(a, None, 1, 2)
    assert [r.id for r in page] == [draft.id, r2.id]
    assert page_total == 4

    other, other_total = await store.list_pending(b, 11, 0, 10)
    assert (other, other_total) == ([], 0)


# due_notifications


async def test_due_notifications_give_each_chat_its_oldest_item(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await make_shop(store, clock)
    r1 = await make_awaiting(
        store,
        clock,
        shop.shop_id,
        notifications=(NewNotification(100, "a"), NewNotification(200, "b")),
    )
    r2 = await make_awaiting(
        store,
        clock,
        shop.shop_id,
        notifications=(NewNotification(100, "c"), NewNotification(200, "d")),
    )
    due = await store.due_notifications(clock(), 10)
    assert [(i.chat_id, i.kind, i.receipt_id) for i in due] == [
        (100, "a", r1.id),
        (200, "b", r1.id),
    ]
    assert all(i.attempts == 0 and i.created_at == clock() for i in due)
    assert [i.kind for i in await store.due_notifications(clock(), 1)] == ["a"]
    for item in due:
        await store.mark_sent(item.id, clock())
    due = await store.due_notifications(clock(), 10)
    assert [(i.chat_id, i.kind, i.receipt_id) for i in due] == [
        (100, "c", r2.id),
        (200, "d", r2.id),
    ]


async def test_one_chats_backlog_does_not_hold_up_another(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await make_shop(store, clock)
    backlog = tuple(NewNotification(100, f"owner-{n}") for n in range(150))
    await make_awaiting(store, clock, shop.shop_id, notifications=backlog)
    await make_awaiting(store, clock, shop.shop_id, notifications=(NewNotification(200, "x"),))
    assert [i.kind for i in await store.due_notifications(clock(), 100)] == ["owner-0", "x"]


async def test_due_notifications_hold_back_a_postponed_chat(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await make_shop(store, clock)
    await make_awaiting(
        store,
        clock,
        shop.shop_id,
        notifications=(NewNotification(100, "a"), NewNotification(200, "b")),
    )
    await make_awaiting(
        store,
        clock,
        shop.shop_id,
        notifications=(NewNotification(100, "c"), NewNotification(200, "d")),
    )
    items = {i.kind: i for i in await store.due_notifications(clock(), 10)}

    await store.postpone(items["a"].id, "Telegram: flood wait", clock() + timedelta(seconds=30))
    # Chat 100's later "c" waits behind "a"; chat 200 still flows.
    assert [i.kind for i in await store.due_notifications(clock(), 10)] == ["b"]
    await store.mark_sent(items["b"].id, clock())
    assert [i.kind for i in await store.due_notifications(clock(), 10)] == ["d"]

    clock.advance(seconds=30)
    due = await store.due_notifications(clock(), 10)
    assert [i.kind for i in due] == ["a", "d"]
    assert due[0].attempts == 1


async def test_due_notifications_sent_and_dead_do_not_block(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await make_shop(store, clock)
    await make_awaiting(
        store,
        clock,
        shop.shop_id,
        notifications=(
            NewNotification(100, "a"),
            NewNotification(100, "b"),
            NewNotification(100, "c"),
        ),
    )
    [a] = await store.due_notifications(clock(), 10)
    await store.mark_sent(a.id, clock())
    [b] = await store.due_notifications(clock(), 10)
    await store.mark_dead(b.id, "Forbidden: bot was blocked by the user")
    assert [i.kind for i in await store.due_notifications(clock(), 10)] == ["c"]
    state = await rows(store, "SELECT state, attempts FROM outbox ORDER BY id")
    assert [tuple(r) for r in state] == [("sent", 1), ("dead", 1), ("pending", 0)]


# group commit: operations batched into one transaction stay independent


async def test_a_failing_operation_in_a_batch_leaves_the_others_committed(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await make_shop(store, clock)
    first = await make_awaiting(store, clock, shop.shop_id)
    second = await make_awaiting(store, clock, shop.shop_id)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("UPDATE receipts SET status = 'paid' WHERE id = ?", (first.id,))
        raise RuntimeError("half done")

    async def pay(receipt_id: int) -> Any:
        return await store.transition(
            receipt_id, expected=[S.AWAITING], new=S.PAID, source=EventSource.CALLBACK,
            now=clock(),
        )  # fmt: skip

    # Issued together, so they run as one batch on the database thread.
    results = await asyncio.gather(
        store._run(broken), pay(second.id), store.get_receipt(first.id), return_exceptions=True
    )
    assert isinstance(results[0], RuntimeError)
    assert results[1] is not None and results[1].status is S.PAID
    assert results[2] is not None and results[2].status is S.AWAITING  # the failed op undone
    assert (await store.get_receipt(first.id)).status is S.AWAITING  # type: ignore[union-attr]
    assert (await store.get_receipt(second.id)).status is S.PAID  # type: ignore[union-attr]


async def test_an_operation_that_escapes_with_a_base_exception_does_not_jam_the_store(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await make_shop(store, clock)
    receipt = await make_awaiting(store, clock, shop.shop_id)

    class Abort(BaseException):
        pass

    def abort(db: sqlite3.Connection) -> None:
        db.execute("UPDATE receipts SET status = 'paid' WHERE id = ?", (receipt.id,))
        raise Abort

    with pytest.raises(BaseException):  # noqa: B017 (what matters is what comes after)
        await store._run(abort)
    assert (await store.get_receipt(receipt.id)).status is S.AWAITING  # type: ignore[union-attr]
    moved = await store.transition(
        receipt.id, expected=[S.AWAITING], new=S.PAID, source=EventSource.USER, now=clock()
    )
    assert moved is not None and moved.status is S.PAID


# the issuing lease


async def test_issue_lease_is_a_compare_and_set(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id)
    assert draft.issuing_until is None
    until = clock() + timedelta(seconds=15)
    assert await store.take_issue_lease(draft.id, clock(), until)
    assert not await store.take_issue_lease(draft.id, clock(), until)  # held: not twice
    got = await store.get_receipt(draft.id)
    assert got is not None and got.issuing_until == until
    # only the holder moves it on; a stale holder does not
    later = until + timedelta(seconds=10)
    assert await store.move_issue_lease(draft.id, until, later)
    assert not await store.move_issue_lease(draft.id, until, later + timedelta(seconds=1))
    # once expired, anyone may take it
    clock.advance(seconds=30)
    taken = clock() + timedelta(seconds=15)
    assert await store.take_issue_lease(draft.id, clock(), taken)
    assert not await store.release_issue_lease(draft.id, later, clock())
    assert await store.release_issue_lease(draft.id, taken, clock())
    got = await store.get_receipt(draft.id)
    assert got is not None and got.issuing_until is None


async def test_issue_lease_is_taken_on_drafts_only(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    awaiting = await make_awaiting(store, clock, shop.shop_id)
    assert not await store.take_issue_lease(awaiting.id, clock(), clock() + timedelta(seconds=5))


async def test_a_lease_read_back_can_be_taken_over(store: SqliteStore, clock: FakeClock) -> None:
    """The recovery takes over a lease it read from the row: the value compares equal."""
    shop = await make_shop(store, clock)
    clock.advance(microseconds=123_457)
    until = clock() + timedelta(seconds=15.000_001)
    draft, _ = await store.create_draft(
        shop_id=shop.shop_id, cashier_id=1, amount=100, currency="UAH", description="x",
        channel=Channel.LINK, contact=None, idempotency_key="k", order_id=lambda n: f"o{n}",
        expires_at=clock() + timedelta(days=1), now=clock(), issuing_until=until,
    )  # fmt: skip
    [leased] = await store.leased_receipts(10)
    assert leased.issuing_until == until == draft.issuing_until
    assert await store.move_issue_lease(draft.id, leased.issuing_until, until + timedelta(1))


async def test_release_tells_with_notifications_once(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id)
    until = clock() + timedelta(seconds=15)
    await store.take_issue_lease(draft.id, clock(), until)
    told = [NewNotification(1, "outcome")]
    assert await store.release_issue_lease(draft.id, until, clock(), told)
    assert not await store.release_issue_lease(draft.id, until, clock(), told)
    assert await outbox_count(store) == 1


async def test_leased_receipts_soonest_first(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    first, _ = await make_draft(store, clock, shop.shop_id, cashier_id=1)
    second, _ = await make_draft(store, clock, shop.shop_id, cashier_id=2)
    await make_draft(store, clock, shop.shop_id)  # not leased
    await store.take_issue_lease(first.id, clock(), clock() + timedelta(seconds=20))
    await store.take_issue_lease(second.id, clock(), clock() + timedelta(seconds=10))
    assert [r.id for r in await store.leased_receipts(10)] == [second.id, first.id]
    assert [r.id for r in await store.leased_receipts(10, cashier_id=1)] == [first.id]


async def test_a_leased_draft_is_deleted_only_by_its_holder(
    store: SqliteStore, clock: FakeClock
) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id)
    until = clock() + timedelta(seconds=15)
    await store.take_issue_lease(draft.id, clock(), until)
    assert not await store.delete_draft(draft.id)  # e.g. the reconciler: someone is issuing it
    assert await store.get_receipt(draft.id) is not None
    assert await store.delete_draft(draft.id, until)
    assert await store.get_receipt(draft.id) is None


async def test_receipt_by_idempotency_key(store: SqliteStore, clock: FakeClock) -> None:
    shop = await make_shop(store, clock)
    draft, _ = await make_draft(store, clock, shop.shop_id, key="7:abc")
    assert await store.receipt_by_idempotency_key("7:abc") == draft
    assert await store.receipt_by_idempotency_key("7:abd") is None
