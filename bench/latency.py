"""Benchmark: how long a cashier waits for each step, beside the floor the network sets.

    .venv/bin/python bench/latency.py [--samples 30] [--fiscal-samples 15] [--cashiers 50]
        [--telegram-ms 50] [--liqpay-ms 300] [--checkbox-ms 150]

Runs the real `python -m bot` (tests/e2e/harness.py) against the stand-ins of the Bot API,
LiqPay, Checkbox and TurboSMS on 127.0.0.1, each answering every call after a fixed delay
(tests/doubles/server.py `latency`), and times, from the trigger (the update queued for the
bot, or LiqPay's callback sent) to the stand-in's answer of the Bot API call that shows the
result:

- each dialog step (/new, amount, description, channel, contact) -> its answer;
  floor = 1 Telegram round trip;
- Confirm -> the card with the invoice (e-mail); floor = LiqPay + 1 Telegram round trip;
- Check status -> the refreshed card; floor = LiqPay + 1 Telegram round trip;
- LiqPay's paid callback -> the cashier's and the owner's notices; floor = 1 round trip;
- paid -> the fiscal number on the card (Checkbox on); floor = Checkbox's sell + one look
  at the receipt (it is DONE at the first) + 1 Telegram round trip.

First one cashier walks `samples` invoices one after another (and `fiscal-samples` with
Checkbox), then `cashiers` cashiers of as many shops walk one invoice each at once (and one
with Checkbox; each shop's first fiscal sale, which signs in and opens a shift, is a warm-up
and not timed). Prints p50/p99 per flow beside its floor, whether the targets are met
(1 cashier: p50 <= floor + 30 ms and p99 <= 1.5 x floor; many: p99 <= 2 x floor) and the
stand-in calls on the critical path of the median sample, each with its arrival and answer
in ms after the trigger. The exit code is 0 when every target is met, else 1.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.latency_desk import Desk, Match, Sample, Shop, Target  # noqa: E402
from tests.doubles.telegram import BotMessage  # noqa: E402

Action = Callable[[], Awaitable[Any]]

PAUSE = 1.1  # between two invoices of one cashier: the outbox holds a chat 1 s after a notice


def fiscal_card(number: str) -> Callable[[BotMessage], bool]:
    return lambda m: f"Receipt No {number}" in m.text and "Fiscal receipt No" in m.text


class Walk:
    """One cashier's e-mail invoice from /new to paid, each step timed."""

    def __init__(self, desk: Desk, telegram: float, liqpay: float, checkbox: float) -> None:
        self.desk = desk
        self.rt, self.liqpay_rt, self.checkbox_rt = telegram, liqpay, checkbox

    async def step(
        self, shop: Shop, flow: str, floor: float, act: Action, match: Match, timed: bool
    ) -> BotMessage:
        chat = shop.cashier.user.id
        if timed:
            [shown] = await self.desk.measure(shop, act, Target(flow, floor, chat, match))
            return shown
        await act()
        return await self.desk.tg.wait_for_message(chat, match, timeout=60)

    async def invoice(self, shop: Shop, *, fiscal: bool = False, timed: bool = True) -> None:
        """With `fiscal`, only paid -> the fiscal number is timed (if `timed`)."""
        tg, me, rt, liqpay = self.desk.tg, shop.cashier.user, self.rt, self.desk.liqpay
        dialog = timed and not fiscal

        def say(text: str) -> Action:
            return lambda: tg.send_text(me, text)

        def tap(message: BotMessage, button: str) -> Action:
            return lambda: tg.press(me, message, button)

        await self.step(shop, "/new -> amount asked", rt, say("/new"), "Amount in UAH", dialog)
        await self.step(shop, "amount -> description asked", rt, say("12,50"), "What is it for",
                        dialog)  # fmt: skip
        channels = await self.step(shop, "description -> channels", rt, say("Coffee"),
                                   "How does the customer get", dialog)  # fmt: skip
        await self.step(shop, "channel -> contact asked", rt, tap(channels, "E-mail"), "e-mail?",
                        dialog)  # fmt: skip
        summary = await self.step(shop, "contact -> summary", rt, say("buyer@example.com"),
                                  "Check the invoice", dialog)  # fmt: skip
        card = await self.step(shop, "Confirm -> card", self.liqpay_rt + rt,
                               tap(summary, "Confirm"), _card, dialog)  # fmt: skip
        found = re.search(r"Receipt No (\d+)", card.text)
        assert found is not None, card.text
        number = found.group(1)
        sent = [r for r in liqpay.requests_for("invoice_send")
                if r.payload.get("public_key") == shop.public_key]  # fmt: skip
        order = str(sent[-1].payload["order_id"])
        if dialog:
            await self.step(shop, "Check status -> card", self.liqpay_rt + rt,
                            tap(card, "Check status"), _refreshed(number), True)  # fmt: skip

        async def pay() -> None:
            await liqpay.pay(order, public_key=shop.public_key)

        if fiscal:
            floor = 2 * self.checkbox_rt + rt
            await self.step(shop, "paid -> fiscal No on card", floor, pay, fiscal_card(number),
                            timed)  # fmt: skip
        else:
            notice = f"Receipt No {number} is paid"
            await self.desk.measure(
                shop,
                pay,
                Target("paid -> cashier's notice", rt, me.id, notice),
                Target("paid -> owner's notice", rt, shop.owner.user.id, notice),
            )
        await asyncio.sleep(PAUSE)


