"""A shop with paid receipts at the stand-in LiqPay (tests/doubles/liqpay.py, on
127.0.0.1) and the refund services over a real SQLite store."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayClient
from services.liqpay.signing import encode_data, sign
from services.notifications.jobs import NOTIFY, NotificationKind, OutboxSignal
from services.payments.callbacks import CallbackService
from services.receipts.state import ReceiptService
from services.receipts.wiring import build_receipts
from services.refunds.service import RefundService
from storage.models.receipts import Receipt, ReceiptStatus
from storage.models.shops import Member, Role
from storage.protocols.store import Store
from tests.builders import PRIVATE_KEY, PUBLIC_KEY, Shop, make_liqpay_invoice, make_shop
from tests.conftest import FakeClock
from tests.doubles.liqpay import FakeLiqPay


@dataclass
class RefundDesk:
    store: Store
    fake: FakeLiqPay
    receipts: ReceiptService
    refunds: RefundService
    callbacks: CallbackService
    shop: Shop
    clock: FakeClock

    @property
    def owner(self) -> Member:
        return Member(self.shop.shop_id, "Shop", self.shop.owner_id, Role.OWNER, "Owner")

    @property
    def cashier(self) -> Member:
        return Member(self.shop.shop_id, "Shop", self.shop.cashier_id, Role.CASHIER, "Cashier")

    async def paid_receipt(self, amount: int = 25050) -> Receipt:
        receipt = await make_liqpay_invoice(
            self.store, self.receipts.liqpay, self.shop, self.clock(), amount
        )
        await self.fake.pay(receipt.order_id, card_mask="473118*97")
        paid = await self.receipts.refresh(receipt)
        assert paid.status is ReceiptStatus.PAID
        return paid

    async def callback(self, receipt: Receipt) -> str:
        """LiqPay's callback with the order as it is now, through the real handler."""
        order = self.fake.order(receipt.order_id)
        data = encode_data(self.fake.payment_fields(order))
        return str(await self.callbacks.handle(data, sign(PRIVATE_KEY, data), "test"))

    async def refund_notices(self) -> list[tuple[int, int, int]]:
        """(chat, amount, total) of every refund notice, in order."""
        jobs = await self.store.jobs.find(kind=NOTIFY)
        return [
            (int(j.payload["chat_id"]), int(j.payload["amount"]), int(j.payload["total"]))
            for j in jobs
            if j.payload["kind"] == NotificationKind.REFUND
        ]


async def make_refund_desk(
    store: Store,
    http: aiohttp.ClientSession,
    box: SecretBox,
    fake: FakeLiqPay,
    clock: FakeClock,
) -> RefundDesk:
    fake.add_keys(PUBLIC_KEY, PRIVATE_KEY)
    shop = await make_shop(store, box, clock())
    liqpay = LiqPayClient(http, fake.api_url, timeout=0.5, status_attempts=2, retry_delay=0.01)
    outbox = OutboxSignal()
    receipts, ledger = build_receipts(store, liqpay, box, outbox, clock)
    refunds = RefundService(receipts, store.refunds, store.jobs, ledger, outbox, clock)
    return RefundDesk(store, fake, receipts, refunds, CallbackService(receipts), shop, clock)
