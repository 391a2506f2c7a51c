"""The object graph: the store, the HTTP clients and every feature's services, built once
by factory functions (the same the tests build with), and the dispatcher they are given to
as workflow data. Nothing is assigned onto a service after it is built."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ChatType, ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation

from bot.dialog_storage import build_dialog_storage
from bot.i18n import DEFAULT_LOCALE, setup_i18n, t
from bot.middlewares import AckMiddleware, StoredLocaleMiddleware, UserContextMiddleware
from bot.routers import build_routers
from bot.routers.errors import last_resort
from bot.telegram import telegram_session
from services.catalogue.service import CatalogueService
from services.checkbox.client import CheckboxClient
from services.config import Settings
from services.core.clock import Clock, utcnow
from services.core.crypto import KEY_FILE_NAME, SecretBox, make_secret_box
from services.fiscal.setup import FiscalSetupService
from services.fiscal.wiring import Fiscal, build_fiscal
from services.fiscal.worker import FiscalWorker
from services.goods.settings import GoodsNames
from services.invoices.issuing import InvoiceService
from services.invoices.recovery import IssueRecovery
from services.invoices.shelf import BasketShelf
from services.jobs.replica import Replica
from services.liqpay.client import LiqPayClient
from services.notifications.jobs import OutboxSignal
from services.payments.callbacks import CallbackService
from services.payments.reconciler import Reconciler
from services.receipts.state import ReceiptService
from services.receipts.wiring import build_receipts
from services.reconcile.daily import ReconcileWorker
from services.reconcile.wiring import Reconcile, build_reconcile
from services.refunds.service import RefundService
from services.refunds.worker import JobWorker, refund_handlers
from services.reminders.service import Reminders
from services.reports.service import ReportingService
from services.shops.service import ShopService
from services.turbosms import TurboSmsClient
from storage.open import open_store
from storage.protocols.store import Store


class StartupError(Exception):
    """A problem a person can fix, said in one line."""


@dataclass
class Services:
    store: Store
    receipts: ReceiptService
    invoices: InvoiceService
    shops: ShopService
    callbacks: CallbackService
    reconciler: Reconciler
    recovery: IssueRecovery
    signal: OutboxSignal
    fiscal_setup: FiscalSetupService
    fiscal: Fiscal
    fiscal_worker: FiscalWorker
    refunds: RefundService
    refund_worker: JobWorker
    reporting: ReportingService
    reminders: Reminders
    replica: Replica
    catalogue: CatalogueService
    reconcile: Reconcile
    reconcile_worker: ReconcileWorker
    shelf: BasketShelf
    goods_names: GoodsNames


async def open_database(settings: Settings) -> Store:
    """The store at DATABASE_URL (PostgreSQL) or DATABASE_PATH (SQLite); a SQLite file that
    can't be used is one line (PostgreSQL says its own: DatabaseUnavailable)."""
    database_url = settings.database_url.get_secret_value() if settings.database_url else None
    try:
        return await open_store(settings.database_path, database_url)
    except (OSError, sqlite3.Error) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or exc
        raise StartupError(
            f"Cannot use DATABASE_PATH={settings.database_path}: {reason}. Point DATABASE_PATH "
            "at the bot's database (restore a damaged one from a backup) or at a new file name."
        ) from None


def open_secret_box(settings: Settings) -> SecretBox:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else None
    try:
        return make_secret_box(secret, settings.database_path.parent)
    except (OSError, ValueError) as exc:  # the key file: unreadable, a folder, not a key
        reason = (exc.strerror if isinstance(exc, OSError) else None) or "not a key"
        raise StartupError(
            f"Cannot use the key file {settings.database_path.parent / KEY_FILE_NAME}: "
            f"{reason}. Restore it from the backup made with the database, or set SECRET_KEY."
        ) from None


async def build_services(
    settings: Settings, http: aiohttp.ClientSession, clock: Clock = utcnow
) -> Services:
    """`clock`: the receipts' and refunds' time (the tests move it ahead)."""
    store = await open_database(settings)
    try:
        box = open_secret_box(settings)
    except BaseException:
        await store.close()
        raise
    return wire_services(settings, http, store, box, clock)


