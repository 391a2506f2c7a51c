"""Helpers shared by the payment-tracking tests: the receipt service against the mocked
LiqPay (tests/doubles/liqpay_mock.py), and the notification and status-check jobs as the
store's job queue holds them. Shops and receipts: tests/builders.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp

from services.core.clock import Clock
from services.core.crypto import SecretBox
from services.liqpay.client import LiqPayClient
from services.notifications.jobs import NOTIFY, OutboxSignal
from services.payments.polling import CHECK
from services.receipts.state import ReceiptService
from storage.models.jobs import JobState
from storage.protocols.store import Store
from tests.doubles.liqpay_mock import API_URL


def make_service(
    store: Store,
    session: aiohttp.ClientSession,
    box: SecretBox,
    clock: Clock,
    signal: OutboxSignal | None = None,
) -> ReceiptService:
    client = LiqPayClient(session, API_URL, retry_delay=0)
    return ReceiptService(
        store.receipts, store.receipt_queries, store.settings, store.shops, client, box,
        signal or OutboxSignal(), clock, lines=store.receipt_lines,
    )  # fmt: skip


async def outbox_rows(store: Store, receipt_id: int | None = None) -> list[dict[str, Any]]:
    """The notification jobs (of one receipt), oldest first, as plain dicts."""
    return [
        {
            "id": job.id,
            "chat_id": job.payload["chat_id"],
            "kind": job.payload["kind"],
            "receipt_id": job.receipt_id,
            "state": job.state.value,
            "attempts": job.attempts,
            "last_error": job.last_error,
            "run_at": job.run_at,
            "finished_at": job.finished_at,
        }
        for job in await store.jobs.find(kind=NOTIFY, receipt_id=receipt_id)
    ]


async def next_check_at(store: Store, receipt_id: int) -> datetime:
    """When the receipt's status-check job is due next."""
    [job] = await store.jobs.find(kind=CHECK, receipt_id=receipt_id, state=JobState.PENDING)
    return job.run_at
