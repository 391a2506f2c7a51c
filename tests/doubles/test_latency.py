"""The stand-ins' network latency: waited before each call is answered, with every call's
arrival and answer times recorded, so a benchmark can tell which calls ran one after
another."""

from __future__ import annotations

import itertools

import aiohttp

from services.liqpay.signing import encode_data, sign
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay, sandbox_creds
from tests.doubles.telegram import Call, FakeTelegram

TOKEN = "123:abc"


async def test_a_fixed_latency_delays_each_call_and_both_times_are_recorded() -> None:
    async with FakeTelegram(TOKEN, require_started=False) as tg, aiohttp.ClientSession() as http:
        tg.latency = 0.05
        for chat in (7, 8):
            async with http.post(
                f"{tg.url}/bot{TOKEN}/sendMessage", json={"chat_id": chat, "text": "hi"}
            ) as resp:
                assert resp.status == 200
        first, second = tg.timings
        assert first.what == "sendMessage chat=7" and second.what == "sendMessage chat=8"
        for timing in (first, second):
            assert timing.answered is not None and timing.status == 200
            assert timing.answered - timing.arrived >= 0.05
            assert isinstance(timing.record, Call) and timing.record is not None
        assert first.answered is not None and second.arrived >= first.answered  # sequential
        assert [t.record for t in tg.timings] == tg.requests


async def test_a_latency_may_be_drawn_per_call_and_long_polls_are_not_delayed() -> None:
    draws = itertools.cycle([0.02, 0.08])
    async with FakeTelegram(TOKEN, require_started=False) as tg, aiohttp.ClientSession() as http:
        tg.latency = lambda: next(draws)
        for _ in range(2):
            async with http.post(f"{tg.url}/bot{TOKEN}/getMe") as resp:
                assert resp.status == 200
        async with http.post(f"{tg.url}/bot{TOKEN}/getUpdates", json={"timeout": 0}) as resp:
            assert resp.status == 200
        spans = [(t.delay, (t.answered or 0) - t.arrived) for t in tg.timings]
        assert spans[0][0] == 0.02 and spans[1][0] == 0.08 and spans[2][0] == 0
        assert spans[0][1] >= 0.02 and spans[1][1] >= 0.08 and spans[2][1] < 0.05


async def test_liqpay_and_checkbox_take_the_same_latency() -> None:
    async with FakeLiqPay() as liqpay, FakeCheckbox() as checkbox, aiohttp.ClientSession() as h:
        liqpay.latency, checkbox.latency = 0.06, 0.04
        creds = sandbox_creds()
        liqpay.add_keys(creds.public_key, creds.private_key.get_secret_value())
        private = creds.private_key.get_secret_value()
        data = encode_data(
            {"version": 3, "public_key": creds.public_key, "action": "status", "order_id": "x"}
        )
        form = {"data": data, "signature": sign(private, data, 3)}
        async with h.post(liqpay.api_url + "request", data=form) as resp:
            assert resp.status == 200
        async with h.get(checkbox.url + "/api/v1/cashier/me") as resp:
            assert resp.status == 403
        [paid] = liqpay.timings
        assert paid.what == f"status key={creds.public_key}"
        assert paid.answered is not None and paid.answered - paid.arrived >= 0.06
        [me] = checkbox.timings
        assert me.what == "GET /api/v1/cashier/me" and me.status == 403
        assert me.answered is not None and me.answered - me.arrived >= 0.04
        assert me.record is checkbox.requests[0]