def wire_services(
    settings: Settings,
    http: aiohttp.ClientSession,
    store: Store,
    box: SecretBox,
    clock: Clock = utcnow,
) -> Services:
    replica = Replica()
    liqpay = LiqPayClient(http, settings.liqpay_api_url, timeout=10, status_attempts=2)
    sms = TurboSmsClient(http, settings.sms_api_url)
    checkbox = CheckboxClient(http, settings.checkbox_api_url)
    outbox_signal = OutboxSignal()
    fiscal_signal = OutboxSignal()
    refund_signal = OutboxSignal()
    receipts, ledger = build_receipts(
        store, liqpay, box, outbox_signal, clock,
        fiscal_signal=fiscal_signal, refund_signal=refund_signal,
    )  # fmt: skip
    fiscal = build_fiscal(store, checkbox, box, outbox_signal, fiscal_signal)
    refunds = RefundService(
        receipts, store.refunds, store.jobs, ledger, outbox_signal, receipts.clock
    )
    refund_worker = JobWorker(
        store.jobs,
        refund_handlers(refunds, fiscal.returns),
        refund_signal,
        receipts.clock,
        replica=replica,
    )
    # Customers read the description on LiqPay's page: it is in Ukrainian, whoever issues.
    invoices = InvoiceService(
        receipts,
        settings,
        sms,
        t("Payment for receipt No {number}", DEFAULT_LOCALE),
        replica_id=replica.id,
    )
    fiscal_setup = FiscalSetupService(checkbox, store.fiscal, box, store.jobs)
    reconcile = build_reconcile(store, receipts, fiscal, checkbox, outbox_signal)
    return Services(
        store=store,
        receipts=receipts,
        invoices=invoices,
        shops=ShopService(store.shops, store.settings, liqpay, sms, box, settings.owner_id_set),
        callbacks=CallbackService(receipts),
        reconciler=Reconciler(
            receipts,
            store.jobs,
            settings.status_poll_interval,
            replica=replica,
        ),
        recovery=IssueRecovery(receipts, invoices.leases),
        signal=outbox_signal,
        fiscal_setup=fiscal_setup,
        fiscal=fiscal,
        fiscal_worker=FiscalWorker(fiscal.sales, fiscal.shifts, replica=replica),
        refunds=refunds,
        refund_worker=refund_worker,
        reporting=ReportingService(store.reports, store.settings),
        reminders=Reminders(store.settings, store.receipt_queries, store.jobs),
        replica=replica,
        catalogue=CatalogueService(store.catalogue, checkbox, fiscal_setup, receipts.clock),
        reconcile=reconcile,
        reconcile_worker=ReconcileWorker(reconcile.daily, replica=replica),
        shelf=BasketShelf(store.catalogue, store.reports),
        goods_names=GoodsNames(store.settings),
    )


def build_bot(settings: Settings, *, retry_after: bool = True) -> Bot:
    """retry_after: repeat what Telegram asks to repeat later (bot/telegram.py). The outbox
    sender's bot goes without: it postpones the row and paces every chat itself, where
    waiting inline would hold all other chats' notifications behind one."""
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=telegram_session(settings.telegram_api_url, retry_after=retry_after),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_dispatcher(
    services: Services,
    settings: Settings,
    events_isolation: BaseEventIsolation | None = None,
    routers: Sequence[Router] | None = None,
) -> Dispatcher:
    """One person's updates are handled one at a time (polling and the webhook run handlers
    concurrently): by the isolation that goes with the dialog storage (a lock per person in
    this process, or in Redis for every replica with REDIS_URL) unless another is given.
    `routers` replace the bot's own (bench/updates.py: an echo bot with the same setup)."""
    storage, isolation = build_dialog_storage(settings, services.store)
    dp = Dispatcher(storage=storage, events_isolation=events_isolation or isolation)
    # Receipts and secrets are a private matter: the bot works in private chats only.
    dp.message.filter(F.chat.type == ChatType.PRIVATE)
    dp.update.outer_middleware(UserContextMiddleware(services.store.users))
    StoredLocaleMiddleware(setup_i18n()).setup(dp)
    dp.update.outer_middleware(AckMiddleware())
    dp.include_routers(*(build_routers() if routers is None else routers))
    dp.include_router(last_resort.build())  # after the routers' own error handlers
    dp.workflow_data.update(
        store=services.store,
        receipts=services.receipts,
        invoices=services.invoices,
        shops=services.shops,
        fiscal_setup=services.fiscal_setup,
        fiscal=services.fiscal.sales,
        refunds=services.refunds,
        reporting=services.reporting,
        reminders=services.reminders,
        catalogue=services.catalogue,
        reconciliation=services.reconcile.reconciliation,
        shelf=services.shelf,
        goods_names=services.goods_names,
        settings=settings,
    )
    return dp
