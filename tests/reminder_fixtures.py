"""A shop with reminders, its services over a real SQLite store, a recording Telegram bot
and TurboSMS over aioresponses (tests/doubles/turbosms_mock.py), for the reminder tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot
from aioresponses import aioresponses

from bot.i18n import setup_i18n
from bot.outbox.sender import OutboxSender
from bot.reminders.texts import customer_sms
from services.config import Settings
from services.core.crypto import SecretBox
from services.invoices.issuing import InvoiceService
from services.notifications.jobs import NOTIFY, OutboxSignal
from services.receipts.state import ReceiptService
from services.reminders.service import Reminders
from services.reminders.worker import ReminderWorker
from services.turbosms import TurboSmsClient
from storage.models.jobs import Job
from storage.models.receipts import (
    Channel,
    EventSource,
    NewDraft,
    Receipt,
    ReceiptChanges,
    ReceiptStatus,
)
from storage.models.shops import Member
from storage.sqlite.store import SqliteStore
from tests.builders import PUBLIC_KEY, Shop, make_shop
from tests.conftest import FakeClock
from tests.doubles.recording_bot import RecordingSession
from tests.doubles.turbosms_mock import SMS_URL, queue_sms, sent_sms
from tests.payment_fixtures import make_service

LINK = "https://www.liqpay.ua/api/3/checkout?data=abc"


@dataclass
class World:
    store: SqliteStore
    clock: FakeClock
    shop: Shop
    owner: Member
    receipts: ReceiptService
    reminders: Reminders
    invoices: InvoiceService
    signal: OutboxSignal
    session: RecordingSession
    bot: Bot
    sms: aioresponses
    http: aiohttp.ClientSession

    def worker(self, worker_id: str = "worker-1") -> ReminderWorker:
        return ReminderWorker(
            self.store.jobs,
            self.store.receipts,
            self.store.receipt_queries,
            self.store.settings,
            self.store.shops,
            self.invoices,
            self.signal,
            customer_sms,
            self.clock,
            worker_id=worker_id,
        )

    def outbox(self) -> OutboxSender:
        return OutboxSender(
            self.store.jobs,
            self.store.receipts,
            self.store.users,
            self.bot,
            self.signal,
            self.clock,
            per_chat_interval=0,
            global_rate=10_000,
        )

    async def awaiting(
        self,
        *,
        channel: Channel = Channel.LINK,
        contact: str | None = None,
        lifetime: timedelta = timedelta(hours=3),
        cashier_id: int | None = None,
        amount: int = 25050,
    ) -> Receipt:
        """An invoice made awaiting the way InvoiceService does it (ReceiptService.move)."""
        tag = uuid.uuid4().hex[:12]
        now = self.clock()
        draft, _ = await self.store.receipts.create_draft(
            NewDraft(
                shop_id=self.shop.shop_id,
                cashier_id=cashier_id or self.shop.cashier_id,
                amount=amount,
                currency="UAH",
                description="Coffee beans",
                channel=channel,
                contact=contact,
                idempotency_key=f"key-{tag}",
                order_id=f"{self.shop.shop_id}-{tag}",
                expires_at=now + lifetime,
                public_key=PUBLIC_KEY,
            ),
            now,
        )
        moved = await self.receipts.move(
            draft, ReceiptStatus.AWAITING, EventSource.USER, changes=ReceiptChanges(link=LINK)
        )
        assert moved is not None
        return moved

    async def close(self, receipt: Receipt, status: ReceiptStatus) -> None:
        changes = ReceiptChanges(paid_at=self.clock()) if status is ReceiptStatus.PAID else None
        moved = await self.store.receipts.transition(
            receipt.id,
            expected=[ReceiptStatus.AWAITING],
            new=status,
            source=EventSource.USER,
            now=self.clock(),
            changes=changes,
        )
        assert moved is not None

    async def notices(self, kind: str | None = None) -> list[Job]:
        jobs = await self.store.jobs.find(kind=NOTIFY)
        return [j for j in jobs if kind is None or j.payload.get("kind") == kind]

    def sms_sent(self) -> list[dict[str, Any]]:
        return sent_sms(self.sms)

    def queue_sms(self, status: int = 200, *, times: int = 1) -> None:
        queue_sms(self.sms, status, times=times)


@contextlib.asynccontextmanager
async def make_world(store: SqliteStore, box: SecretBox, clock: FakeClock) -> AsyncIterator[World]:
    setup_i18n()
    shop = await make_shop(store, box, clock())
    owner = await store.shops.get_member(shop.owner_id)
    assert owner is not None
    with aioresponses() as mocked:
        http = aiohttp.ClientSession()
        signal = OutboxSignal()
        receipts = make_service(store, http, box, clock, signal)
        settings = Settings(
            bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
            database_path=Path("unused.sqlite3"),
            sms_api_url=SMS_URL,
            _env_file=None,  # type: ignore[call-arg]
        )
        invoices = InvoiceService(receipts, settings, TurboSmsClient(http, SMS_URL))
        session = RecordingSession()
        bot = Bot(token="42:TEST-TOKEN-FOR-TESTS-ONLY", session=session)
        yield World(
            store,
            clock,
            shop,
            owner,
            receipts,
            Reminders(store.settings, store.receipt_queries, store.jobs, clock),
            invoices,
            signal,
            session,
            bot,
            mocked,
            http,
        )
        await http.close()


def markup_data(request: Any) -> list[str]:
    markup = getattr(request, "reply_markup", None)
    if markup is None:
        return []
    return [b.callback_data for row in markup.inline_keyboard for b in row if b.callback_data]


def sms_text(body: dict[str, Any]) -> str:
    return str(body["sms"]["text"])
