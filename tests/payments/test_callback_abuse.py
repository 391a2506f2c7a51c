"""LiqPay callbacks under abuse, through the real HTTP app and SQLite store: a flood of forged
ones writes a few summarised lines, not one each; genuine ones with absurd fields are refused
like any malformed payload; concurrent copies of one are applied and logged once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.web import CALLBACKS_KEY
from storage.models.receipts import ReceiptStatus
from tests.builders import payment_payload, signed_form
from tests.payment_fixtures import outbox_rows
from tests.payments.test_callbacks import Env, assert_rejected, awaiting, env

__all__ = ["env"]

S = ReceiptStatus
FLOOD = 300


def records(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    """The bot's own lines: asyncio's report of a task another test left behind (garbage
    collected during this one) is not the callback's."""
    return [r.getMessage() for r in caplog.records if r.levelno >= level and r.name != "asyncio"]


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_flood_of_forged_callbacks_writes_one_line_and_a_summary(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    receipt = await awaiting(env)
    ticks = Ticks()
    throttle = env.client.server.app[CALLBACKS_KEY].rejections
    throttle.clock = ticks
    caplog.set_level(logging.INFO)
    forged = signed_form(payment_payload(receipt), "forger-key")

    for _ in range(FLOOD):
        assert (await env.post(forged))[0] == 400

    lines = records(caplog)
    assert len(lines) == 1, lines[:5]
    assert "127.0.0.1" in lines[0] and "bad signature" in lines[0]
    ticks.now += 60
    throttle.flush()
    lines = records(caplog)
    assert len(lines) == 2
    assert lines[1].endswith(f"and {FLOOD - 1} more like it in the last minute")
    assert (await env.receipt(receipt.id)).status is S.AWAITING


async def test_each_reason_is_summarised_on_its_own(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    receipt = await awaiting(env)
    caplog.set_level(logging.WARNING)
    forged = signed_form(payment_payload(receipt), "forger-key")
    not_ours = signed_form(payment_payload(receipt, order_id="elsewhere-1"))
    for _ in range(20):
        await env.post(forged)
        await env.post(not_ours)
        await env.post({"data": "!!!", "signature": "x"})
    lines = records(caplog)
    assert len(lines) == 3, lines
    assert {("bad signature" in x, "not ours" in x, "base64" in x) for x in lines} == {
        (True, False, False),
        (False, True, False),
        (False, False, True),
    }


async def test_fifty_concurrent_copies_of_a_genuine_callback_apply_and_log_once(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    receipt = await awaiting(env)
    caplog.set_level(logging.INFO)
    form = signed_form(payment_payload(receipt))

    results = await asyncio.gather(*(env.post(form) for _ in range(50)))

    assert [status for status, _ in results] == [200] * 50
    bodies = [body for _, body in results]
    assert bodies.count({"result": "applied"}) == 1
    assert bodies.count({"result": "unchanged"}) == 49
    transitions = [m for m in records(caplog, logging.INFO) if "by callback" in m]
    assert transitions == [f"Receipt {receipt.id}: awaiting -> paid by callback (success)"]
    paid_events = [
        e for e in await env.store.receipt_queries.events(receipt.id) if e.to_status is S.PAID
    ]
    assert len(paid_events) == 1
    assert len(await outbox_rows(env.store, receipt.id)) == 2


async def test_concurrent_copies_of_a_mismatched_payment_flag_once(env: Env) -> None:
    receipt = await awaiting(env)
    form = signed_form(payment_payload(receipt, amount=1.0))
    results = await asyncio.gather(*(env.post(form) for _ in range(20)))
    assert [body for _, body in results].count({"result": "applied"}) == 1
    assert len(await outbox_rows(env.store, receipt.id)) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("end_date", 1e30),
        ("end_date", [1_795_000_000_000]),
        ("end_date", {"ms": 1}),
        ("end_date", "soon"),
        ("end_date", -5),
        ("end_date", True),
        ("create_date", 1e30),
        ("amount", [250.5]),
        ("amount", {"value": 250.5}),
        ("amount", True),
        ("amount", -250.5),
        ("amount", 1e30),
        ("status", 5),
        ("status", ["success"]),
        ("currency", 980),
        ("currency", ["UAH"]),
        ("payment_id", [1]),
        ("payment_id", {"id": 1}),
        ("payment_id", True),
        ("payment_id", 1.5),
        ("sender_card_mask2", 424242),
    ],
)
async def test_a_genuine_callback_with_an_absurd_field_is_refused(
    env: Env, caplog: pytest.LogCaptureFixture, field: str, value: Any
) -> None:
    receipt = await awaiting(env)
    payload = payment_payload(receipt)
    payload[field] = value
    caplog.set_level(logging.INFO)

    await assert_rejected(env, receipt, signed_form(payload))

    warnings = records(caplog)
    assert len(warnings) == 1 and "malformed" in warnings[0] and repr(field) in warnings[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_digit_string_end_date_is_still_read(env: Env) -> None:
    receipt = await awaiting(env)
    payload = payment_payload(receipt)
    payload["end_date"] = "1795000000000"
    assert await env.post(signed_form(payload)) == (200, {"result": "applied"})
    paid = await env.receipt(receipt.id)
    assert paid.paid_at is not None and paid.paid_at.timestamp() == 1_795_000_000
