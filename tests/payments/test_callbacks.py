"""LiqPay callbacks through the real HTTP app: verification, idempotency, ordering, money."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.web import MAX_CALLBACK_BYTES, REPLICA_KEY, build_web_app
from services.config import CALLBACK_PATH
from services.core.crypto import SecretBox
from services.core.money import from_wire
from services.liqpay.signing import encode_data, sign
from services.payments.callbacks import CallbackService
from services.payments.polling import CHECK
from storage.models.receipts import Channel, EventSource, PaymentMismatch, Receipt, ReceiptStatus
from storage.sqlite.migrations import MIGRATIONS
from storage.sqlite.store import SqliteStore
from tests.builders import PRIVATE_KEY, Shop, make_receipt, make_shop, payment_payload, signed_form
from tests.conftest import FakeClock
from tests.payment_fixtures import make_service, outbox_rows

S = ReceiptStatus


@dataclass
class Env:
    client: TestClient[web.Request, web.Application]
    store: SqliteStore
    db_path: Path
    shop: Shop
    clock: FakeClock

    async def post(self, form: dict[str, str]) -> tuple[int, Any]:
        resp = await self.client.post(CALLBACK_PATH, data=form)
        return resp.status, await resp.json()

    async def receipt(self, receipt_id: int) -> Receipt:
        found = await self.store.receipts.get(receipt_id)
        assert found is not None
        return found

    async def snapshot(self, receipt_id: int) -> tuple[Any, ...]:
        """Everything a callback could change about a receipt."""
        return (
            await self.receipt(receipt_id),
            await self.store.receipt_queries.events(receipt_id),
            await outbox_rows(self.store),
        )


async def _env(
    store: SqliteStore, box: SecretBox, clock: FakeClock, db_path: Path, version: int
) -> AsyncIterator[Env]:
    shop = await make_shop(store, box, clock(), version=version)
    async with aiohttp.ClientSession() as session:
        receipts = make_service(store, session, box, clock)
        app = build_web_app(store, CallbackService(receipts))
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            yield Env(client, store, db_path, shop, clock)


@pytest.fixture
async def env(
    store: SqliteStore, box: SecretBox, clock: FakeClock, db_path: Path
) -> AsyncIterator[Env]:
    async for made in _env(store, box, clock, db_path, 3):
        yield made


@pytest.fixture
async def env7(
    store: SqliteStore, box: SecretBox, clock: FakeClock, db_path: Path
) -> AsyncIterator[Env]:
    async for made in _env(store, box, clock, db_path, 7):
        yield made


async def awaiting(env: Env, **kwargs: Any) -> Receipt:
    return await make_receipt(env.store, env.shop, env.clock(), **kwargs)


def kinds_by_chat(rows: list[dict[str, Any]]) -> set[tuple[int, str]]:
    return {(r["chat_id"], r["kind"]) for r in rows}


# genuine callbacks


async def assert_paid_by_callback(env: Env, receipt: Receipt, version: int) -> None:
    payload = payment_payload(receipt, version=version, end_date=1_795_000_000_000)
    status, body = await env.post(signed_form(payload))

    assert status == 200
    assert body == {"result": "applied"}
    paid = await env.receipt(receipt.id)
    assert paid.status is S.PAID
    assert paid.paid_at == datetime.fromtimestamp(1_795_000_000, UTC)
    assert paid.payment_id == "987654321"
    assert paid.card_mask == "424242*42"
    assert paid.liqpay_status == "success"
    last = (await env.store.receipt_queries.events(receipt.id))[-1]
    assert (last.source, last.from_status, last.to_status) == (
        EventSource.CALLBACK,
        S.AWAITING,
        S.PAID,
    )
    rows = await outbox_rows(env.store, receipt.id)
    assert kinds_by_chat(rows) == {(env.shop.cashier_id, "paid"), (env.shop.owner_id, "paid")}
    assert all(r["state"] == "pending" for r in rows)


async def test_genuine_v3_success_marks_paid_and_notifies(env: Env) -> None:
    receipt = await awaiting(env)
    await assert_paid_by_callback(env, receipt, 3)


async def test_genuine_v7_sha3_success_marks_paid_and_notifies(env7: Env) -> None:
    receipt = await awaiting(env7)
    await assert_paid_by_callback(env7, receipt, 7)


async def test_healthz_reports_the_store_without_business_volume(env: Env) -> None:
    receipt = await awaiting(env)
    # As after a sweep: the receipt's next status check is scheduled for later.
    [check] = await env.store.jobs.claim(
        CHECK, "sweeper", limit=1, lease=timedelta(minutes=1), now=env.clock()
    )
    assert check.receipt_id == receipt.id
    later = datetime.now(UTC) + timedelta(hours=1)
    await env.store.jobs.postpone(check.id, "sweeper", until=later, error=None)
    resp = await env.client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    replica = env.client.server.app[REPLICA_KEY].replica
    assert body == {
        "status": "ok",
        "database": "ok",
        "engine": "sqlite",
        "schema_version": len(MIGRATIONS),
        "jobs_pending": 0,  # work due now; an open receipt's later check is not counted
        "replica": {"id": replica.id, "holds_polling": False, "jobs_leased": 0},
    }
    # this replica's worker takes the check: its work in progress, not the sweeper's
    worker = replica.worker_id("reconciler")
    await env.store.jobs.claim(CHECK, worker, limit=1, lease=timedelta(minutes=1), now=later)
    body = await (await env.client.get("/healthz")).json()
    assert body["replica"]["jobs_leased"] == 1 and body["jobs_pending"] == 0


# rejected callbacks change nothing


async def assert_rejected(env: Env, receipt: Receipt, form: dict[str, str]) -> None:
    before = await env.snapshot(receipt.id)
    status, body = await env.post(form)
    assert status == 400
    assert body == {"error": "rejected"}
    assert await env.snapshot(receipt.id) == before
    assert (await env.receipt(receipt.id)).status is S.AWAITING


async def test_tampered_data_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    genuine = signed_form(payment_payload(receipt, "failure"))
    forged_data = encode_data(payment_payload(receipt, "success"))
    await assert_rejected(env, receipt, {"data": forged_data, "signature": genuine["signature"]})


async def test_wrong_private_key_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    await assert_rejected(env, receipt, signed_form(payment_payload(receipt), "other-key"))


async def test_v7_payload_signed_with_sha1_is_rejected(env7: Env) -> None:
    receipt = await awaiting(env7)
    form = signed_form(payment_payload(receipt, version=7), version=3)
    await assert_rejected(env7, receipt, form)


async def test_v3_payload_signed_with_sha3_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt, version=3), version=7)
    await assert_rejected(env, receipt, form)


async def test_unknown_order_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt, order_id="no-such-order"))
    await assert_rejected(env, receipt, form)


async def test_public_key_of_another_shop_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt, public_key="sandbox_someone_else"))
    await assert_rejected(env, receipt, form)


@pytest.mark.parametrize("missing", ["data", "signature", "both"])
async def test_missing_field_is_rejected(env: Env, missing: str) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt))
    if missing == "both":
        form = {}
    else:
        del form[missing]
    await assert_rejected(env, receipt, form)


async def test_data_that_is_not_base64_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    data = "not base64 at all!"
    await assert_rejected(env, receipt, {"data": data, "signature": sign(PRIVATE_KEY, data)})


async def test_data_that_is_not_a_json_object_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    data = encode_data([receipt.order_id])  # type: ignore[arg-type]
    await assert_rejected(env, receipt, {"data": data, "signature": sign(PRIVATE_KEY, data)})


async def test_body_over_64k_is_refused_with_413(env: Env) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt))
    body = aiohttp.FormData({**form, "padding": "x" * MAX_CALLBACK_BYTES})
    before = await env.snapshot(receipt.id)
    resp = await env.client.post(CALLBACK_PATH, data=body)
    assert resp.status == 413
    assert await env.snapshot(receipt.id) == before


async def test_chunked_body_over_64k_is_refused_with_413(env: Env) -> None:
    """No Content-Length: the limit is enforced on what is actually read."""
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt))
    encoded = urlencode(form).encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield encoded
        for _ in range(5):
            yield b"&padding=" + b"x" * 16_384
            await asyncio.sleep(0)

    before = await env.snapshot(receipt.id)
    resp = await env.client.post(
        CALLBACK_PATH,
        data=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 413
    assert await env.snapshot(receipt.id) == before


async def test_genuine_body_arriving_in_pieces_is_read_whole(env: Env) -> None:
    """A callback split across TCP segments must not be judged on its first segment."""
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt))
    body = urlencode(form).encode()

    async def pieces() -> AsyncIterator[bytes]:
        yield body[:40]
        await asyncio.sleep(0.05)
        yield body[40:]

    resp = await env.client.post(
        CALLBACK_PATH,
        data=pieces(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 200
    assert (await env.receipt(receipt.id)).status is S.PAID


async def test_forged_callback_log_does_not_leak_the_private_key(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = await awaiting(env)
    status, _ = await env.post(signed_form(payment_payload(receipt), "forger-key"))
    assert status == 400
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("rejected" in r.getMessage() for r in warnings)
    assert PRIVATE_KEY not in caplog.text
    # not the expected signature either: it would let a reader forge callbacks
    expected = sign(PRIVATE_KEY, signed_form(payment_payload(receipt))["data"])
    assert expected not in caplog.text


# idempotency and ordering


async def test_duplicate_callback_changes_nothing_more(env: Env) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt))
    assert await env.post(form) == (200, {"result": "applied"})
    after_first = await env.snapshot(receipt.id)

    assert await env.post(form) == (200, {"result": "unchanged"})
    assert await env.snapshot(receipt.id) == after_first
    assert len(await outbox_rows(env.store, receipt.id)) == 2


async def test_concurrent_duplicates_apply_once(env: Env) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt))
    results = await asyncio.gather(*(env.post(form) for _ in range(5)))
    assert [status for status, _ in results] == [200] * 5
    paid_events = [
        e for e in await env.store.receipt_queries.events(receipt.id) if e.to_status is S.PAID
    ]
    assert len(paid_events) == 1
    assert len(await outbox_rows(env.store, receipt.id)) == 2


@pytest.mark.parametrize("late_status", ["processing", "invoice_wait", "failure", "error"])
async def test_stale_status_after_success_keeps_paid(env: Env, late_status: str) -> None:
    receipt = await awaiting(env)
    assert (await env.post(signed_form(payment_payload(receipt))))[0] == 200
    after_paid = await env.snapshot(receipt.id)

    status, body = await env.post(signed_form(payment_payload(receipt, late_status)))
    assert (status, body) == (200, {"result": "unchanged"})
    assert await env.snapshot(receipt.id) == after_paid
    assert (await env.receipt(receipt.id)).status is S.PAID


async def test_failure_before_success_fails_then_money_wins(env: Env) -> None:
    receipt = await awaiting(env)
    assert (await env.post(signed_form(payment_payload(receipt, "failure"))))[0] == 200
    assert (await env.receipt(receipt.id)).status is S.FAILED
    assert (await env.post(signed_form(payment_payload(receipt))))[0] == 200
    assert (await env.receipt(receipt.id)).status is S.PAID
    kinds = [r["kind"] for r in await outbox_rows(env.store, receipt.id)]
    assert kinds.count("failed") == 2
    assert kinds.count("paid") == 2  # a retry after a declined card is an ordinary payment


async def test_reversed_after_paid_is_refunded(env: Env) -> None:
    receipt = await awaiting(env)
    assert (await env.post(signed_form(payment_payload(receipt))))[0] == 200
    status, body = await env.post(signed_form(payment_payload(receipt, "reversed")))
    assert (status, body) == (200, {"result": "applied"})
    refunded = await env.receipt(receipt.id)
    assert refunded.status is S.REFUNDED
    last = (await env.store.receipt_queries.events(receipt.id))[-1]
    assert (last.from_status, last.to_status, last.source) == (
        S.PAID,
        S.REFUNDED,
        EventSource.CALLBACK,
    )
    refunds = [r for r in await outbox_rows(env.store, receipt.id) if r["kind"] == "refunded"]
    assert {r["chat_id"] for r in refunds} == {env.shop.cashier_id, env.shop.owner_id}


async def test_reversed_for_an_unpaid_receipt_changes_nothing(env: Env) -> None:
    receipt = await awaiting(env)
    before = await env.snapshot(receipt.id)
    assert await env.post(signed_form(payment_payload(receipt, "reversed"))) == (
        200,
        {"result": "unchanged"},
    )
    assert await env.snapshot(receipt.id) == before


@pytest.mark.parametrize("closed", [S.CANCELLED, S.EXPIRED])
async def test_late_payment_of_a_closed_receipt(env: Env, closed: ReceiptStatus) -> None:
    receipt = await awaiting(env, status=closed)
    assert (await env.post(signed_form(payment_payload(receipt))))[0] == 200
    paid = await env.receipt(receipt.id)
    assert paid.status is S.PAID
    assert paid.payment_id == "987654321"
    rows = await outbox_rows(env.store, receipt.id)
    assert kinds_by_chat(rows) == {
        (env.shop.cashier_id, "paid_late"),
        (env.shop.owner_id, "paid_late"),
    }


# money checks


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(1.0, "UAH"), (250.51, "UAH"), (250.49, "UAH"), (25050, "UAH"), (250.5, "USD")],
)
async def test_mismatch_is_flagged_not_paid(env: Env, amount: float, currency: str) -> None:
    receipt = await awaiting(env)
    payload = payment_payload(receipt, amount=amount, currency=currency)
    status, body = await env.post(signed_form(payload))

    assert (status, body) == (200, {"result": "applied"})
    flagged = await env.receipt(receipt.id)
    assert flagged.status is S.AWAITING
    assert flagged.paid_at is None
    assert flagged.flagged is not None
    assert flagged.mismatch == PaymentMismatch(from_wire(amount), currency, "987654321")
    rows = await outbox_rows(env.store, receipt.id)
    assert kinds_by_chat(rows) == {(env.shop.owner_id, "mismatch")}

    # LiqPay repeats the callback: no second alert
    assert await env.post(signed_form(payload)) == (200, {"result": "unchanged"})
    assert len(await outbox_rows(env.store, receipt.id)) == 1
    assert (await env.receipt(receipt.id)).status is S.AWAITING


async def test_amount_as_json_float_matches_in_kopecks(env: Env) -> None:
    receipt = await awaiting(env, amount=30)  # 0.30 UAH
    payload = payment_payload(receipt, amount=0.1 + 0.2)  # JSON: 0.30000000000000004
    assert "0.30000000000000004" in encode_data_text(payload)
    assert (await env.post(signed_form(payload)))[0] == 200
    paid = await env.receipt(receipt.id)
    assert paid.status is S.PAID
    assert paid.flagged is None


async def test_amount_as_integer_json_number_matches(env: Env) -> None:
    receipt = await awaiting(env, amount=25000)
    assert (await env.post(signed_form(payment_payload(receipt, amount=250))))[0] == 200
    assert (await env.receipt(receipt.id)).status is S.PAID


async def test_malformed_amount_is_rejected(env: Env) -> None:
    receipt = await awaiting(env)
    await assert_rejected(env, receipt, signed_form(payment_payload(receipt, amount="lots")))


async def test_callback_for_e_mail_invoice(env: Env) -> None:
    """The channel does not matter to a callback: an e-mailed invoice is paid the same way."""
    receipt = await awaiting(env, channel=Channel.EMAIL)
    assert (await env.post(signed_form(payment_payload(receipt))))[0] == 200
    assert (await env.receipt(receipt.id)).status is S.PAID


def encode_data_text(payload: dict[str, Any]) -> str:
    return base64.b64decode(encode_data(payload)).decode()


# the shop changes its LiqPay keys while invoices made with the old ones are out


async def test_old_invoices_are_checked_with_the_keys_they_were_made_with(
    env: Env, box: SecretBox
) -> None:
    receipt = await awaiting(env)
    await env.store.settings.save_keys(
        env.shop.shop_id, "sandbox_i999", box.encrypt("new-private"), True, env.clock()
    )

    forged = payment_payload(receipt, public_key="sandbox_i999")
    status, _ = await env.post(signed_form(forged, private_key="new-private"))
    assert status == 400  # the order was made with the old pair, not this one
    assert (await env.receipt(receipt.id)).status is S.AWAITING

    status, body = await env.post(signed_form(payment_payload(receipt)))
    assert (status, body) == (200, {"result": "applied"})
    assert (await env.receipt(receipt.id)).status is S.PAID


async def test_a_removed_cashier_is_no_longer_told(env: Env) -> None:
    receipt = await awaiting(env)
    await env.store.shops.remove_cashier(env.shop.shop_id, env.shop.cashier_id)
    status, _ = await env.post(signed_form(payment_payload(receipt)))
    assert status == 200
    assert kinds_by_chat(await outbox_rows(env.store, receipt.id)) == {(env.shop.owner_id, "paid")}
