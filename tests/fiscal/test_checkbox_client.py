"""CheckboxClient against the stand-in Checkbox served for real on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from services.checkbox.client import CheckboxClient
from services.fiscal.registrar import (
    DEFAULT_PAYMENT_LABEL,
    PAYMENT_LABELS,
    FiscalCredentials,
    FiscalRefused,
    FiscalRegistrar,
    FiscalStatus,
    FiscalUnavailable,
    RefusalReason,
    Sale,
    SaleGood,
    SaleReturn,
    ShiftStatus,
    receipt_uuid,
)
from tests.doubles.checkbox import NO_SHIFT, FakeCheckbox, label_approved

LICENSE = "cbx-license-0123456789abcdef"
PIN = "7391"
CREDS = FiscalCredentials(SecretStr(LICENSE), SecretStr(PIN))
SELL = "/api/v1/receipts/sell"
TIMEOUT = 0.4


@pytest.fixture
async def fake() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as server:
        server.add_register(LICENSE, PIN)
        server.hang_seconds = 5
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def make_client(http: aiohttp.ClientSession, fake: FakeCheckbox, **kw: Any) -> CheckboxClient:
    options: dict[str, Any] = {
        "timeout": TIMEOUT,
        "receipt_wait": 2.0,
        "shift_wait": 2.0,
        "poll_delay": 0.01,
        "poll_max_delay": 0.05,
        "client_version": "9.9.9",
    }
    options.update(kw)
    return CheckboxClient(http, fake.url, **options)


@pytest.fixture
def client(http: aiohttp.ClientSession, fake: FakeCheckbox) -> CheckboxClient:
    return make_client(http, fake)


def a_sale(order_id: str = "7-0a1b2c3d4e5f60718293", **kw: Any) -> Sale:
    fields: dict[str, Any] = {
        "order_id": order_id,
        "description": "Торт «Київський»",
        "price": 25050,
        "tax_code": 8,
        "card_mask": "473118*97",
        "bank": "pb",
        "payment_system": "visa",
        "rrn": "000664267598",
        "auth_code": "108527",
        "payment_id": "165629",
        "customer_email": "client@example.com",
    }
    fields.update(kw)
    return Sale(**fields)


# the value objects


def test_receipt_uuid_is_uuid5_of_the_order_under_a_fixed_namespace() -> None:
    first = receipt_uuid("7-0a1b2c3d4e5f60718293")
    assert first == receipt_uuid("7-0a1b2c3d4e5f60718293")
    assert uuid.UUID(first).version == 5
    assert first == "db270684-9814-51ac-b113-8b4577844e3e"  # changing the namespace breaks ids
    assert receipt_uuid("7-other") != first
    assert receipt_uuid("7-0a1b2c3d4e5f60718293", attempt=2) != first
    assert a_sale().receipt_id == first


def test_payment_labels_are_approved_names_with_liqpay_first() -> None:
    assert PAYMENT_LABELS[0] == DEFAULT_PAYMENT_LABEL == "Платіж через інтегратора LIQPAY"
    assert len(set(PAYMENT_LABELS)) == len(PAYMENT_LABELS)
    assert all(label_approved(label) for label in PAYMENT_LABELS)
    assert "Готівка" not in PAYMENT_LABELS  # a LiqPay payment is never cash


def test_sale_refuses_free_text_labels_and_non_kopeck_prices() -> None:
    with pytest.raises(ValueError, match="approved"):
        a_sale(payment_label="Оплата карткою онлайн")
    for price in (0, -5, 250.5, True):
        with pytest.raises(ValueError, match="kopecks"):
            a_sale(price=price)


def test_credentials_never_show_in_repr() -> None:
    assert PIN not in repr(CREDS)
    assert LICENSE not in repr(CREDS)


def test_the_client_is_a_fiscal_registrar(client: CheckboxClient) -> None:
    registrar: FiscalRegistrar = client
    assert registrar is client


# sign-in and tokens


async def test_every_call_carries_client_headers_and_the_license_key(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.check_credentials(CREDS)
    await client.tax_rates(CREDS)
    result = await client.register_sale(CREDS, a_sale())
    await client.receipt_png(CREDS, result.receipt_id)
    await client.email_receipt(CREDS, result.receipt_id, ["client@example.com"])
    await client.close_shift(CREDS)
    assert len(fake.requests) >= 10
    for request in fake.requests:
        assert request.headers.get("X-Client-Name") == "liqpay-invoice-bot", request.path
        assert request.headers.get("X-Client-Version") == "9.9.9", request.path
        assert request.headers.get("X-License-Key") == LICENSE, request.path
    for request in fake.requests:
        if request.path not in ("/api/v1/cashier/signinPinCode",) and not request.path.endswith(
            "/png"
        ):
            assert request.token is not None, request.path
    assert fake.sign_ins[0].body == {"pin_code": PIN}
    assert fake.sign_ins[0].token is None


async def test_version_header_defaults_to_the_package_version(
    http: aiohttp.ClientSession, fake: FakeCheckbox
) -> None:
    client = make_client(http, fake, client_version=None)
    await client.check_credentials(CREDS)
    assert fake.requests[0].headers["X-Client-Version"] == "0.1.0"


async def test_one_sign_in_serves_many_sales(client: CheckboxClient, fake: FakeCheckbox) -> None:
    results = await asyncio.gather(  # the first sales arrive together
        *(client.register_sale(CREDS, a_sale(f"7-par{n}")) for n in range(6))
    )
    assert all(r.status is FiscalStatus.DONE for r in results)
    for n in range(4):
        result = await client.register_sale(CREDS, a_sale(f"7-seq{n}"))
        assert result.status is FiscalStatus.DONE
    assert len(fake.receipts) == 10
    assert len(fake.sign_ins) == 1
    assert len(fake.requests_to("POST", "/api/v1/shifts")) == 1
    assert len(fake.registers[LICENSE].tokens) == 1


async def test_invalid_token_signs_in_again_and_retries_once(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.register_sale(CREDS, a_sale("7-first"))
    fake.invalidate_tokens()
    result = await client.register_sale(CREDS, a_sale("7-second"))
    assert result.status is FiscalStatus.DONE
    assert len(fake.sign_ins) == 2
    sells = fake.sells(receipt_uuid("7-second"))
    assert [r.status for r in sells] == [401, 201]
    assert len(fake.receipts) == 2


async def test_a_token_evicted_by_ten_newer_ones_is_replaced(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.tax_rates(CREDS)
    fake.sign_in_elsewhere(LICENSE, times=10)  # the cashier's other devices
    assert len(fake.registers[LICENSE].tokens) == 10
    rates = await client.tax_rates(CREDS)
    assert [r.code for r in rates] == [1, 8]
    assert len(fake.sign_ins) == 2
    assert [r.status for r in fake.requests_to("GET", "/api/v1/cashier/tax")] == [200, 401, 200]


async def test_a_token_refused_twice_is_a_refusal(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.tax_rates(CREDS)
    fake.fail_next(401, {"message": "Invalid token"}, times=2, path="/api/v1/cashier/tax")
    with pytest.raises(FiscalRefused) as caught:
        await client.tax_rates(CREDS)
    assert caught.value.reason is RefusalReason.INVALID_TOKEN
    assert len(fake.sign_ins) == 2


async def test_bad_pin_is_refused_with_checkbox_message_and_no_secret_anywhere(
    client: CheckboxClient, fake: FakeCheckbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = FiscalCredentials(SecretStr(LICENSE), SecretStr("0000"))
    with pytest.raises(FiscalRefused) as caught:
        await client.check_credentials(wrong)
    assert caught.value.reason is RefusalReason.BAD_CREDENTIALS
    assert caught.value.message == "Невірний ПІН-код або ліцензійний ключ"
    assert caught.value.http_status == 403
    assert "0000" not in str(caught.value) and LICENSE not in str(caught.value)
    with pytest.raises(FiscalRefused) as caught:
        await client.register_sale(wrong, a_sale())
    assert caught.value.reason is RefusalReason.BAD_CREDENTIALS
    assert fake.sells() == []
    unknown = FiscalCredentials(SecretStr("no-such-register"), SecretStr(PIN))
    with pytest.raises(FiscalRefused) as caught:
        await client.check_credentials(unknown)
    assert caught.value.reason is RefusalReason.BAD_CREDENTIALS


async def test_secrets_never_reach_the_log(
    client: CheckboxClient, fake: FakeCheckbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await client.register_sale(CREDS, a_sale())
    fake.invalidate_tokens()
    fake.close_shift_now(LICENSE)
    await client.register_sale(CREDS, a_sale("7-again"))
    tokens = [r.token for r in fake.requests if r.token]
    text = caplog.text + " ".join(str(r.args) for r in caplog.records)
    assert caplog.records
    for secret in (PIN, LICENSE, *tokens):
        assert secret not in text


async def test_check_credentials_signs_in_fresh_and_the_sale_reuses_that_token(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.check_credentials(CREDS)
    await client.register_sale(CREDS, a_sale())
    assert len(fake.sign_ins) == 1


# unavailability


async def test_503_is_unavailable(client: CheckboxClient, fake: FakeCheckbox) -> None:
    fake.down = True
    with pytest.raises(FiscalUnavailable, match="503"):
        await client.check_credentials(CREDS)
    fake.down = False
    await client.check_credentials(CREDS)
    fake.fail_next(502, path="/api/v1/cashier/tax")
    with pytest.raises(FiscalUnavailable, match="502"):
        await client.tax_rates(CREDS)


async def test_a_hang_is_unavailable_within_the_timeout(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.hanging = True
    started = time.monotonic()
    with pytest.raises(FiscalUnavailable, match="timeout"):
        await client.register_sale(CREDS, a_sale())
    assert time.monotonic() - started < TIMEOUT + 1.0
    assert fake.sells() == []


async def test_non_json_is_unavailable(client: CheckboxClient, fake: FakeCheckbox) -> None:
    await client.check_credentials(CREDS)
    fake.fail_next(200, "<html>maintenance</html>", path="/api/v1/cashier/tax")
    with pytest.raises(FiscalUnavailable, match="not JSON"):
        await client.tax_rates(CREDS)
    fake.fail_next(400, "<html>bad gateway page</html>", path="/api/v1/cashier/tax")
    with pytest.raises(FiscalUnavailable, match="not JSON"):
        await client.tax_rates(CREDS)
    fake.fail_next(200, {"unexpected": "shape"}, path="/api/v1/cashier/tax")
    with pytest.raises(FiscalUnavailable):
        await client.tax_rates(CREDS)


async def test_sell_answer_lost_in_a_timeout_takes_the_receipt_checkbox_made(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.hang_next(SELL, processed=True)
    result = await client.register_sale(CREDS, a_sale())
    assert result.status is FiscalStatus.DONE
    assert result.fiscal_code is not None
    assert len(fake.sells()) == 1
    assert len(fake.receipts) == 1


async def test_sell_timeout_with_checkbox_unreachable_raises_and_sends_nothing_twice(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.open_shift(CREDS)
    fake.hang_next(SELL)  # not processed: Checkbox never saw it
    with pytest.raises(FiscalUnavailable):
        await client.register_sale(CREDS, a_sale())
    assert len(fake.sells()) == 1
    assert fake.receipts == {}
    assert len(fake.requests_to("GET", f"/api/v1/receipts/{receipt_uuid(a_sale().order_id)}")) == 1


async def test_find_after_a_restart_returns_the_existing_receipt(
    http: aiohttp.ClientSession, fake: FakeCheckbox
) -> None:
    before = make_client(http, fake)
    fake.hang_next(SELL, processed=True)
    fake.fail_next(503, path=f"/api/v1/receipts/{a_sale().receipt_id}")
    with pytest.raises(FiscalUnavailable):
        await before.register_sale(CREDS, a_sale())
    after = make_client(http, fake)  # the process restarted: no token, no shift known
    assert await after.find(CREDS, receipt_uuid("7-never-sold")) is None
    found = await after.find(CREDS, a_sale().receipt_id)
    assert found is not None
    assert found.receipt_id == a_sale().receipt_id
    done = await after.wait_result(CREDS, found.receipt_id)
    assert done.status is FiscalStatus.DONE
    assert len(fake.sells()) == 1


# shifts


async def test_a_shift_is_opened_on_demand_and_awaited(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.shift_open_polls = 3
    assert await client.current_shift(CREDS) is None
    result = await client.register_sale(CREDS, a_sale())
    assert result.status is FiscalStatus.DONE
    assert len(fake.requests_to("POST", "/api/v1/shifts")) == 1
    shift = fake.shift_of(LICENSE)
    assert shift is not None and shift.status == "OPENED"
    polls = fake.requests_to("GET", f"/api/v1/shifts/{shift.id}")
    assert len(polls) == 3
    assert fake.receipts[result.receipt_id].shift_id == shift.id
    current = await client.current_shift(CREDS)
    assert current is not None and current.status is ShiftStatus.OPENED
    assert current.id == shift.id


async def test_a_shift_that_closes_instead_of_opening_is_refused_with_the_reason(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.shift_open_error = "Закінчився термін дії ключа КЕП"
    with pytest.raises(FiscalRefused) as caught:
        await client.register_sale(CREDS, a_sale())
    assert caught.value.reason is RefusalReason.SHIFT_FAILED
    assert caught.value.message == "Закінчився термін дії ключа КЕП"
    assert fake.sells() == []


async def test_a_shift_stuck_opening_is_unavailable(
    http: aiohttp.ClientSession, fake: FakeCheckbox
) -> None:
    client = make_client(http, fake, shift_wait=0.2)
    fake.shift_open_polls = 10_000
    with pytest.raises(FiscalUnavailable, match="opening"):
        await client.register_sale(CREDS, a_sale())
    assert fake.sells() == []


async def test_a_shift_opened_elsewhere_is_used(client: CheckboxClient, fake: FakeCheckbox) -> None:
    shift = fake.open_shift_now(LICENSE)
    result = await client.register_sale(CREDS, a_sale())
    assert fake.receipts[result.receipt_id].shift_id == shift.id
    assert fake.requests_to("POST", "/api/v1/shifts") == []


async def test_a_shift_older_than_24_hours_is_closed_and_a_new_one_opened(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    old = fake.open_shift_now(LICENSE, opened_at=datetime.now(UTC) - timedelta(hours=25))
    result = await client.register_sale(CREDS, a_sale())
    assert result.status is FiscalStatus.DONE
    assert old.status == "CLOSED"
    assert len(fake.requests_to("POST", "/api/v1/shifts/close")) == 1
    new = fake.shift_of(LICENSE)
    assert new is not None and new.id != old.id
    assert fake.receipts[result.receipt_id].shift_id == new.id
    assert [r.status for r in fake.sells()] == [201]


async def test_a_shift_of_unknown_age_opened_elsewhere_is_closed_and_a_new_one_opened(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    old = fake.open_shift_now(LICENSE)
    old.opened_at = None  # Checkbox does not say since when it has been open
    result = await client.register_sale(CREDS, a_sale())
    assert old.status == "CLOSED"
    new = fake.shift_of(LICENSE)
    assert new is not None and new.id != old.id
    assert fake.receipts[result.receipt_id].shift_id == new.id


async def test_a_shift_opened_here_without_an_opening_time_is_kept(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.shift_opened_at_known = False
    first = await client.register_sale(CREDS, a_sale())
    second = await client.register_sale(CREDS, a_sale(order_id="order-2"))
    assert fake.receipts[first.receipt_id].shift_id == fake.receipts[second.receipt_id].shift_id
    assert len(fake.requests_to("POST", "/api/v1/shifts")) == 1
    assert fake.requests_to("POST", "/api/v1/shifts/close") == []


async def test_a_cached_shift_that_grew_old_is_not_used(
    http: aiohttp.ClientSession, fake: FakeCheckbox
) -> None:
    now = [datetime.now(UTC)]
    client = make_client(http, fake, clock=lambda: now[0])
    await client.register_sale(CREDS, a_sale("7-morning"))
    first = fake.shift_of(LICENSE)
    assert first is not None
    now[0] += timedelta(hours=23, minutes=45)  # past the client's margin, before Checkbox's 24 h
    result = await client.register_sale(CREDS, a_sale("7-late"))
    assert fake.receipts[result.receipt_id].shift_id != first.id
    assert first.status == "CLOSED"
    assert [r.status for r in fake.sells()] == [201, 201]
    assert len(fake.requests_to("POST", "/api/v1/shifts/close")) == 1


async def test_shift_not_opened_opens_one_and_sells_again(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.register_sale(CREDS, a_sale("7-before"))
    fake.close_shift_now(LICENSE)  # the Z report was made in the cabinet
    result = await client.register_sale(CREDS, a_sale("7-after"))
    assert result.status is FiscalStatus.DONE
    sells = fake.sells(receipt_uuid("7-after"))
    assert [r.status for r in sells] == [400, 201]
    assert len(fake.requests_to("POST", "/api/v1/shifts")) == 2


async def test_shift_not_opened_twice_is_a_refusal(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    await client.open_shift(CREDS)
    fake.fail_next(400, {"message": NO_SHIFT}, times=2, path=SELL)
    with pytest.raises(FiscalRefused) as caught:
        await client.register_sale(CREDS, a_sale())
    assert caught.value.reason is RefusalReason.SHIFT_NOT_OPENED
    assert caught.value.message == NO_SHIFT
    assert len(fake.sells()) == 2


async def test_close_shift_returns_the_day_totals(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    assert await client.close_shift(CREDS) is None
    await client.register_sale(CREDS, a_sale("7-a", price=25050))
    await client.register_sale(CREDS, a_sale("7-b", price=10001))
    closed = await client.close_shift(CREDS)
    assert closed is not None
    assert closed.status is ShiftStatus.CLOSED
    assert closed.card_sales == 35051
    assert closed.card_returns == 0
    assert closed.closed_at is not None
    assert await client.current_shift(CREDS) is None
    assert await client.close_shift(CREDS) is None
    result = await client.register_sale(CREDS, a_sale("7-c"))  # the next sale opens a new one
    assert result.status is FiscalStatus.DONE
    assert len(fake.requests_to("POST", "/api/v1/shifts")) == 2


# receipts


async def test_sell_sends_its_goods_lines_and_one_cashless_payment_of_their_sum(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    # issue #15: one goods line per sold line (code, name, price, quantity, tax, barcode and
    # UKTZED when set), the payment their sum; never the order id as a goods code
    goods = (
        SaleGood("K1", "Кава зернова", 45000, 250, (8,), barcode="4820000000001"),
        SaleGood("C7", "Торт «Київський»", 6800, 2000, (), uktzed="2203000000"),
    )
    sale = a_sale(payment_label="Інтернет еквайринг", price=11250 + 13600, goods=goods)
    result = await client.register_sale(CREDS, sale)
    body = fake.sells()[0].body
    assert body == {
        "id": receipt_uuid("7-0a1b2c3d4e5f60718293"),
        "goods": [
            {
                "good": {
                    "code": "K1",
                    "name": "Кава зернова",
                    "price": 45000,
                    "tax": [8],
                    "barcode": "4820000000001",
                },
                "quantity": 250,
            },
            {
                "good": {
                    "code": "C7",
                    "name": "Торт «Київський»",
                    "price": 6800,
                    "uktzed": "2203000000",
                },
                "quantity": 2000,
            },
        ],
        "payments": [
            {
                "type": "CASHLESS",
                "value": 24850,
                "label": "Інтернет еквайринг",
                "card_mask": "473118*97",
                "bank_name": "pb",
                "payment_system": "visa",
                "rrn": "000664267598",
                "auth_code": "108527",
                "transaction_id": "165629",
            }
        ],
    }
    assert result.receipt_id == body["id"]
    assert result.status is FiscalStatus.DONE  # the stand-in checked the sum


def test_a_sale_without_lines_is_one_line_never_coded_by_the_order() -> None:
    sale = a_sale()
    [good] = sale.goods
    assert (good.name, good.price, good.quantity, good.tax_codes) == (
        "Торт «Київський»",
        25050,
        1000,
        (8,),
    )
    assert good.code != sale.order_id and sale.order_id not in good.code
    with pytest.raises(ValueError):
        a_sale(price=100, goods=(SaleGood("A", "A", 99, 1000),))  # not the goods' sum


async def test_untaxed_goods_carry_no_tax_and_missing_payment_details_are_left_out(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    sale = Sale(order_id="7-bare", description="Послуга", price=100, tax_code=None)
    result = await client.register_sale(CREDS, sale)
    assert result.status is FiscalStatus.DONE
    body = fake.sells()[0].body
    assert "tax" not in body["goods"][0]["good"]
    assert body["payments"] == [{"type": "CASHLESS", "value": 100, "label": DEFAULT_PAYMENT_LABEL}]


async def test_sell_then_done_with_fiscal_code_date_and_links(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.receipt_done_polls = 3
    result = await client.register_sale(CREDS, a_sale())
    assert result.status is FiscalStatus.DONE
    receipt = fake.receipts[result.receipt_id]
    assert result.fiscal_code == receipt.fiscal_code
    assert result.fiscal_code is not None and len(result.fiscal_code) == 11
    assert result.fiscal_date == receipt.fiscal_date
    assert result.tax_url == receipt.tax_url and result.tax_url
    assert result.receipt_url == f"{fake.url}/api/v1/receipts/{result.receipt_id}/html"
    assert result.link == result.tax_url
    assert result.error_message is None
    assert len(fake.requests_to("GET", f"/api/v1/receipts/{result.receipt_id}")) == 3


async def test_a_receipt_the_tax_service_refused_ends_in_error_with_its_message(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    fake.receipt_error = "Помилка ДПС: невірний формат чеку"
    result = await client.register_sale(CREDS, a_sale())
    assert result.status is FiscalStatus.ERROR
    assert result.error_message == "Помилка ДПС: невірний формат чеку"
    assert result.fiscal_code is None
    retry = a_sale(attempt=2)  # a new receipt: the errored one is not a fiscal receipt
    fake.receipt_error = None
    again = await client.register_sale(CREDS, retry)
    assert again.status is FiscalStatus.DONE
    assert again.receipt_id != result.receipt_id


async def test_a_receipt_still_processing_comes_back_pending(
    http: aiohttp.ClientSession, fake: FakeCheckbox
) -> None:
    client = make_client(http, fake, receipt_wait=0.1)
    fake.receipt_done_polls = 10_000
    result = await client.register_sale(CREDS, a_sale())
    assert result.status is FiscalStatus.PENDING
    assert not result.finished
    fake.receipt_done_polls = 0
    found = await client.find(CREDS, result.receipt_id)
    assert found is not None and found.status is FiscalStatus.DONE
    assert len(fake.sells()) == 1


@pytest.mark.parametrize("answer", ["existing", "error"])
async def test_a_repeated_sell_makes_one_receipt(
    client: CheckboxClient, fake: FakeCheckbox, answer: str
) -> None:
    fake.duplicate_answer = answer
    first = await client.register_sale(CREDS, a_sale())
    second = await client.register_sale(CREDS, a_sale())
    assert len(fake.receipts) == 1
    assert second.receipt_id == first.receipt_id
    assert second.fiscal_code == first.fiscal_code
    assert second.status is FiscalStatus.DONE


async def test_double_registration_at_once_makes_one_receipt(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    results = await asyncio.gather(*(client.register_sale(CREDS, a_sale()) for _ in range(3)))
    assert len(fake.receipts) == 1
    assert {r.fiscal_code for r in results} == {next(iter(fake.receipts.values())).fiscal_code}


async def test_a_refused_sell_is_a_refusal_with_the_message(
    client: CheckboxClient, fake: FakeCheckbox
) -> None:
    with pytest.raises(FiscalRefused) as caught:
        await client.register_sale(CREDS, a_sale(tax_code=99))
    assert caught.value.reason is RefusalReason.OTHER
    assert "99" in caught.value.message
    fake.fail_next(
        422, {"message": "Validation error", "detail": [{"loc": ["body"], "msg": "bad"}]}, path=SELL
    )
    with pytest.raises(FiscalRefused) as caught:
        await client.register_sale(CREDS, a_sale())
    assert caught.value.reason is RefusalReason.VALIDATION
    assert caught.value.message == "Validation error; bad"
    assert fake.receipts == {}


async def test_a_return_names_the_sale_receipt(client: CheckboxClient, fake: FakeCheckbox) -> None:
    sale = a_sale()
    sold = await client.register_sale(CREDS, sale)
    back = SaleReturn(sale=sale, related_receipt_id=sold.receipt_id)
    returned = await client.register_return(CREDS, back)
    assert returned.status is FiscalStatus.DONE
    assert returned.is_return and not sold.is_return
    assert returned.receipt_id == back.receipt_id != sold.receipt_id
    body = fake.sells(back.receipt_id)[0].body
    assert body["related_receipt_id"] == sold.receipt_id
    assert body["goods"][0]["is_return"] is True
    closed = await client.close_shift(CREDS)
    assert closed is not None and closed.card_returns == 25050


async def test_receipt_picture_and_email(client: CheckboxClient, fake: FakeCheckbox) -> None:
    result = await client.register_sale(CREDS, a_sale())
    picture = await client.receipt_png(CREDS, result.receipt_id)
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    await client.email_receipt(CREDS, result.receipt_id, ["client@example.com"])
    assert fake.emails == [(result.receipt_id, ["client@example.com"])]
    fake.email_fails = True
    with pytest.raises(FiscalRefused) as caught:
        await client.email_receipt(CREDS, result.receipt_id, ["client@example.com"])
    assert caught.value.message == "Не вдалося надіслати чек"
    with pytest.raises(FiscalRefused) as caught:
        await client.receipt_png(CREDS, receipt_uuid("7-unknown"))
    assert caught.value.reason is RefusalReason.NOT_FOUND


async def test_tax_rates_are_the_register_list(client: CheckboxClient) -> None:
    rates = await client.tax_rates(CREDS)
    assert [(r.code, r.label, r.symbol, r.no_vat) for r in rates] == [
        (1, "ПДВ", "А", False),
        (8, "Без ПДВ", "Б", True),
    ]
    assert rates[0].rate == Decimal("20.0")
