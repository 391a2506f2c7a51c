"""A shop with LiqPay keys at the stand-in LiqPay and a register at the stand-in Checkbox,
the receipt, fiscal and reconciliation services wired as the app wires them, over a store
of either engine (tests/contract/engines.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import aiohttp

from services.core.crypto import SecretBox
from services.core.periods import kyiv_day
from services.fiscal.wiring import Fiscal, build_fiscal
from services.fiscal.worker import FiscalWorker
from services.liqpay.client import LiqPayClient
from services.notifications.jobs import NOTIFY, OutboxSignal
from services.receipts.state import ReceiptService
from services.receipts.wiring import build_receipts
from services.reconcile.model import Result
from services.reconcile.wiring import Reconcile, build_reconcile
from storage.models.receipts import Receipt, ReceiptStatus
from storage.protocols.store import Store
from tests.builders import PRIVATE_KEY, PUBLIC_KEY, Shop, make_liqpay_invoice, make_shop
from tests.conftest import WallClock
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay import FakeLiqPay
from tests.fiscal_fixtures import make_checkbox, set_up_register


@dataclass
class ReconcileDesk:
    store: Store
    liqpay: FakeLiqPay
    checkbox: FakeCheckbox
    receipts: ReceiptService
    fiscal: Fiscal
    worker: FiscalWorker
    reconcile: Reconcile
    shop: Shop
    clock: WallClock

    @property
    def today(self) -> date:
        return kyiv_day(self.clock())

    async def run(self, day: date | None = None) -> Result:
        return await self.reconcile.reconciliation.run(self.shop.shop_id, day or self.today)

    async def invoice(self, amount: int = 25050) -> Receipt:
        """An e-mail invoice the stand-in LiqPay knows, awaiting payment."""
        return await make_liqpay_invoice(
            self.store, self.receipts.liqpay, self.shop, self.clock(), amount
        )

    async def paid(self, amount: int = 25050) -> Receipt:
        """An invoice paid, the bot told (by `status`), its fiscal receipt registered."""
        receipt = await self.invoice(amount)
        await self.liqpay.pay(receipt.order_id, card_mask="473118*97", callback=False)
        paid = await self.receipts.refresh(receipt)
        assert paid.status is ReceiptStatus.PAID
        await self.run_fiscal_jobs()
        fresh = await self.store.receipts.get(paid.id)
        assert fresh is not None
        return fresh

    async def run_fiscal_jobs(self) -> None:
        for _ in range(10):
            if not await self.worker.drain():
                return

    async def notices(self, kind: str | None = None) -> list[tuple[int, str]]:
        return [
            (int(j.payload["chat_id"]), str(j.payload["kind"]))
            for j in await self.store.jobs.find(kind=NOTIFY)
            if kind is None or j.payload["kind"] == kind
        ]


async def make_reconcile_desk(
    store: Store,
    http: aiohttp.ClientSession,
    box: SecretBox,
    liqpay: FakeLiqPay,
    checkbox: FakeCheckbox,
    clock: WallClock,
    *,
    fiscal: bool = True,
) -> ReconcileDesk:
    liqpay.add_keys(PUBLIC_KEY, PRIVATE_KEY)
    shop = await make_shop(store, box, clock())
    if fiscal:
        await set_up_register(store, box, checkbox, shop, clock())
    client = LiqPayClient(http, liqpay.api_url, timeout=1, status_attempts=2, retry_delay=0.01)
    outbox, wake, refund_wake = OutboxSignal(), OutboxSignal(), OutboxSignal()
    receipts, _ = build_receipts(
        store, client, box, outbox, clock, fiscal_signal=wake, refund_signal=refund_wake
    )
    register = make_checkbox(http, checkbox)
    parts = build_fiscal(store, register, box, outbox, wake, clock)
    worker = FiscalWorker(parts.sales, parts.shifts, worker_id="fiscal-1")
    reconcile = build_reconcile(store, receipts, parts, register, outbox)
    return ReconcileDesk(store, liqpay, checkbox, receipts, parts, worker, reconcile, shop, clock)
