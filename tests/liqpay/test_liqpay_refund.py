"""LiqPayClient.refund and the refund fields of a status answer, against aioresponses."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from services.liqpay.answers import RefundAnswer, payload_refunded_at, payload_refunded_kopecks
from services.liqpay.client import LiqPayClient, LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from tests.doubles.liqpay_mock import (
    PRIVATE,
    PUBLIC,
    REQUEST_URL,
    client_fixture,  # noqa: F401 (a fixture)
    creds,
    mocked_fixture,  # noqa: F401 (a fixture)
    sent,
    session_fixture,  # noqa: F401 (a fixture)
)

REVERSED = {
    "result": "ok",
    "action": "refund",
    "payment_id": 1234567,
    "status": "reversed",
    "wait_amount": False,
}


@pytest.mark.parametrize("version", [3, 7])
async def test_full_refund(client: LiqPayClient, mocked: aioresponses, version: int) -> None:
    mocked.post(REQUEST_URL, payload=REVERSED)
    answer = await client.refund(creds(version), order_id="shop1-42", amount=25050)
    assert sent(mocked, version) == [
        {
            "version": version,
            "public_key": PUBLIC,
            "action": "refund",
            "order_id": "shop1-42",
            "amount": "250.5",
        }
    ]
    assert isinstance(answer, RefundAnswer)
    assert answer.refunded
    assert answer.status == "reversed"
    assert answer.payment_id == 1234567
    assert answer.wait_amount is False
    assert answer.action == "refund"


@pytest.mark.parametrize(("kopecks", "wire"), [(1, "0.01"), (10000, "100"), (12345, "123.45")])
async def test_amount_is_exact_wire_text(
    client: LiqPayClient, mocked: aioresponses, kopecks: int, wire: str
) -> None:
    mocked.post(REQUEST_URL, payload=REVERSED)
    await client.refund(creds(), order_id="o", amount=kopecks)
    assert sent(mocked)[0]["amount"] == wire


async def test_paid_out_of_future_payments(client: LiqPayClient, mocked: aioresponses) -> None:
    mocked.post(REQUEST_URL, payload={**REVERSED, "wait_amount": True})
    answer = await client.refund(creds(), order_id="o", amount=100)
    assert answer.refunded
    assert answer.wait_amount is True


@pytest.mark.parametrize("amount", [0, -5, True, 1.5, Decimal("2")])
async def test_amount_must_be_positive_kopecks(
    client: LiqPayClient, mocked: aioresponses, amount: Any
) -> None:
    with pytest.raises(ValueError, match="positive number of kopecks"):
        await client.refund(creds(), order_id="o", amount=amount)
    assert sent(mocked) == []


@pytest.mark.parametrize(
    "response",
    [
        pytest.param({"exception": TimeoutError()}, id="timeout"),
        pytest.param({"status": 503, "body": "busy"}, id="503"),
        pytest.param({"exception": aiohttp.ClientConnectionError("reset")}, id="connection"),
        pytest.param({"status": 200, "body": "<html>gateway</html>"}, id="html"),
        pytest.param({"status": 200, "payload": {**REVERSED, "wait_amount": "x"}}, id="shape"),
    ],
)
async def test_never_retried_when_the_outcome_is_unknown(
    client: LiqPayClient, mocked: aioresponses, response: dict[str, Any]
) -> None:
    """A lost answer may hide a refund that was made: the caller asks `status` first."""
    mocked.post(REQUEST_URL, repeat=True, **response)
    with pytest.raises(LiqPayUnavailable):
        await client.refund(creds(), order_id="o", amount=100)
    assert len(sent(mocked)) == 1


@pytest.mark.parametrize(
    "answer",
    [
        {"result": "error", "status": "error", "err_code": "err_wrong_amount"},
        # a failure that names the payment is still no refund
        {
            "result": "error",
            "status": "failure",
            "err_code": "err_wrong_amount",
            "err_description": "Сума повернення більша за суму платежу",
            "payment_id": 1234567,
            "action": "refund",
        },
        {"result": "ok", "status": "error", "err_code": "err_wrong_amount", "payment_id": 1},
        {"result": "error", "err_code": "err_wrong_amount", "payment_id": 1},
    ],
)
async def test_refusal(client: LiqPayClient, mocked: aioresponses, answer: dict[str, Any]) -> None:
    mocked.post(REQUEST_URL, payload=answer, repeat=True)
    with pytest.raises(LiqPayRefused) as caught:
        await client.refund(creds(), order_id="o", amount=100)
    assert caught.value.err_code == "err_wrong_amount"
    assert len(sent(mocked)) == 1


async def test_refund_of_an_unknown_order(client: LiqPayClient, mocked: aioresponses) -> None:
    mocked.post(
        REQUEST_URL,
        payload={"result": "error", "status": "error", "err_code": "payment_not_found"},
    )
    with pytest.raises(PaymentNotFound):
        await client.refund(creds(), order_id="o", amount=100)


async def test_reversed_wins_over_a_contradictory_result(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    """Calling a made refund refused would invite a second one."""
    mocked.post(REQUEST_URL, payload={**REVERSED, "result": "error", "payment_id": 1})
    answer = await client.refund(creds(), order_id="o", amount=100)
    assert answer.refunded


async def test_a_refund_under_way_is_returned_not_refused(
    client: LiqPayClient, mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(REQUEST_URL, payload={**REVERSED, "status": "wait_reserve"})
    with caplog.at_level(logging.WARNING, logger="services.liqpay.client"):
        answer = await client.refund(creds(), order_id="o", amount=100)
    assert not answer.refunded
    assert answer.status == "wait_reserve"
    assert any("wait_reserve" in r.getMessage() for r in caplog.records)


async def test_refund_logs_no_secret(
    client: LiqPayClient, mocked: aioresponses, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(REQUEST_URL, payload={**REVERSED, "status": "processing"})
    with caplog.at_level(logging.DEBUG):
        await client.refund(creds(), order_id="o", amount=100)
    assert PRIVATE not in caplog.text


# status answers after a refund

STATUS_PARTLY_REFUNDED = {
    "result": "ok",
    "status": "success",
    "payment_id": 1234567,
    "order_id": "shop1-42",
    "amount": 250.5,
    "currency": "UAH",
    "refund_amount": 100.1,
    "refund_date_last": 1795000120000,
}


async def test_status_carries_the_refunded_sum(client: LiqPayClient, mocked: aioresponses) -> None:
    mocked.post(REQUEST_URL, payload=STATUS_PARTLY_REFUNDED)
    answer = await client.status(creds(), "shop1-42")
    assert answer.status == "success"
    assert answer.refund_amount == Decimal("100.1")
    assert answer.refunded_kopecks == 10010
    assert answer.refunded_at == datetime.fromtimestamp(1795000120, UTC)
    assert "refund_amount" not in (answer.model_extra or {})


async def test_status_without_a_refund(client: LiqPayClient, mocked: aioresponses) -> None:
    mocked.post(REQUEST_URL, payload={**STATUS_PARTLY_REFUNDED, "refund_amount": None})
    payload = {k: v for k, v in STATUS_PARTLY_REFUNDED.items() if not k.startswith("refund")}
    mocked.post(REQUEST_URL, payload=payload)
    for _ in range(2):
        answer = await client.status(creds(), "shop1-42")
        assert answer.refunded_kopecks == 0
    assert answer.refunded_at is None


@pytest.mark.parametrize(
    ("payload", "kopecks"),
    [
        ({}, 0),
        ({"refund_amount": None}, 0),
        ({"refund_amount": ""}, 0),
        ({"refund_amount": Decimal("250.5")}, 25050),
        ({"refund_amount": 0.1}, 10),
        ({"refund_amount": "7"}, 700),
    ],
)
def test_payload_refunded_kopecks(payload: dict[str, Any], kopecks: int) -> None:
    assert payload_refunded_kopecks(payload) == kopecks


def test_payload_refunded_kopecks_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        payload_refunded_kopecks({"refund_amount": "lots"})


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        (1795000120000, datetime.fromtimestamp(1795000120, UTC)),
        ("1795000120000", datetime.fromtimestamp(1795000120, UTC)),
        (None, None),
        ("2026-11-27 12:00:00", None),
        (0, None),
        (True, None),
    ],
)
def test_payload_refunded_at(value: Any, moment: datetime | None) -> None:
    assert payload_refunded_at({"refund_date_last": value}) == moment


@pytest.mark.parametrize(
    ("answer", "total", "covers"),
    [
        ({"result": "ok", "status": "success", "refund_amount": 100}, 10000, True),
        ({"result": "ok", "status": "success", "refund_amount": 150.5}, 10000, True),
        ({"result": "ok", "status": "success", "refund_amount": 50}, 10000, False),
        ({"result": "ok", "status": "success"}, 10000, False),
        ({"result": "ok", "status": "success", "refund_amount": 0}, 100, False),
        ({"result": "ok", "status": "wait_reserve", "refund_amount": 100}, 10000, False),
        ({"result": "error", "status": "success", "refund_amount": 100}, 10000, False),
        ({"status": "success", "refund_amount": 100}, 10000, False),
    ],
)
def test_a_partial_refund_answered_success_covers_its_sum(
    answer: dict[str, Any], total: int, covers: bool
) -> None:
    assert RefundAnswer.model_validate(answer).covers(total) is covers


async def test_a_partial_refund_answered_success_is_returned(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    partial = {**REVERSED, "status": "success", "refund_amount": 100}
    mocked.post(REQUEST_URL, payload=partial)
    answer = await client.refund(creds(), order_id="o-1", amount=10000)
    assert not answer.refunded
    assert answer.covers(10000)
    assert answer.refunded_kopecks == 10000
