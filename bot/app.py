"""Lifecycle: the database holds, the HTTP server, Telegram (polling or the webhook) and the
background tasks, over the services and dispatcher bot/wiring.py builds."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.exceptions import AiogramError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.commands import set_default_commands
from bot.dialog_storage import DialogStorageUnavailable, check_dialog_storage
from bot.miniapp.context import MiniAppDeps
from bot.miniapp.web import add_miniapp
from bot.outbox.sender import OutboxSender
from bot.reminders.texts import customer_sms
from bot.web import ReplicaState, build_web_app
from bot.wiring import Services, StartupError, build_bot, build_dispatcher, build_services
from services.config import Settings
from services.jobs.failover import Heartbeat
from services.reminders.worker import ReminderWorker
from storage.postgres.engine import describe_url
from storage.protocols.exclusive import ExclusiveHold
from storage.protocols.store import Store

log = logging.getLogger(__name__)

STOP_TIMEOUT = 6.0  # with the HTTP server's 2 s, shutdown stays under 10 s
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
POLLING_HOLD = "polling"  # one process gets Telegram's updates by polling (or on SQLite, at all)
WEBHOOK_HOLD = "webhook"  # replicas register the webhook one after another
HOLD_RETRY = 0.2  # seconds between tries of a hold another replica has for a moment
HOLD_WATCH = 15.0  # seconds between checks that the polling hold is still ours


class AlreadyRunning(StartupError):
    """Another process already serves this bot where only one may (exit code 2, like a
    setting the bot can't use: the configuration asks for what cannot run)."""


async def hold_the_database(settings: Settings, store: Store) -> ExclusiveHold | None:
    """Long polling gives Telegram's updates to one process, and a SQLite database serves
    one process: take the database's polling hold, or refuse to start with one line. Webhook
    replicas on PostgreSQL share the database and take nothing."""
    if settings.database_url is not None and settings.webhook_url:
        return None
    hold = await store.hold_exclusive(POLLING_HOLD)
    if hold is not None:
        return hold
    if settings.database_url is not None:
        where = describe_url(settings.database_url.get_secret_value())
        raise AlreadyRunning(
            f"Another bot process is already polling Telegram with DATABASE_URL ({where}): "
            "Telegram gives updates to one poller only. Stop it first, or run every replica "
            "in webhook mode (WEBHOOK_URL)."
        )
    raise AlreadyRunning(
        f"Another bot process is already running on DATABASE_PATH={settings.database_path}: "
        "a SQLite database serves one process. Stop it first; to run several replicas, use "
        "DATABASE_URL (PostgreSQL) with WEBHOOK_URL."
    )


def start_heartbeat(services: Services, *, sole: bool) -> Heartbeat:
    """This replica's heartbeat; `sole`: SQLite, where this process is the only one."""
    return Heartbeat(
        services.store, services.replica.id, services.receipts.clock, sole=sole,
        wake=[services.signal.notify, services.recovery.wake, services.fiscal.access.wake.notify,
              services.refund_worker.wake.notify],
    )  # fmt: skip


def webhook_secret(settings: Settings) -> str:
    digest = hashlib.sha256(b"webhook:" + settings.bot_token.get_secret_value().encode())
    return digest.hexdigest()


async def watch_polling_hold(
    store: Store, replica: ReplicaState, stop: asyncio.Event, every: float = HOLD_WATCH
) -> None:
    """The polling hold can be lost while we run (PostgreSQL restarted, or ended the
    session): take it again at once, or, if another process has it meanwhile, stop rather
    than poll beside it."""
    refused = 0
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set() or replica.holds_polling:
            continue
        try:
            hold = await store.hold_exclusive(POLLING_HOLD)
        except Exception as exc:  # the database is away: the hold is nobody's meanwhile
            log.warning("Taking the polling hold again failed (%s)", type(exc).__name__)
            continue
        if hold is None:
            refused += 1  # once may be our own ended session, not cleaned up yet
            if refused >= 2:
                log.error("Another bot process took over polling this database: stopping")
                stop.set()
            continue
        refused = 0
        replica.polling = hold
        log.warning("The polling hold was lost (the database dropped it) and is taken again")


async def _retry_until_stopped(
    stop: asyncio.Event, what: str, attempt: Callable[[], Awaitable[bool | None]]
) -> None:
    """Run `attempt` until it succeeds (returns anything but False) or the bot stops;
    Telegram being down or hanging at start must not block start-up or shutdown."""
    while not stop.is_set():
        try:
            if await attempt() is not False:
                return
        except Exception as exc:
            log.warning("%s failed (%s); retrying in 5 s", what, type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 5)


async def _telegram_polling(dp: Dispatcher, bot: Bot, stop: asyncio.Event) -> None:
    await _retry_until_stopped(stop, "Setting the command menu", lambda: set_default_commands(bot))

    async def poll() -> None:
        try:  # a webhook left from webhook mode would block getUpdates
            await bot.delete_webhook(drop_pending_updates=False)
        except AiogramError as exc:
            log.warning("Could not delete the Telegram webhook: %s", type(exc).__name__)
        await dp.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=dp.resolve_used_update_types(),
        )

    await _retry_until_stopped(stop, "Telegram polling", poll)


