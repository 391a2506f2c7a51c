"""ShopService.check_and_save_keys: keys are saved only after LiqPay accepts a signed request."""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from pathlib import Path

import aiohttp
import pytest
from aioresponses import aioresponses

from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayClient, LiqPayUnavailable
from services.liqpay.signing import sign
from services.shops.service import KeyCheck, ShopService
from services.turbosms import TurboSmsClient
from storage.models.shops import Member, Role
from storage.sqlite.store import SqliteStore
from tests.conftest import FakeClock
from tests.doubles.liqpay_mock import (
    API_URL,
    NOT_FOUND,
    REQUEST_URL,
    mocked_fixture,  # noqa: F401 (a fixture)
    sent_forms,
    session_fixture,  # noqa: F401 (a fixture)
)

SANDBOX_PUBLIC = "sandbox_i00000000001"
SANDBOX_PRIVATE = "sandbox_Zq8kXH3pR2vLw9TnYc4bD7fGm1sJ6aQe"
LIVE_PUBLIC = "i12345678901"
LIVE_PRIVATE = "Lv7PqR2sT9uW4xY1zA6bC3dE8fG5hJ0kMnOp"


@pytest.fixture
def service(
    store: SqliteStore, box: SecretBox, clock: FakeClock, session: aiohttp.ClientSession
) -> ShopService:
    return ShopService(
        store.shops,
        store.settings,
        LiqPayClient(session, API_URL, retry_delay=0),
        TurboSmsClient(session, "https://sms.test"),
        box,
        frozenset(),
        clock,
    )


@pytest.fixture
async def owner(service: ShopService) -> Member:
    return await service.create_shop(1, "Owner", "Квітковий магазин")


def sandbox_flag(db_path: Path, shop_id: int) -> int:
    """What was stored, read over a connection of its own."""
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT sandbox FROM shop_settings WHERE shop_id = ?", (shop_id,))
        return int(row.fetchone()[0])


async def assert_nothing_saved(store: SqliteStore, shop_id: int) -> None:
    settings = await store.settings.get(shop_id)
    assert settings.public_key is None
    assert settings.private_key_enc is None


async def test_payment_not_found_means_the_keys_work(
    service: ShopService,
    owner: Member,
    store: SqliteStore,
    box: SecretBox,
    mocked: aioresponses,
    db_path: Path,
) -> None:
    mocked.post(REQUEST_URL, payload=NOT_FOUND)
    result = await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    assert result.outcome is KeyCheck.OK
    assert result.sandbox is True
    assert result.err_code is None

    settings = await store.settings.get(owner.shop_id)
    assert settings.public_key == SANDBOX_PUBLIC
    assert settings.private_key_enc is not None
    assert SANDBOX_PRIVATE.encode() not in settings.private_key_enc
    assert box.decrypt(settings.private_key_enc) == SANDBOX_PRIVATE
    assert sandbox_flag(db_path, owner.shop_id) == 1

    # The check was a `status` request signed with the pair being checked.
    [form] = sent_forms(mocked)
    assert set(form) == {"data", "signature"}
    assert form["signature"] == sign(SANDBOX_PRIVATE, form["data"], 3)
    payload = json.loads(base64.b64decode(form["data"]))
    assert payload["action"] == "status"
    assert payload["public_key"] == SANDBOX_PUBLIC
    assert payload["version"] == 3
    assert payload["order_id"]


async def test_live_keys_are_not_sandbox(
    service: ShopService, owner: Member, store: SqliteStore, mocked: aioresponses, db_path: Path
) -> None:
    mocked.post(REQUEST_URL, payload=NOT_FOUND)
    result = await service.check_and_save_keys(owner, f" {LIVE_PUBLIC}\n", f"\t{LIVE_PRIVATE} ")
    assert result.outcome is KeyCheck.OK
    assert result.sandbox is False
    settings = await store.settings.get(owner.shop_id)
    assert settings.public_key == LIVE_PUBLIC  # surrounding whitespace trimmed
    assert sandbox_flag(db_path, owner.shop_id) == 0


