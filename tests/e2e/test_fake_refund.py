"""LiqPayClient.refund against the LiqPay stand-in, in-process: full and partial refunds,
over-refunds, and the lost answers after which the caller must ask `status` first."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web

from services.liqpay.client import LiqPayClient, LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.liqpay.signing import verify
from tests.doubles.liqpay import SANDBOX_PRIVATE, SANDBOX_PUBLIC, FakeLiqPay, sandbox_creds


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(fake_liqpay: FakeLiqPay, http: aiohttp.ClientSession) -> LiqPayClient:
    fake_liqpay.add_keys(SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    return LiqPayClient(http, fake_liqpay.api_url, timeout=0.5, retry_delay=0.01)


async def paid_order(
    fake: FakeLiqPay,
    client: LiqPayClient,
    order_id: str = "o-1",
    kopecks: int = 25050,
    version: int = 3,
) -> None:
    await client.invoice_send(
        sandbox_creds(version),
        order_id=order_id,
        amount=kopecks,
        currency="UAH",
        description="Ґудзики",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        email="a@example.com",
    )
    await fake.pay(order_id)


@pytest.mark.parametrize("version", [3, 7])
async def test_full_refund_turns_the_payment_reversed(
    fake_liqpay: FakeLiqPay, client: LiqPayClient, version: int
) -> None:
    await paid_order(fake_liqpay, client, version=version)
    answer = await client.refund(sandbox_creds(version), order_id="o-1", amount=25050)
    assert answer.refunded
    assert answer.wait_amount is False
    assert answer.payment_id == fake_liqpay.order("o-1").payment_id
    request = fake_liqpay.requests_for("refund")[0]
    assert request.signature_ok
    assert request.payload["amount"] == "250.5"
    status = await client.status(sandbox_creds(version), "o-1")
    assert status.status == "reversed"
    assert status.refunded_kopecks == 25050
    assert status.refunded_at is not None
    assert [(r.order_id, r.amount, r.source) for r in fake_liqpay.refunds] == [
        ("o-1", Decimal("250.5"), "api")
    ]


async def test_partial_then_the_rest(fake_liqpay: FakeLiqPay, client: LiqPayClient) -> None:
    await paid_order(fake_liqpay, client)
    assert (await client.refund(sandbox_creds(), order_id="o-1", amount=10000)).refunded
    status = await client.status(sandbox_creds(), "o-1")
    assert status.status == "success"  # as clients observe after a partial refund
    assert status.refunded_kopecks == 10000
    with pytest.raises(LiqPayRefused) as over:
        await client.refund(sandbox_creds(), order_id="o-1", amount=15051)  # 1 kopeck too many
    assert over.value.err_code == "err_wrong_amount"
    assert (await client.refund(sandbox_creds(), order_id="o-1", amount=15050)).refunded
    status = await client.status(sandbox_creds(), "o-1")
    assert status.status == "reversed"
    assert status.refunded_kopecks == 25050
    with pytest.raises(LiqPayRefused):
        await client.refund(sandbox_creds(), order_id="o-1", amount=1)
    assert [r.amount for r in fake_liqpay.refunds] == [Decimal(100), Decimal("150.5")]
    assert len(fake_liqpay.requests_for("refund")) == 4


async def test_over_refund_is_refused_and_changes_nothing(
    fake_liqpay: FakeLiqPay, client: LiqPayClient
) -> None:
    await paid_order(fake_liqpay, client)
    fake_liqpay.over_refund_err_code = "err_amount_limit"
    with pytest.raises(LiqPayRefused) as over:
        await client.refund(sandbox_creds(), order_id="o-1", amount=25051)
    assert over.value.err_code == "err_amount_limit"
    assert fake_liqpay.refunds == []
    status = await client.status(sandbox_creds(), "o-1")
    assert status.status == "success"
    assert status.refunded_kopecks == 0


async def test_unpaid_and_unknown_orders_are_refused(
    fake_liqpay: FakeLiqPay, client: LiqPayClient
) -> None:
    await client.invoice_send(
        sandbox_creds(),
        order_id="o-2",
        amount=100,
        currency="UAH",
        description="x",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        email="a@example.com",
    )
    with pytest.raises(PaymentNotFound):
        await client.refund(sandbox_creds(), order_id="o-2", amount=100)  # nobody paid yet
    await fake_liqpay.pay("o-2", status="failure")
    with pytest.raises(LiqPayRefused) as failed:
        await client.refund(sandbox_creds(), order_id="o-2", amount=100)
    assert failed.value.err_code == "err_payment_status"
    with pytest.raises(PaymentNotFound):
        await client.refund(sandbox_creds(), order_id="nope", amount=100)
    assert fake_liqpay.refunds == []


async def test_a_hung_refund_is_not_repeated_and_status_tells_it_was_made(
    fake_liqpay: FakeLiqPay, client: LiqPayClient
) -> None:
    await paid_order(fake_liqpay, client)
    fake_liqpay.hang_next_refund(10)
    began = time.monotonic()
    with pytest.raises(LiqPayUnavailable):
        await client.refund(sandbox_creds(), order_id="o-1", amount=5000)
    assert time.monotonic() - began < 5  # the client's own timeout, not the hang
    assert len(fake_liqpay.requests_for("refund")) == 1
    # what the caller does next: ask status, see the refund, don't send another
    status = await client.status(sandbox_creds(), "o-1")
    assert status.refunded_kopecks == 5000
    assert [r.amount for r in fake_liqpay.refunds] == [Decimal(50)]


async def test_a_hung_refund_that_was_not_made(
    fake_liqpay: FakeLiqPay, client: LiqPayClient
) -> None:
    await paid_order(fake_liqpay, client)
    fake_liqpay.hang_next_refund(10, applied=False)
    with pytest.raises(LiqPayUnavailable):
        await client.refund(sandbox_creds(), order_id="o-1", amount=5000)
    assert (await client.status(sandbox_creds(), "o-1")).refunded_kopecks == 0
    assert fake_liqpay.refunds == []
    # only now is it safe to send it again, and that one goes through
    assert (await client.refund(sandbox_creds(), order_id="o-1", amount=5000)).refunded
    assert len(fake_liqpay.refunds) == 1


@pytest.mark.parametrize("applied", [False, True])
async def test_a_failed_refund_answer(
    fake_liqpay: FakeLiqPay, client: LiqPayClient, applied: bool
) -> None:
    await paid_order(fake_liqpay, client)
    fake_liqpay.fail_next_refund(503, applied=applied)
    with pytest.raises(LiqPayUnavailable):
        await client.refund(sandbox_creds(), order_id="o-1", amount=25050)
    assert len(fake_liqpay.requests_for("refund")) == 1
    status = await client.status(sandbox_creds(), "o-1")  # the fault hits only the refund
    assert status.refunded_kopecks == (25050 if applied else 0)
    assert status.status == ("reversed" if applied else "success")


async def test_a_refund_fault_waits_for_a_refund(
    fake_liqpay: FakeLiqPay, client: LiqPayClient
) -> None:
    await paid_order(fake_liqpay, client)
    fake_liqpay.fail_next_refund(503)
    assert (await client.status(sandbox_creds(), "o-1")).status == "success"  # not this one
    with pytest.raises(LiqPayUnavailable):
        await client.refund(sandbox_creds(), order_id="o-1", amount=100)
    assert (await client.refund(sandbox_creds(), order_id="o-1", amount=100)).refunded


async def test_refund_without_an_amount_takes_what_is_left(
    fake_liqpay: FakeLiqPay, client: LiqPayClient, http: aiohttp.ClientSession
) -> None:
    await paid_order(fake_liqpay, client)
    await client.refund(sandbox_creds(), order_id="o-1", amount=50)
    payload = {"version": 3, "public_key": SANDBOX_PUBLIC, "action": "refund", "order_id": "o-1"}
    async with http.post(
        fake_liqpay.api_url + "request", data=client.signed_form(sandbox_creds(), payload)
    ) as resp:
        answer = await resp.json()
    assert answer["status"] == "reversed"
    assert [r.amount for r in fake_liqpay.refunds] == [Decimal("0.5"), Decimal(250)]


async def test_refunds_call_back_with_the_refunded_sum(
    fake_liqpay: FakeLiqPay, client: LiqPayClient
) -> None:
    received: list[dict[str, str]] = []

    async def callback(request: web.Request) -> web.Response:
        form = await request.post()
        received.append({k: str(v) for k, v in form.items()})
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/cb", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/cb"
    try:
        await client.invoice_send(
            sandbox_creds(7),
            order_id="o-3",
            amount=1000,
            currency="UAH",
            description="x",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
            email="a@example.com",
            server_url=url,
        )
        await fake_liqpay.pay("o-3")
        assert len(received) == 1
        await client.refund(sandbox_creds(7), order_id="o-3", amount=400)
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.02)
        partial = verify(SANDBOX_PRIVATE, received[1]["data"], received[1]["signature"])
        assert partial["status"] == "success"
        assert partial["refund_amount"] == Decimal(4)
        assert partial["refund_date_last"] > 0
        # the rest from the cabinet
        assert await fake_liqpay.refund("o-3") == 200
        full = verify(SANDBOX_PRIVATE, received[2]["data"], received[2]["signature"])
        assert full["status"] == "reversed"
        assert full["refund_amount"] == Decimal(10)
        assert [r.source for r in fake_liqpay.refunds] == ["api", "cabinet"]
    finally:
        await runner.cleanup()


async def test_cabinet_partial_refund(fake_liqpay: FakeLiqPay, client: LiqPayClient) -> None:
    await paid_order(fake_liqpay, client)
    assert await fake_liqpay.refund("o-1", amount="0.5") is None  # no server_url
    status = await client.status(sandbox_creds(), "o-1")
    assert (status.status, status.refunded_kopecks) == ("success", 50)
    with pytest.raises(AssertionError):
        await fake_liqpay.refund("o-1", amount=251)


@pytest.mark.parametrize(("told", "kopecks"), [("cumulative", 15000), ("this", 5000)])
async def test_a_partial_refund_may_be_answered_success(
    fake_liqpay: FakeLiqPay, client: LiqPayClient, told: str, kopecks: int
) -> None:
    fake_liqpay.partial_refund_status = "success"
    fake_liqpay.refund_answer_amount = told
    await paid_order(fake_liqpay, client)
    await client.refund(sandbox_creds(), order_id="o-1", amount=10000)
    answer = await client.refund(sandbox_creds(), order_id="o-1", amount=5000)
    assert (answer.result, answer.status, answer.refunded_kopecks) == ("ok", "success", kopecks)
    assert (await client.refund(sandbox_creds(), order_id="o-1", amount=10050)).refunded  # the rest
