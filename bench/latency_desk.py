"""The real `python -m bot` against the stand-ins with latency, shops to walk, and the
measurement of one step: from the trigger (an update queued, a callback sent) to the
stand-in's answer of the Bot API call that shows the result, with the stand-in calls
made in between (the critical path). Used by bench/latency.py."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.core.clock import utcnow
from services.core.crypto import SecretBox, fernet_key_from_setting
from storage.models.fiscal import FiscalSettingsChanges
from storage.sqlite.store import SqliteStore
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.server import Timing
from tests.doubles.telegram import BotMessage, Call, FakeTelegram
from tests.doubles.turbosms import FakeTurboSMS
from tests.e2e.harness import BOT_TOKEN, SECRET_KEY, BotProcess
from tests.e2e.test_flows import Person, invite

Match = str | Callable[[BotMessage], bool]


@dataclass
class Sample:
    flow: str
    seconds: float
    floor: float
    path: list[str]


@dataclass
class Target:
    """What a step waits for: the first message to `chat` matching `match`."""

    flow: str
    floor: float
    chat: int
    match: Match


@dataclass
class Shop:
    number: int
    owner: Person
    cashier: Person
    public_key: str
    license_key: str
    pin: str = "2580"


@dataclass
class Desk:
    """The stand-ins, the bot and the samples measured so far."""

    tg: FakeTelegram
    liqpay: FakeLiqPay
    checkbox: FakeCheckbox
    sms: FakeTurboSMS
    bot: BotProcess
    samples: list[Sample] = field(default_factory=list)

    @classmethod
    async def start(cls, work_dir: Path) -> Desk:
        tg = await FakeTelegram(token=BOT_TOKEN).start()
        liqpay, checkbox, sms = FakeLiqPay(), FakeCheckbox(), FakeTurboSMS()
        await liqpay.start()
        await checkbox.start()
        await sms.start()
        checkbox.receipt_done_polls = 1  # DONE at the first look after the sale
        bot = BotProcess(
            telegram_url=tg.url,
            liqpay_api_url=liqpay.api_url,
            sms_url=sms.url,
            work_dir=work_dir,
            env={"STATUS_POLL_INTERVAL": "600", "CHECKBOX_API_URL": checkbox.url},
        )
        liqpay.default_callback_url = bot.callback_url
        await bot.start(timeout=90)
        return cls(tg, liqpay, checkbox, sms, bot)

    async def close(self) -> None:
        await self.bot.stop(timeout=30, expect_code=None)
        for server in (self.tg, self.liqpay, self.checkbox, self.sms):
            await server.close()

    def set_latency(self, telegram: float, liqpay: float, checkbox: float) -> None:
        self.tg.latency, self.liqpay.latency, self.checkbox.latency = telegram, liqpay, checkbox
        self.sms.latency = telegram

    async def open_shop(self, number: int) -> Shop:
        owner = Person(self.tg, self.tg.user(100_000 + number, f"Owner{number}", "en"))
        cashier = Person(self.tg, self.tg.user(200_000 + number, f"Cashier{number}", "en"))
        shop = Shop(number, owner, cashier, f"sandbox_i{number:010d}", f"bench-license-{number}")
        self.liqpay.add_keys(shop.public_key, f"sandbox_PRIVATE_{number}")
        self.checkbox.add_register(shop.license_key, shop.pin)
        await owner.say("/start", "What is the shop called?")
        await owner.say(f"Shop {number}", "is created")
        menu = await owner.say("/settings", "Settings of")
        await owner.tap(menu, "LiqPay keys", "public key")
        await owner.say(shop.public_key, "private key")
        await owner.say(f"sandbox_PRIVATE_{number}", "LiqPay accepted the keys")
        await invite(owner, cashier)
        return shop

    async def enable_checkbox(self, shops: list[Shop]) -> None:
        """Each shop's register, written into the bot's database as its settings screen
        would (as tests/e2e/test_fiscal.py does)."""
        box = SecretBox(fernet_key_from_setting(SECRET_KEY))
        store = await SqliteStore.open(self.bot.database_path)
        try:
            for shop in shops:
                member = await store.shops.get_member(shop.owner.user.id)
                assert member is not None
                license_key, pin = box.encrypt(shop.license_key), box.encrypt(shop.pin)
                await store.fiscal.save_credentials(
                    member.shop_id, license_key, pin, None, utcnow()
                )
                await store.fiscal.update(member.shop_id, FiscalSettingsChanges(tax_code=8))
        finally:
            await store.close()

    async def measure(
        self, shop: Shop, trigger: Callable[[], Awaitable[Any]], *targets: Target
    ) -> list[BotMessage]:
        """Trigger, wait for each target's message, record one sample per target."""
        starts = (len(self.tg.timings), len(self.liqpay.timings), len(self.checkbox.timings))
        positions = [self.tg.position(t.chat) for t in targets]
        since = time.monotonic()
        await trigger()
        shown = []
        for target, position in zip(targets, positions, strict=True):
            message = await self.tg.wait_for_message(
                target.chat, target.match, timeout=60, since=position
            )
            end = await self._call_of(message, starts[0])
            assert end.answered is not None
            path = self._path(shop, since, end, starts)
            self.samples.append(Sample(target.flow, end.answered - since, target.floor, path))
            shown.append(message)
        return shown

    async def _call_of(self, shown: BotMessage, start: int) -> Timing:
        """The stand-in's timing of the call that put `shown` on the screen."""
        while True:
            for timing in self.tg.timings[start:]:
                call = timing.record
                if not isinstance(call, Call):
                    continue
                result = call.response
                if (
                    call.method == shown.method
                    and isinstance(result, dict)
                    and result.get("message_id") == shown.message_id
                    and result.get("chat", {}).get("id") == shown.chat_id
                    and timing.answered is not None
                ):
                    return timing
            await asyncio.sleep(0.005)

    def _path(
        self, shop: Shop, since: float, end: Timing, starts: tuple[int, int, int]
    ) -> list[str]:
        """This shop's stand-in calls between the trigger and the answer, by arrival."""
        assert end.answered is not None
        ours = (f"chat={shop.owner.user.id}", f"chat={shop.cashier.user.id}")
        ours += (f"key={shop.public_key}",)
        mine: list[tuple[str, Timing]] = []
        tg, liqpay = self.tg.timings[starts[0] :], self.liqpay.timings[starts[1] :]
        for name, timings in (("tg", tg), ("liqpay", liqpay)):
            for t in timings:
                if since <= t.arrived <= end.answered and t.what.endswith(ours):
                    mine.append((name, t))
        for t in self.checkbox.timings[starts[2] :]:
            if since <= t.arrived <= end.answered and self._checkbox_shop(t) == shop.license_key:
                mine.append(("checkbox", t))
        mine.sort(key=lambda item: item[1].arrived)
        return [
            f"{name}:{_short(t.what)} {1000 * (t.arrived - since):.0f}"
            f"–{1000 * ((t.answered or t.arrived) - since):.0f}"
            for name, t in mine
        ]

    def _checkbox_shop(self, timing: Timing) -> str | None:
        record = timing.record
        if record is None:
            return None
        license_key = record.headers.get("X-License-Key")
        if license_key:
            return str(license_key)
        register = self.checkbox.tokens.get(record.token or "")
        return None if register is None else register.license_key


def _short(what: str) -> str:
    what = re.sub(r" (chat|key)=\S+$", "", what)
    return re.sub(r"/[0-9a-f-]{36}", "/{id}", what)
