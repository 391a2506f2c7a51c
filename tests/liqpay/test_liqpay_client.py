"""LiqPayClient over a real aiohttp session with aioresponses standing in for LiqPay."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aioresponses import aioresponses

from services.liqpay.answers import CancelAnswer, InvoiceAnswer, StatusAnswer
from services.liqpay.client import LiqPayClient, LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.liqpay.signing import verify
from services.liqpay.statuses import PaymentState, payment_state
from tests.doubles.liqpay_mock import (
    API_URL,
    PRIVATE,
    PUBLIC,
    REQUEST_URL,
    client_fixture,  # noqa: F401 (a fixture)
    creds,
    decoded,
    mocked_fixture,  # noqa: F401 (a fixture)
    sent_forms,
    session_fixture,  # noqa: F401 (a fixture)
)

KYIV = ZoneInfo("Europe/Kyiv")
# 14:30 in Kyiv (UTC+2 in winter) is 12:30 UTC.
EXPIRES_LOCAL = datetime(2026, 11, 28, 14, 30, 5, tzinfo=KYIV)
EXPIRES_UTC_TEXT = "2026-11-28 12:30:05"
CALLBACK = "https://shop.example/liqpay/callback"


def only_form(m: aioresponses) -> dict[str, str]:
    forms = sent_forms(m)
    assert len(forms) == 1
    return forms[0]


INVOICE_OK = {
    "result": "ok",
    "status": "invoice_wait",
    "href": "https://liqpay.ua/apipay/invoice/abc123",
    "id": 987654,
    "token": "abc123",
    "order_id": "shop1-42",
    "amount": 250.5,
    "currency": "UAH",
    "description": "Receipt 42",
    "receiver_type": "email",
    "receiver_value": "buyer@example.com",
}


# invoice_send


@pytest.mark.parametrize("version", [3, 7])
async def test_invoice_send_by_email(
    client: LiqPayClient, mocked: aioresponses, version: int
) -> None:
    mocked.post(REQUEST_URL, payload=INVOICE_OK)
    answer = await client.invoice_send(
        creds(version),
        order_id="shop1-42",
        amount=25050,
        currency="UAH",
        description="Receipt 42",
        expires_at=EXPIRES_LOCAL,
        email="buyer@example.com",
        server_url=CALLBACK,
        language="uk",
    )
    payload = decoded(only_form(mocked), version)
    assert payload == {
        "version": version,
        "public_key": PUBLIC,
        "action": "invoice_send",
        "amount": "250.5",
        "currency": "UAH",
        "description": "Receipt 42",
        "order_id": "shop1-42",
        "email": "buyer@example.com",
        "expired_date": EXPIRES_UTC_TEXT,
        "server_url": CALLBACK,
        "language": "uk",
    }
    assert isinstance(answer, InvoiceAnswer)
    assert answer.status == "invoice_wait"
    assert answer.href == "https://liqpay.ua/apipay/invoice/abc123"
    assert answer.token == "abc123"
    assert answer.id == 987654
    assert answer.amount == Decimal("250.5")
    assert answer.model_extra == {
        "description": "Receipt 42",
        "receiver_type": "email",
        "receiver_value": "buyer@example.com",
    }


@pytest.mark.parametrize("version", [3, 7])
async def test_invoice_send_by_phone(
    client: LiqPayClient, mocked: aioresponses, version: int
) -> None:
    mocked.post(REQUEST_URL, payload={**INVOICE_OK, "receiver_type": "phone"})
    answer = await client.invoice_send(
        creds(version),
        order_id="shop1-43",
        amount=100,
        currency="EUR",
        description="Опис ґудзиків",
        expires_at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
        phone="380501234567",
    )
    payload = decoded(only_form(mocked), version)
    assert payload == {
        "version": version,
        "public_key": PUBLIC,
        "action": "invoice_send",
        "amount": "1",
        "currency": "EUR",
        "description": "Опис ґудзиків",
        "order_id": "shop1-43",
        "phone": "380501234567",
        "expired_date": "2026-12-01 00:00:00",
    }
    assert "email" not in payload
    assert answer.model_extra is not None
    assert answer.model_extra["receiver_type"] == "phone"


@pytest.mark.parametrize(("kopecks", "wire"), [(25050, "250.5"), (1, "0.01"), (25000, "250")])
async def test_invoice_send_amount_is_exact_text(
    client: LiqPayClient, mocked: aioresponses, kopecks: int, wire: str
) -> None:
    mocked.post(REQUEST_URL, payload=INVOICE_OK)
    await client.invoice_send(
        creds(),
        order_id="o",
        amount=kopecks,
        currency="UAH",
        description="d",
        expires_at=EXPIRES_LOCAL,
        email="a@example.com",
    )
    assert decoded(only_form(mocked), 3)["amount"] == wire


@pytest.mark.parametrize("contacts", [{}, {"email": "a@example.com", "phone": "380501234567"}])
async def test_invoice_send_needs_exactly_one_contact(
    client: LiqPayClient, mocked: aioresponses, contacts: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        await client.invoice_send(
            creds(),
            order_id="o",
            amount=100,
            currency="UAH",
            description="d",
            expires_at=EXPIRES_LOCAL,
            **contacts,
        )
    assert sent_forms(mocked) == []


async def test_invoice_send_is_sent_once_on_503(client: LiqPayClient, mocked: aioresponses) -> None:
    mocked.post(REQUEST_URL, status=503, body="Service Unavailable", repeat=True)
    with pytest.raises(LiqPayUnavailable):
        await client.invoice_send(
            creds(),
            order_id="o",
            amount=100,
            currency="UAH",
            description="d",
            expires_at=EXPIRES_LOCAL,
            email="a@example.com",
        )
    assert len(sent_forms(mocked)) == 1


# invoice_cancel


@pytest.mark.parametrize("version", [3, 7])
async def test_invoice_cancel(client: LiqPayClient, mocked: aioresponses, version: int) -> None:
    mocked.post(REQUEST_URL, payload={"result": "ok", "invoice_id": 987654, "extra": "x"})
    answer = await client.invoice_cancel(creds(version), "shop1-42")
    assert decoded(only_form(mocked), version) == {
        "version": version,
        "public_key": PUBLIC,
        "action": "invoice_cancel",
        "order_id": "shop1-42",
    }
    assert isinstance(answer, CancelAnswer)
    assert answer.result == "ok"
    assert answer.invoice_id == 987654
    assert answer.model_extra == {"extra": "x"}


# status

STATUS_OK = {
    "result": "ok",
    "status": "success",
    "payment_id": 1234567,
    "order_id": "shop1-42",
    "liqpay_order_id": "ABC123",
    "amount": 250.5,
    "currency": "UAH",
    "paytype": "card",
    "sender_card_mask2": "424242*42",
    "sender_card_bank": "Test Bank",
    "create_date": 1795000000000,
    "end_date": 1795000060000,
    "transaction_id": 555,
}


@pytest.mark.parametrize("version", [3, 7])
async def test_status(client: LiqPayClient, mocked: aioresponses, version: int) -> None:
    mocked.post(REQUEST_URL, payload=STATUS_OK)
    answer = await client.status(creds(version), "shop1-42")
    assert decoded(only_form(mocked), version) == {
        "version": version,
        "public_key": PUBLIC,
        "action": "status",
        "order_id": "shop1-42",
    }
    assert isinstance(answer, StatusAnswer)
    assert answer.status == "success"
    assert answer.payment_id == 1234567
    assert answer.amount == Decimal("250.5")
    assert isinstance(answer.amount, Decimal)
    assert answer.sender_card_mask2 == "424242*42"
    assert answer.paid_at == datetime.fromtimestamp(1795000060, UTC)
    assert answer.sender_card_bank == "Test Bank"  # printed on the fiscal receipt
    assert answer.model_extra == {"liqpay_order_id": "ABC123", "transaction_id": 555}


@pytest.mark.parametrize("result", ["ok", "error"])
async def test_status_of_failed_payment_is_not_a_refusal(
    client: LiqPayClient, mocked: aioresponses, result: str
) -> None:
    mocked.post(
        REQUEST_URL,
        payload={
            "result": result,
            "status": "failure",
            "err_code": "limit",
            "err_description": "Превышен лимит",
            "payment_id": 777,
            "order_id": "shop1-42",
            "amount": 10,
            "currency": "UAH",
        },
    )
    answer = await client.status(creds(), "shop1-42")
    assert answer.status == "failure"
    assert answer.err_code == "limit"
    assert answer.payment_id == 777
    assert len(sent_forms(mocked)) == 1


async def test_status_retried_on_503_then_succeeds(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    mocked.post(REQUEST_URL, status=503, body="busy")
    mocked.post(REQUEST_URL, payload=STATUS_OK)
    answer = await client.status(creds(), "shop1-42")
    assert answer.status == "success"
    forms = sent_forms(mocked)
    assert len(forms) == 2
    assert forms[0] == forms[1]  # the same signed request repeated


async def test_status_gives_up_after_its_attempts(
    session: aiohttp.ClientSession, mocked: aioresponses
) -> None:
    client = LiqPayClient(session, API_URL, status_attempts=3, retry_delay=0)
    mocked.post(REQUEST_URL, status=503, body="busy", repeat=True)
    with pytest.raises(LiqPayUnavailable):
        await client.status(creds(), "shop1-42")
    assert len(sent_forms(mocked)) == 3


async def test_status_is_not_retried_on_refusal(client: LiqPayClient, mocked: aioresponses) -> None:
    mocked.post(
        REQUEST_URL,
        payload={"result": "error", "status": "error", "err_code": "payment_not_found"},
        repeat=True,
    )
    with pytest.raises(PaymentNotFound):
        await client.status(creds(), "shop1-42")
    assert len(sent_forms(mocked)) == 1


# refusals


async def test_error_answer_raises_refused_with_code_and_description(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    mocked.post(
        REQUEST_URL,
        payload={
            "result": "error",
            "status": "error",
            "err_code": "invalid_signature",
            "err_description": "Неверная подпись",
        },
    )
    with pytest.raises(LiqPayRefused) as caught:
        await client.invoice_cancel(creds(), "shop1-42")
    assert type(caught.value) is LiqPayRefused
    assert caught.value.err_code == "invalid_signature"
    assert caught.value.err_description == "Неверная подпись"


async def test_payment_not_found_raises_its_own_type(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    mocked.post(
        REQUEST_URL,
        payload={
            "result": "error",
            "status": "error",
            "err_code": "payment_not_found",
            "err_description": "Платеж не найден",
        },
    )
    with pytest.raises(PaymentNotFound) as caught:
        await client.status(creds(), "shop1-42")
    assert caught.value.err_code == "payment_not_found"
    assert caught.value.err_description == "Платеж не найден"
    assert isinstance(caught.value, LiqPayRefused)


async def test_error_answer_on_http_400_is_a_refusal(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    mocked.post(
        REQUEST_URL,
        status=400,
        payload={"result": "error", "status": "error", "err_code": "public_key_not_found"},
    )
    with pytest.raises(LiqPayRefused) as caught:
        await client.invoice_cancel(creds(), "o")
    assert caught.value.err_code == "public_key_not_found"


async def test_order_id_duplicate_on_invoice_send(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    mocked.post(
        REQUEST_URL,
        payload={"result": "error", "status": "error", "err_code": "order_id_duplicate"},
    )
    with pytest.raises(LiqPayRefused) as caught:
        await client.invoice_send(
            creds(),
            order_id="o",
            amount=100,
            currency="UAH",
            description="d",
            expires_at=EXPIRES_LOCAL,
            phone="380501234567",
        )
    assert caught.value.err_code == "order_id_duplicate"


# unavailability


def _unavailable_cases() -> list[Any]:
    return [
        pytest.param({"status": 503, "body": "Service Unavailable"}, id="503"),
        pytest.param({"status": 502, "payload": {"result": "ok"}}, id="502-json"),
        # asyncio.TimeoutError is TimeoutError since Python 3.11.
        pytest.param({"exception": TimeoutError()}, id="timeout"),
        pytest.param(
            {"exception": aiohttp.ClientConnectionError("connection refused")}, id="connection"
        ),
        pytest.param(
            {"status": 200, "body": "<html><body>Cloudflare</body></html>"}, id="html-body"
        ),
        pytest.param({"status": 200, "body": "[1, 2]"}, id="json-list"),
        pytest.param({"status": 404, "payload": {"result": "ok"}}, id="404-not-refusal"),
    ]


@pytest.mark.parametrize("response", _unavailable_cases())
async def test_unavailable_answers(
    session: aiohttp.ClientSession, mocked: aioresponses, response: dict[str, Any]
) -> None:
    client = LiqPayClient(session, API_URL, status_attempts=1, retry_delay=0)
    mocked.post(REQUEST_URL, repeat=True, **response)
    with pytest.raises(LiqPayUnavailable):
        await client.status(creds(), "o")
    with pytest.raises(LiqPayUnavailable):
        await client.invoice_cancel(creds(), "o")
    with pytest.raises(LiqPayUnavailable):
        await client.invoice_send(
            creds(),
            order_id="o",
            amount=100,
            currency="UAH",
            description="d",
            expires_at=EXPIRES_LOCAL,
            email="a@example.com",
        )
    assert len(sent_forms(mocked)) == 3


async def test_answer_of_unexpected_shape_is_unavailable(
    client: LiqPayClient, mocked: aioresponses
) -> None:
    mocked.post(REQUEST_URL, payload={"result": "ok", "status": "success", "amount": "lots"})
    with pytest.raises(LiqPayUnavailable):
        await client.status(creds(), "o")


# checkout link


@pytest.mark.parametrize("version", [3, 7])
async def test_checkout_url(client: LiqPayClient, mocked: aioresponses, version: int) -> None:
    url = client.checkout_url(
        creds(version),
        order_id="shop1-44",
        amount=125050,
        currency="UAH",
        description="Receipt 44 & more",
        expires_at=EXPIRES_LOCAL,
        server_url=CALLBACK,
        language="en",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://lp.test/api/3/checkout"
    query = parse_qs(parts.query, strict_parsing=True)
    assert set(query) == {"data", "signature"}
    data, signature = query["data"][0], query["signature"][0]
    payload = verify(PRIVATE, data, signature)
    assert payload == {
        "version": version,
        "public_key": PUBLIC,
        "action": "pay",
        "amount": "1250.5",
        "currency": "UAH",
        "description": "Receipt 44 & more",
        "order_id": "shop1-44",
        "expired_date": EXPIRES_UTC_TEXT,
        "server_url": CALLBACK,
        "language": "en",
    }
    assert sent_forms(mocked) == []  # a link costs no server call


def test_api_url_without_trailing_slash(session: aiohttp.ClientSession) -> None:
    client = LiqPayClient(session, "https://lp.test/api")
    assert client.request_url == REQUEST_URL
    assert client.checkout_base == "https://lp.test/api/3/checkout"


# payment_state

PAID = ["success", "sandbox", "wait_compensation", "wait_accept"]
AWAITING = [
    "invoice_wait", "processing", "prepared", "cash_wait", "hold_wait", "wait_secure",
    "wait_reserve", "wait_lc", "wait_card", "wait_qr", "wait_sender", "try_again",
    "3ds_verify", "otp_verify", "cvv_verify", "p24_verify", "phone_verify", "pin_verify",
    "ivr_verify", "captcha_verify", "password_verify", "sender_verify", "receiver_verify",
    "senderapp_verify", "mp_verify",
]  # fmt: skip
FAILED = ["failure", "error"]
REFUNDED = ["reversed"]


@pytest.mark.parametrize(
    ("status", "state"),
    [(s, PaymentState.PAID) for s in PAID]
    + [(s, PaymentState.AWAITING) for s in AWAITING]
    + [(s, PaymentState.FAILED) for s in FAILED]
    + [(s, PaymentState.REFUNDED) for s in REFUNDED],
)
def test_payment_state_of_listed_statuses(
    status: str, state: PaymentState, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="services.liqpay.client"):
        assert payment_state(status) is state
    assert caplog.records == []  # listed statuses are not "unknown"


def test_payment_state_of_unknown_status_is_awaiting_with_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="services.liqpay.client"):
        assert payment_state("brand_new_status") is PaymentState.AWAITING
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "brand_new_status" in warnings[0].getMessage()
