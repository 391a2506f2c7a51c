"""LiqPay's /api/request behind aioresponses: the one place tests mock LiqPay's HTTP.

`MockedLiqPay` answers status and cancel requests per order for the services' tests;
`liqpay_answer` scripts one answer for the handler tests (tests/bot_fixtures.py); the
LiqPay client's own unit tests use `mocked`, `sent_forms` and `decoded`."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aioresponses import CallbackResult, aioresponses
from pydantic import SecretStr
from yarl import URL

from services.liqpay.client import LiqPayClient
from services.liqpay.signing import Credentials, decode_data, sign, verify
from storage.models.receipts import Receipt
from tests.builders import PRIVATE_KEY, payment_payload
from tests.doubles.http_mock import answer

API_URL = "https://lp.test/api/"
REQUEST_URL = API_URL + "request"
NOT_FOUND = {
    "result": "error",
    "status": "error",
    "err_code": "payment_not_found",
    "err_description": "payment not found",
}


@dataclass
class MockedLiqPay:
    """LiqPay's /api/request behind aioresponses. Checks each request's signature, records
    the decoded payloads, answers `status` per order (default: payment_not_found)."""

    mock: aioresponses
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: set[str] = field(default_factory=set)  # actions answered with HTTP 503
    cancel_answer: dict[str, Any] = field(
        default_factory=lambda: {"result": "ok", "invoice_id": 4242}
    )
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.mock.post(REQUEST_URL, callback=self._answer, repeat=True)

    def _answer(self, url: Any, **kwargs: Any) -> CallbackResult:
        form = kwargs["data"]
        payload = verify(PRIVATE_KEY, form["data"], form["signature"])
        assert payload == decode_data(form["data"])
        self.requests.append(payload)
        action = payload["action"]
        if action in self.unavailable:
            return answer(503, body="Service Unavailable")
        if action == "status":
            return answer(payload=self.statuses.get(payload["order_id"], NOT_FOUND))
        if action == "invoice_cancel":
            return answer(payload=self.cancel_answer)
        return answer(400, payload={"result": "error", "err_code": "err_api_action"})

    def actions(self, order_id: str | None = None) -> list[str]:
        return [r["action"] for r in self.requests if order_id is None or r["order_id"] == order_id]

    def paid(self, receipt: Receipt, **overrides: Any) -> None:
        self.statuses[receipt.order_id] = payment_payload(receipt, "success", **overrides)

    def waiting(self, receipt: Receipt, status: str = "invoice_wait") -> None:
        self.statuses[receipt.order_id] = {
            "result": "ok",
            "status": status,
            "order_id": receipt.order_id,
            "amount": receipt.amount / 100,
            "currency": receipt.currency,
        }


def liqpay_answer(payload: dict[str, Any], status: int = 200) -> dict[str, Any]:
    """One scripted answer: `mock.post(REQUEST_URL, **liqpay_answer(payload))`."""
    return {"status": status, "body": json.dumps(payload), "content_type": "application/json"}


# the LiqPay client's unit tests: import the fixtures as `<name>_fixture`; pytest knows them
# by `<name>`

PUBLIC = "sandbox_i1234567890"
PRIVATE = "sandbox_s3cr3tPrivateKeyValue"


@pytest.fixture(name="session")
async def session_fixture() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture(name="client")
def client_fixture(session: aiohttp.ClientSession) -> LiqPayClient:
    return LiqPayClient(session, API_URL, retry_delay=0)


@pytest.fixture(name="mocked")
def mocked_fixture() -> Iterator[aioresponses]:
    with aioresponses() as m:
        yield m


def creds(version: int = 3) -> Credentials:
    return Credentials(PUBLIC, SecretStr(PRIVATE), version)


def sent_forms(m: aioresponses) -> list[dict[str, str]]:
    calls = m.requests.get(("POST", URL(REQUEST_URL)), [])
    return [call.kwargs["data"] for call in calls]


def decoded(form: dict[str, str], version: int) -> dict[str, Any]:
    """Check the form's shape and signature; return the decoded request JSON."""
    assert set(form) == {"data", "signature"}
    assert form["signature"] == sign(PRIVATE, form["data"], version)
    payload = json.loads(base64.b64decode(form["data"], validate=True))
    assert isinstance(payload, dict)
    return payload


def sent(m: aioresponses, version: int = 3) -> list[dict[str, Any]]:
    """Every request sent, signature checked, decoded."""
    return [decoded(form, version) for form in sent_forms(m)]