async def _telegram_webhook(
    dp: Dispatcher, bot: Bot, settings: Settings, store: Store, stop: asyncio.Event
) -> None:
    await _retry_until_stopped(stop, "Setting the command menu", lambda: set_default_commands(bot))

    async def register() -> None:
        # Replicas starting at once take turns, and each sets the webhook only if Telegram
        # does not have it already: one registration, not one per replica.
        while (hold := await store.hold_exclusive(WEBHOOK_HOLD)) is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), HOLD_RETRY)
            if stop.is_set():
                return
        try:
            await register_webhook(bot, settings, dp.resolve_used_update_types())
        finally:
            await hold.release()
        log.info("Telegram webhook mode")

    await _retry_until_stopped(stop, "Setting the Telegram webhook", register)


async def register_webhook(bot: Bot, settings: Settings, update_types: list[str]) -> bool:
    """setWebhook unless Telegram already sends these updates to WEBHOOK_URL (the secret
    token comes from the bot token, so it is the same for every replica); True if set."""
    assert settings.webhook_url is not None
    info = await bot.get_webhook_info()
    if info.url == settings.webhook_url and sorted(info.allowed_updates or []) == sorted(
        update_types
    ):
        log.info("The Telegram webhook is registered already")
        return False
    await bot.set_webhook(
        settings.webhook_url, secret_token=webhook_secret(settings), allowed_updates=update_types
    )
    return True


async def _quietly(close: Callable[[], Awaitable[object]]) -> None:
    """Close without hiding the start-up error that made us close."""
    with contextlib.suppress(Exception):
        await close()


async def run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    async with contextlib.AsyncExitStack() as opened:
        # A start-up that fails closes what it opened so far: a session or the store's
        # thread left open would keep the process from exiting.
        http = aiohttp.ClientSession()
        opened.push_async_callback(_quietly, http.close)
        services = await build_services(settings, http)
        opened.push_async_callback(_quietly, services.store.close)  # releases its holds
        replica = ReplicaState(services.replica, await hold_the_database(settings, services.store))
        heartbeat = start_heartbeat(services, sole=settings.database_url is None)
        await heartbeat.start()  # before any work: a dead process's leases are freed first
        bot = build_bot(settings)
        opened.push_async_callback(_quietly, bot.session.close)
        dp = build_dispatcher(services, settings)
        opened.push_async_callback(_quietly, dp.fsm.close)
        try:
            await check_dialog_storage(settings, dp.storage)
        except DialogStorageUnavailable as exc:
            raise StartupError(str(exc)) from None
        store = services.store
        outbox_bot = build_bot(settings, retry_after=False)
        opened.push_async_callback(_quietly, outbox_bot.session.close)
        sender = OutboxSender(
            store.jobs, store.receipts, store.users, outbox_bot, services.signal,
            shops=store.shops, replica=services.replica, lines=store.receipt_lines,
        )  # fmt: skip
        reminder_worker = ReminderWorker(
            store.jobs,
            store.receipts,
            store.receipt_queries,
            store.settings,
            store.shops,
            services.invoices,
            services.signal,
            customer_sms,
            replica=services.replica,
            reconciled=store.reconcile,
        )

        web_app = build_web_app(services.store, services.callbacks, replica)
        add_miniapp(web_app, MiniAppDeps(services, settings.bot_token.get_secret_value(), bot=bot))
        if settings.webhook_url:
            path = urlparse(settings.webhook_url).path or DEFAULT_WEBHOOK_PATH
            SimpleRequestHandler(
                dispatcher=dp, bot=bot, secret_token=webhook_secret(settings)
            ).register(web_app, path=path)
        runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2)
        await runner.setup()
        opened.push_async_callback(_quietly, runner.cleanup)
        try:
            await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        except OSError as exc:
            raise StartupError(
                f"Cannot listen on {settings.http_host}:{settings.http_port} ({exc.strerror}): "
                "set HTTP_HOST / HTTP_PORT to a free address."
            ) from None
        opened.pop_all()  # started: the shutdown below closes everything in its own order
    log.info("HTTP server on %s:%s", settings.http_host, settings.http_port)
    if settings.callback_url is None:
        log.info("PUBLIC_BASE_URL is not set: no server_url is sent; payments are found by polling")

    background = [
        asyncio.create_task(heartbeat.run(stop), name="heartbeat"),
        asyncio.create_task(services.reconciler.run(stop), name="reconciler"),
        asyncio.create_task(sender.run(stop), name="outbox"),
        asyncio.create_task(services.recovery.run(stop), name="recovery"),
        asyncio.create_task(services.fiscal_worker.run(stop), name="fiscal"),
        asyncio.create_task(services.refund_worker.run(stop), name="refunds"),
        asyncio.create_task(reminder_worker.run(stop), name="reminders"),
        asyncio.create_task(services.reconcile_worker.run(stop), name="reconcile"),
    ]
    if replica.polling is not None:
        background.append(
            asyncio.create_task(watch_polling_hold(store, replica, stop), name="polling hold")
        )
    if settings.webhook_url:
        telegram = asyncio.create_task(_telegram_webhook(dp, bot, settings, services.store, stop))
    else:
        telegram = asyncio.create_task(_telegram_polling(dp, bot, stop))

    await stop.wait()
    log.info("Stopping")
    with contextlib.suppress(RuntimeError):  # polling may never have started
        await dp.stop_polling()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await asyncio.wait_for(telegram, STOP_TIMEOUT / 2)
    await runner.cleanup()  # no new callbacks; in-flight ones finish first
    _, unfinished = await asyncio.wait(background, timeout=STOP_TIMEOUT / 2)
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    await dp.fsm.close()  # dialog storage and event isolation
    await bot.session.close()
    await outbox_bot.session.close()
    await http.close()
    await services.store.close()
    log.info("Stopped")