async def test_check_uses_the_shops_api_version(
    service: ShopService, owner: Member, mocked: aioresponses
) -> None:
    await service.set_api_version(owner, 7)
    mocked.post(REQUEST_URL, payload=NOT_FOUND)
    result = await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    assert result.outcome is KeyCheck.OK
    [form] = sent_forms(mocked)
    assert json.loads(base64.b64decode(form["data"]))["version"] == 7
    assert form["signature"] == sign(SANDBOX_PRIVATE, form["data"], 7)


@pytest.mark.parametrize("err_code", ["invalid_signature", "public_key_not_found"])
async def test_refused_keys_are_rejected_and_not_saved(
    service: ShopService, owner: Member, store: SqliteStore, mocked: aioresponses, err_code: str
) -> None:
    mocked.post(
        REQUEST_URL,
        payload={
            "result": "error",
            "status": "error",
            "err_code": err_code,
            "err_description": "Неверная подпись",
        },
    )
    result = await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    assert result.outcome is KeyCheck.REJECTED
    assert result.err_code == err_code
    await assert_nothing_saved(store, owner.shop_id)


async def test_unexpected_success_is_rejected(
    service: ShopService, owner: Member, store: SqliteStore, mocked: aioresponses
) -> None:
    # A made-up order id can't have a payment: an answer with one is not LiqPay's.
    mocked.post(REQUEST_URL, payload={"result": "ok", "status": "success", "payment_id": 1})
    result = await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    assert result.outcome is KeyCheck.REJECTED
    assert result.err_code == "unexpected_answer"
    await assert_nothing_saved(store, owner.shop_id)


async def test_unavailable_raises_and_saves_nothing(
    service: ShopService, owner: Member, store: SqliteStore, mocked: aioresponses
) -> None:
    mocked.post(REQUEST_URL, status=503, body="Service Unavailable", repeat=True)
    with pytest.raises(LiqPayUnavailable):
        await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    assert len(sent_forms(mocked)) >= 1
    await assert_nothing_saved(store, owner.shop_id)


@pytest.mark.parametrize(
    ("public", "private"),
    [
        ("sandbox_i 0000", SANDBOX_PRIVATE),
        (SANDBOX_PUBLIC, "sandbox_Zq8k XH3p"),
        (SANDBOX_PUBLIC, "sandbox_Zq8k\nXH3p"),
        (SANDBOX_PUBLIC, "sandbox_Zq8k\u00a0XH3p"),
        ("", SANDBOX_PRIVATE),
        (SANDBOX_PUBLIC, "   "),
        (SANDBOX_PUBLIC, "x" * 201),
    ],
)
async def test_malformed_keys_make_no_http_call(
    service: ShopService,
    owner: Member,
    store: SqliteStore,
    mocked: aioresponses,
    public: str,
    private: str,
) -> None:
    result = await service.check_and_save_keys(owner, public, private)
    assert result.outcome is KeyCheck.MALFORMED
    assert mocked.requests == {}
    await assert_nothing_saved(store, owner.shop_id)


async def test_cashier_may_not_set_keys(
    service: ShopService, owner: Member, store: SqliteStore, mocked: aioresponses
) -> None:
    token = await service.create_invite(owner)
    _, cashier = await service.join(token, 42, "Olena")
    assert cashier is not None and cashier.role is Role.CASHIER
    with pytest.raises(PermissionError):
        await service.check_and_save_keys(cashier, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    assert mocked.requests == {}
    await assert_nothing_saved(store, owner.shop_id)


async def test_private_key_never_logged(
    service: ShopService,
    owner: Member,
    mocked: aioresponses,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.post(REQUEST_URL, status=503, body="busy")
    mocked.post(REQUEST_URL, status=503, body="busy")
    mocked.post(REQUEST_URL, status=503, body="busy")
    with pytest.raises(LiqPayUnavailable):
        await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    mocked.post(REQUEST_URL, payload={"result": "error", "err_code": "invalid_signature"})
    await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    mocked.post(REQUEST_URL, payload=NOT_FOUND)
    result = await service.check_and_save_keys(owner, SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    assert result.outcome is KeyCheck.OK
    assert "keys saved" in caplog.text  # logging was captured...
    assert SANDBOX_PRIVATE not in caplog.text  # ...and the private key is not in it
    for record in caplog.records:
        assert SANDBOX_PRIVATE not in repr(record.args)
