"""A shop with a Checkbox register set up, paid receipts, and the fiscal service and worker
wired to the stand-in Checkbox (tests/doubles/checkbox.py) over a real SQLite store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from services.checkbox.client import CheckboxClient
from services.core.crypto import SecretBox
from services.fiscal.sales import FiscalSales
from services.fiscal.shifts import ShiftClosing
from services.fiscal.wiring import Fiscal, build_fiscal
from services.fiscal.worker import FiscalWorker
from services.liqpay.client import LiqPayClient
from services.notifications.jobs import NOTIFY, OutboxSignal
from services.receipts.state import PaymentReport, ReceiptService
from services.receipts.wiring import build_receipts
from storage.models.fiscal import FiscalMode, FiscalSettingsChanges
from storage.models.receipts import Channel, EventSource, Receipt
from storage.protocols.store import Store
from tests.builders import AMOUNT, Shop, make_receipt
from tests.conftest import FakeClock
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay_mock import API_URL

LICENSE = "cbx-license-0123456789abcdef"
PIN = "7391"


def make_checkbox(http: aiohttp.ClientSession, fake: FakeCheckbox, **kw: Any) -> CheckboxClient:
    options: dict[str, Any] = {
        "timeout": 0.5,
        "receipt_wait": 2.0,
        "shift_wait": 2.0,
        "poll_delay": 0.01,
        "poll_max_delay": 0.05,
    }
    options.update(kw)
    return CheckboxClient(http, fake.url, **options)


@dataclass
class Desk:
    """One process's view: its receipt service, fiscal services and worker."""

    store: Store
    receipts: ReceiptService
    parts: Fiscal
    worker: FiscalWorker
    checkbox: CheckboxClient
    clock: FakeClock
    outbox: OutboxSignal = field(default_factory=OutboxSignal)

    @property
    def fiscal(self) -> FiscalSales:
        return self.parts.sales

    @property
    def shifts(self) -> ShiftClosing:
        return self.parts.shifts

    async def run_jobs(self, rounds: int = 10) -> None:
        """Run due fiscal jobs until none is left due now."""
        for _ in range(rounds):
            if not await self.worker.drain():
                return

    async def pay(self, receipt: Receipt, **report: Any) -> Receipt:
        facts: dict[str, Any] = {
            "status": "success",
            "amount": receipt.amount,
            "currency": receipt.currency,
            "payment_id": "165629",
            "card_mask": "473118*97",
            "paid_at": self.clock(),
            "rrn": "000664267598",
            "auth_code": "108527",
            "bank": "pb",
            "payment_system": "visa",
        }
        facts.update(report)
        return await self.receipts.apply_report(
            receipt, PaymentReport(**facts), EventSource.CALLBACK
        )


def make_desk(
    store: Store,
    http: aiohttp.ClientSession,
    box: SecretBox,
    fake: FakeCheckbox,
    clock: FakeClock,
    *,
    worker_id: str = "worker-1",
    lease: timedelta = timedelta(minutes=3),
    **checkbox: Any,
) -> Desk:
    outbox = OutboxSignal()
    wake = OutboxSignal()
    client = make_checkbox(http, fake, **checkbox)
    liqpay = LiqPayClient(http, API_URL, retry_delay=0)
    receipts, _ = build_receipts(store, liqpay, box, outbox, clock, fiscal_signal=wake)
    fiscal = build_fiscal(store, client, box, outbox, wake, clock)
    worker = FiscalWorker(fiscal.sales, fiscal.shifts, lease=lease, worker_id=worker_id)
    return Desk(store, receipts, fiscal, worker, client, clock, outbox)


async def set_up_register(
    store: Store,
    box: SecretBox,
    fake: FakeCheckbox,
    shop: Shop,
    now: datetime,
    *,
    mode: FiscalMode = FiscalMode.AUTO,
    tax_code: int | None = 8,
) -> None:
    fake.registers.get(LICENSE) or fake.add_register(LICENSE, PIN)
    await store.fiscal.save_credentials(
        shop.shop_id, box.encrypt(LICENSE), box.encrypt(PIN), None, now
    )
    await store.fiscal.update(
        shop.shop_id,
        FiscalSettingsChanges(mode=mode, tax_code=tax_code, tax_label="Без ПДВ"),
    )


async def awaiting_receipt(
    store: Store, shop: Shop, now: datetime, *, channel: Channel = Channel.LINK, **kw: Any
) -> Receipt:
    return await make_receipt(
        store, shop, now, channel=channel, amount=kw.pop("amount", AMOUNT), **kw
    )


async def notices(store: Store, kind: str | None = None) -> list[tuple[int, str]]:
    jobs = await store.jobs.find(kind=NOTIFY)
    return [
        (int(j.payload["chat_id"]), str(j.payload["kind"]))
        for j in jobs
        if kind is None or j.payload["kind"] == kind
    ]


def accepted_sells(fake: FakeCheckbox) -> list[str]:
    """Receipt ids of the sales Checkbox accepted (answered 201 to a new id)."""
    return list(fake.receipts)