def _card(message: BotMessage) -> bool:
    return "Receipt No" in message.text and message.has_button("Check status")


def _refreshed(number: str) -> Callable[[BotMessage], bool]:
    return lambda m: m.is_edit and f"Receipt No {number}" in m.text


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def report(samples: list[Sample], cashiers: int) -> bool:
    """Print one row per flow; True when every flow met its targets."""
    flows: dict[str, list[Sample]] = {}
    for sample in samples:
        flows.setdefault(sample.flow, []).append(sample)
    all_met = True
    for flow, group in flows.items():
        seconds = [s.seconds for s in group]
        p50, p99, floor = percentile(seconds, 0.5), percentile(seconds, 0.99), group[0].floor
        if cashiers == 1:
            met = p50 <= floor + 0.030 and p99 <= 1.5 * floor
        else:
            met = p99 <= 2 * floor
        all_met &= met
        median = min(group, key=lambda s: abs(s.seconds - p50))
        print(
            f"| {flow} | {cashiers} | {len(group)} | {1000 * p50:.0f} | {1000 * p99:.0f} "
            f"| {1000 * floor:.0f} | {1000 * (p50 - floor):+.0f} | {p99 / floor:.2f} "
            f"| {'yes' if met else 'NO'} | {', '.join(median.path)} |"
        )
    return all_met


HEADER = (
    "| flow | cashiers | n | p50 ms | p99 ms | floor ms | p50−floor | p99/floor | target met "
    "| critical path of the median sample (stand-in:call arrival–answer ms) |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


async def main(args: argparse.Namespace) -> int:
    telegram, liqpay, checkbox = (args.telegram_ms / 1000, args.liqpay_ms / 1000,
                                  args.checkbox_ms / 1000)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        desk = await Desk.start(Path(tmp))
        try:
            shops = list(await asyncio.gather(*(desk.open_shop(n) for n in range(args.cashiers))))
            walk = Walk(desk, telegram, liqpay, checkbox)
            desk.set_latency(telegram, liqpay, checkbox)
            print(f"stand-ins: Telegram {args.telegram_ms} ms, LiqPay {args.liqpay_ms} ms, "
                  f"Checkbox {args.checkbox_ms} ms per call; the real `python -m bot`")  # fmt: skip
            print(HEADER)
            for _ in range(args.samples):
                await walk.invoice(shops[0])
            met = report(desk.samples, 1)
            desk.samples.clear()
            await asyncio.gather(*(walk.invoice(shop) for shop in shops))
            met &= report(desk.samples, len(shops))
            desk.samples.clear()
            await desk.enable_checkbox(shops)
            await asyncio.gather(*(walk.invoice(s, fiscal=True, timed=False) for s in shops))
            desk.samples.clear()
            for _ in range(args.fiscal_samples):
                await walk.invoice(shops[0], fiscal=True)
            met &= report(desk.samples, 1)
            desk.samples.clear()
            await asyncio.gather(*(walk.invoice(shop, fiscal=True) for shop in shops))
            met &= report(desk.samples, len(shops))
        finally:
            await desk.close()
    print("PASS" if met else "FAIL: a target is not met")
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--fiscal-samples", type=int, default=15)
    parser.add_argument("--cashiers", type=int, default=50)
    parser.add_argument("--telegram-ms", type=float, default=50)
    parser.add_argument("--liqpay-ms", type=float, default=300)
    parser.add_argument("--checkbox-ms", type=float, default=150)
    sys.exit(asyncio.run(main(parser.parse_args())))
