"""The receipt service and the refund ledger it records refunded sums with, built the same
way by the app and the tests. Both tell through one ReceiptNotices, so neither needs the
other to be built first but the service, which is given the ledger."""

from __future__ import annotations

from services.core.clock import Clock, utcnow
from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayClient
from services.notifications.jobs import OutboxSignal
from services.receipts.audience import Audience, ReceiptNotices
from services.receipts.state import ReceiptService
from services.refunds.ledger import RefundLedger
from storage.protocols.store import Store


def build_receipts(
    store: Store,
    liqpay: LiqPayClient,
    box: SecretBox,
    outbox: OutboxSignal,
    clock: Clock = utcnow,
    *,
    fiscal_signal: OutboxSignal | None = None,
    refund_signal: OutboxSignal | None = None,
) -> tuple[ReceiptService, RefundLedger]:
    """`outbox` wakes the notices' sender; `fiscal_signal` the fiscal worker (a paid
    receipt's sale job), `refund_signal` the refunds' worker (a return receipt's job)."""
    notices = ReceiptNotices(Audience(store.shops))
    ledger = RefundLedger(
        store.receipts, store.refunds, notices, outbox, clock,
        fiscal=store.fiscal, fiscal_signal=refund_signal,
    )  # fmt: skip
    receipts = ReceiptService(
        store.receipts, store.receipt_queries, store.settings, store.shops, liqpay, box,
        outbox, clock, fiscal=store.fiscal, fiscal_signal=fiscal_signal, ledger=ledger,
        notices=notices, lines=store.receipt_lines,
    )  # fmt: skip
    return receipts, ledger
