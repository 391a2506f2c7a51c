"""The listings the reconciliation reads, against the stand-ins: LiqPay's `reports` archive
(signed like every call, read strictly, retried like `status`) and Checkbox's receipts of a
period (page by page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from pydantic import SecretStr

from services.fiscal.registrar import FiscalCredentials, FiscalStatus
from services.liqpay.client import LiqPayClient, LiqPayUnavailable
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import SANDBOX_PRIVATE, SANDBOX_PUBLIC, FakeLiqPay, sandbox_creds
from tests.fiscal_fixtures import make_checkbox


async def test_liqpays_archive_lists_payments_and_refunds_of_the_range(
    liqpay: FakeLiqPay, http: aiohttp.ClientSession
) -> None:
    liqpay.add_keys(SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    client = LiqPayClient(http, liqpay.api_url, retry_delay=0)
    liqpay.foreign_payment(SANDBOX_PUBLIC, "o-1", "250.50")
    await liqpay.refund("o-1", amount="50.00", callback=False)
    since = datetime.now(UTC) - timedelta(hours=1)

    rows = await client.reports(sandbox_creds(), since=since, until=datetime.now(UTC))

    [request] = liqpay.requests_for("reports")
    assert request.signature_ok
    assert request.payload["date_from"] == int(since.timestamp() * 1000)
    assert rows.unreadable == 0
    payment, refund = rows.rows
    assert (payment.order_id, payment.amount, payment.refund_amount) == ("o-1", 25050, 5000)
    assert payment.money_taken and payment.is_refund
    assert (refund.action, refund.amount, refund.money_taken, refund.is_refund) == (
        "refund", 5000, False, True,
    )  # fmt: skip
    earlier = await client.reports(
        sandbox_creds(), since=since - timedelta(days=2), until=since - timedelta(days=1)
    )
    assert earlier.rows == [] and earlier.unreadable == 0


async def test_liqpays_archive_down_or_not_a_list_is_unavailable_an_odd_row_is_skipped(
    liqpay: FakeLiqPay, http: aiohttp.ClientSession
) -> None:
    liqpay.add_keys(SANDBOX_PUBLIC, SANDBOX_PRIVATE)
    client = LiqPayClient(http, liqpay.api_url, retry_delay=0, status_attempts=2)
    now = datetime.now(UTC)
    liqpay.fail_next(502)  # once: asked again
    archive = await client.reports(sandbox_creds(), since=now - timedelta(hours=1), until=now)
    assert archive.rows == [] and archive.unreadable == 0
    liqpay.foreign_payment(SANDBOX_PUBLIC, "o-1", "10.00")
    odd = [{"order_id": "x", "amount": "lots"}, "junk", {"order_id": True}]
    liqpay.extra_archive_rows = odd
    later = datetime.now(UTC)
    archive = await client.reports(sandbox_creds(), since=now - timedelta(hours=1), until=later)
    assert [row.order_id for row in archive.rows] == ["o-1"] and archive.unreadable == 3
    liqpay.fail_next(200, {"result": "success", "data": {"order_id": "x"}})  # no list
    with pytest.raises(LiqPayUnavailable):
        await client.reports(sandbox_creds(), since=now - timedelta(hours=1), until=now)
    liqpay.down = True
    with pytest.raises(LiqPayUnavailable):
        await client.reports(sandbox_creds(), since=now - timedelta(hours=1), until=now)


async def test_checkbox_lists_a_periods_receipts_page_by_page(
    checkbox: FakeCheckbox, http: aiohttp.ClientSession
) -> None:
    checkbox.add_register("LIC-1", "1111")
    for total in range(1, 106):
        checkbox.foreign_receipt("LIC-1", total * 100)
    client = make_checkbox(http, checkbox)
    creds = FiscalCredentials(SecretStr("LIC-1"), SecretStr("1111"))
    now = datetime.now(UTC)

    listed = await client.receipts_between(creds, now - timedelta(hours=1), now)

    assert len(listed) == 105
    assert [r.total for r in listed[:3]] == [100, 200, 300]
    assert all(r.status is FiscalStatus.DONE and r.fiscal_code for r in listed)
    assert len(checkbox.requests_to("GET", "/api/v1/receipts/search")) == 2
    earlier = await client.receipts_between(creds, now - timedelta(days=2), now - timedelta(days=1))
    assert earlier == []


async def test_checkbox_lists_the_shifts_closed_in_a_period_with_their_balances(
    checkbox: FakeCheckbox, http: aiohttp.ClientSession
) -> None:
    checkbox.add_register("LIC-1", "1111")
    now = datetime.now(UTC)
    for total in range(1, 53):  # more than a page (50)
        checkbox.open_shift_now("LIC-1", opened_at=now - timedelta(hours=2))
        checkbox.foreign_receipt("LIC-1", total * 100)
        checkbox.close_shift_now("LIC-1")
    old = checkbox.open_shift_now("LIC-1", opened_at=now - timedelta(days=2, hours=1))
    checkbox.close_shift_now("LIC-1")
    old.closed_at = now - timedelta(days=2)  # closed the day before yesterday
    checkbox.open_shift_now("LIC-1", opened_at=now - timedelta(hours=1))  # still open
    client = make_checkbox(http, checkbox)
    creds = FiscalCredentials(SecretStr("LIC-1"), SecretStr("1111"))

    shifts = await client.closed_shifts(creds, now - timedelta(hours=1), now + timedelta(1))

    assert len(shifts) == 52
    assert [(s.serial, s.card_sales, s.card_returns) for s in shifts[:2]] == [
        (1, 100, 0), (2, 200, 0),
    ]  # fmt: skip
    asked = checkbox.requests_to("GET", "/api/v1/cash-registers/shifts")
    assert len(asked) == 2 and asked[0].headers["X-License-Key"] == "LIC-1"
    before = await client.closed_shifts(creds, now - timedelta(days=3), now - timedelta(days=1))
    assert [s.serial for s in before] == [old.serial]
