"""Reminders before an invoice expires: to the cashier (the card with its buttons) and to the
customer (one SMS), each once, never for a receipt that is closed by then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, NoReturn

import aiohttp
import pytest
from aiogram.methods import SendMessage

from bot.i18n import DEFAULT_LOCALE, setup_i18n
from bot.reminders.texts import customer_sms, reminder_message
from bot.ui.callbacks import ReceiptAction
from services.core.crypto import SecretBox
from services.core.money import format_amount
from services.invoices.sms import SMS_MAYBE_SENT, SMS_UNAVAILABLE
from services.notifications.jobs import NotificationKind
from services.receipts.transitions import MISMATCH_FLAG
from services.reminders.service import CASHIER, CUSTOMER, REMIND, reminder_key
from services.reminders.worker import MAYBE_SENT, ReminderWorker
from services.turbosms import SmsMaybeSent, SmsUnavailable, TurboSmsClient
from storage.models.jobs import JobState, NewJob
from storage.models.receipts import Channel, EventSource, ReceiptStatus
from storage.models.settings import SettingsChanges
from storage.sqlite.store import SqliteStore
from tests.conftest import FakeClock
from tests.doubles.turbosms import FakeTurboSMS
from tests.doubles.turbosms_mock import SMS_SEND
from tests.reminder_fixtures import LINK, World, make_world, markup_data, sms_text

S = ReceiptStatus
PHONE = "380501234567"


@pytest.fixture
async def world(store: SqliteStore, box: SecretBox, clock: FakeClock) -> AsyncIterator[World]:
    async with make_world(store, box, clock) as made:
        yield made


async def switch_on(world: World, which: str, *, sms: bool = False) -> None:
    if sms:
        token = world.receipts.box.encrypt("turbo-token")
        await world.store.settings.save_sms_gateway(world.shop.shop_id, token, "Coffee")
    await world.reminders.set_switch(world.owner, which, True)


async def reminders_of(world: World, receipt_id: int) -> list[tuple[str, JobState]]:
    jobs = await world.store.jobs.find(kind=REMIND, receipt_id=receipt_id)
    return [(str(j.payload["to"]), j.state) for j in jobs]


def sent_to(world: World, chat_id: int) -> list[SendMessage]:
    return [
        r
        for r in world.session.requests
        if isinstance(r, SendMessage) and int(r.chat_id) == chat_id
    ]


async def test_is_off_by_default(world: World) -> None:
    settings = await world.store.settings.get(world.shop.shop_id)
    assert (settings.remind_cashier, settings.remind_customer, settings.digest) == (
        False,
        False,
        False,
    )
    assert (settings.remind_lead, settings.digest_at) == (3600, 20 * 60)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    assert await reminders_of(world, receipt.id) == []


async def test_cashier_reminder_fires_once_with_the_card_and_its_buttons(world: World) -> None:
    await switch_on(world, CASHIER)
    receipt = await world.awaiting(lifetime=timedelta(hours=3))
    [job] = await world.store.jobs.find(kind=REMIND, receipt_id=receipt.id)
    assert job.run_at == receipt.expires_at - timedelta(hours=1)  # made with the awaiting
    worker, outbox = world.worker(), world.outbox()

    world.clock.advance(hours=1, minutes=59)
    await worker.drain()
    await outbox.drain()
    assert sent_to(world, world.shop.cashier_id) == []  # not yet

    world.clock.advance(minutes=1)
    await worker.drain()
    await outbox.drain()
    [message] = sent_to(world, world.shop.cashier_id)
    current = await world.store.receipts.get(receipt.id)
    assert current is not None
    assert message.text == reminder_message(current, DEFAULT_LOCALE)
    assert "Чек № " in message.text and LINK in message.text
    buttons = {ReceiptAction.unpack(data).action for data in markup_data(message)}
    assert buttons == {"check", "qr", "cancel"}  # the card's own buttons
    assert sent_to(world, world.shop.owner_id) == []  # the cashier's, not the owner's
    # the reminder became the card the outbox keeps current
    assert current.card_message_id is not None

    for _ in range(3):
        world.clock.advance(minutes=10)
        await worker.drain()
        await outbox.drain()
    assert len(sent_to(world, world.shop.cashier_id)) == 1
    assert await reminders_of(world, receipt.id) == [(CASHIER, JobState.DONE)]


async def test_sms_invoice_reminder_card_offers_the_sms_again(world: World) -> None:
    await switch_on(world, CASHIER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.clock.advance(hours=2)
    await world.worker().drain()
    await world.outbox().drain()
    [message] = sent_to(world, world.shop.cashier_id)
    actions = {ReceiptAction.unpack(data).action for data in markup_data(message)}
    assert "sms" in actions
    assert ReceiptAction.unpack(markup_data(message)[0]).id == receipt.id


@pytest.mark.parametrize("closed", [S.PAID, S.CANCELLED, S.EXPIRED, S.FAILED])
async def test_never_for_a_receipt_closed_by_then(world: World, closed: ReceiptStatus) -> None:
    await switch_on(world, CASHIER, sms=True)
    await world.reminders.set_switch(world.owner, CUSTOMER, True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    assert sorted(await reminders_of(world, receipt.id)) == [
        (CASHIER, JobState.PENDING),
        (CUSTOMER, JobState.PENDING),
    ]
    world.clock.advance(minutes=30)
    await world.close(receipt, closed)
    world.clock.advance(hours=2)
    await world.worker().drain()
    await world.outbox().drain()
    assert sent_to(world, world.shop.cashier_id) == []
    assert world.sms_sent() == []
    assert await world.notices(NotificationKind.REMINDER) == []
    assert sorted(await reminders_of(world, receipt.id)) == [
        (CASHIER, JobState.DONE),
        (CUSTOMER, JobState.DONE),
    ]


async def test_paid_between_firing_and_sending_is_not_reminded(world: World) -> None:
    await switch_on(world, CASHIER)
    receipt = await world.awaiting()
    world.clock.advance(hours=2)
    await world.worker().drain()
    assert len(await world.notices(NotificationKind.REMINDER)) == 1
    await world.close(receipt, S.PAID)
    await world.outbox().drain()
    assert sent_to(world, world.shop.cashier_id) == []


async def test_flagged_between_firing_and_sending_is_not_reminded(world: World) -> None:
    await switch_on(world, CASHIER)
    receipt = await world.awaiting()
    world.clock.advance(hours=2)
    await world.worker().drain()
    assert len(await world.notices(NotificationKind.REMINDER)) == 1
    # a payment that differed came in: it stays awaiting, flagged for the owner
    flagged = await world.store.receipts.flag(
        receipt.id,
        reason=MISMATCH_FLAG,
        source=EventSource.CALLBACK,
        now=world.clock(),
        liqpay_status="success",
    )
    assert flagged
    await world.outbox().drain()
    assert sent_to(world, world.shop.cashier_id) == []  # no "please pay" for money that came


async def test_past_its_expiry_a_receipt_still_awaiting_is_not_reminded(world: World) -> None:
    await switch_on(world, CASHIER)
    await world.awaiting(lifetime=timedelta(hours=3))
    world.clock.advance(hours=4)  # the worker was down until after the expiry
    await world.worker().drain()
    await world.outbox().drain()
    assert sent_to(world, world.shop.cashier_id) == []


async def test_switching_off_stops_future_reminders(world: World) -> None:
    await switch_on(world, CASHIER)
    receipt = await world.awaiting()
    await world.reminders.set_switch(world.owner, CASHIER, False)
    world.clock.advance(hours=2)
    await world.worker().drain()
    await world.outbox().drain()
    assert sent_to(world, world.shop.cashier_id) == []
    assert await reminders_of(world, receipt.id) == [(CASHIER, JobState.DONE)]
    later = await world.awaiting()
    assert await reminders_of(world, later.id) == []  # none is even made while off


async def test_switching_on_schedules_the_receipts_already_awaiting(world: World) -> None:
    early = await world.awaiting(lifetime=timedelta(hours=3))
    too_close = await world.awaiting(lifetime=timedelta(minutes=30))  # inside the lead
    await switch_on(world, CASHIER)
    await switch_on(world, CASHIER)  # a second tap makes nothing twice
    assert await reminders_of(world, early.id) == [(CASHIER, JobState.PENDING)]
    assert await reminders_of(world, too_close.id) == []
    world.clock.advance(hours=2)
    await world.worker().drain()
    await world.outbox().drain()
    assert len(sent_to(world, world.shop.cashier_id)) == 1


async def test_an_invoice_shorter_than_the_lead_gets_no_reminder(world: World) -> None:
    await switch_on(world, CASHIER)
    receipt = await world.awaiting(lifetime=timedelta(minutes=45))
    assert await reminders_of(world, receipt.id) == []


async def test_a_new_worker_after_a_restart_does_not_send_twice(world: World) -> None:
    await switch_on(world, CASHIER)
    receipt = await world.awaiting()
    world.clock.advance(hours=2)
    first = world.worker("before-restart")

    async def dies(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("killed after making the notice, before finishing its job")

    first.jobs = world.store.jobs
    original_finish = world.store.jobs.finish
    world.store.jobs.finish = dies  # type: ignore[method-assign]
    try:
        await first.drain()  # the notice is made; finishing the reminder fails
    finally:
        world.store.jobs.finish = original_finish  # type: ignore[method-assign]
    [reminder] = await world.store.jobs.find(kind=REMIND, receipt_id=receipt.id)
    assert reminder.state is JobState.PENDING

    world.clock.advance(minutes=5)
    await world.worker("after-restart").drain()
    await world.outbox().drain()
    await world.worker("after-restart").drain()
    assert len(await world.notices(NotificationKind.REMINDER)) == 1
    assert len(sent_to(world, world.shop.cashier_id)) == 1
    assert await reminders_of(world, receipt.id) == [(CASHIER, JobState.DONE)]


async def test_a_reminder_for_an_older_expiry_is_dropped(world: World) -> None:
    await switch_on(world, CASHIER)
    receipt = await world.awaiting(lifetime=timedelta(hours=3))
    [job] = await world.store.jobs.find(kind=REMIND, receipt_id=receipt.id)
    older = receipt.expires_at - timedelta(hours=1)
    stale = NewJob(
        REMIND,
        {"to": CASHIER, "expires_at": int(older.timestamp())},
        run_at=older - timedelta(hours=1),
        dedupe_key=reminder_key(CASHIER, receipt.id, older),
        receipt_id=receipt.id,
    )
    assert await world.store.jobs.enqueue([stale], world.clock()) == 1
    world.clock.advance(hours=1)  # the stale one is due, the current one is not
    await world.worker().drain()
    assert await world.notices(NotificationKind.REMINDER) == []
    world.clock.advance(hours=1)
    await world.worker().drain()
    assert len(await world.notices(NotificationKind.REMINDER)) == 1
    assert (await world.store.jobs.get(job.id)).state is JobState.DONE  # type: ignore[union-attr]


async def test_a_shortened_lead_moves_the_reminder_later(world: World) -> None:
    await switch_on(world, CASHIER)
    await world.awaiting(lifetime=timedelta(hours=3))
    await world.reminders.set_lead(world.owner, 15 * 60)
    world.clock.advance(hours=2)  # the old moment: 1 h before expiry
    await world.worker().drain()
    assert await world.notices(NotificationKind.REMINDER) == []
    world.clock.advance(minutes=45)
    await world.worker().drain()
    assert len(await world.notices(NotificationKind.REMINDER)) == 1


async def test_a_lead_not_offered_is_refused(world: World) -> None:
    with pytest.raises(ValueError):
        await world.reminders.set_lead(world.owner, 7 * 60)
    cashier = await world.store.shops.get_member(world.shop.cashier_id)
    assert cashier is not None
    with pytest.raises(PermissionError):
        await world.reminders.set_switch(cashier, CASHIER, True)
    assert not (await world.store.settings.get(world.shop.shop_id)).remind_cashier


# -- the customer's SMS


async def test_customer_gets_one_sms_with_the_link_in_ukrainian(world: World) -> None:
    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.PENDING)]
    world.queue_sms(times=3)
    world.clock.advance(hours=2)
    for _ in range(3):
        await world.worker().drain()
        world.clock.advance(minutes=5)
    [sent] = world.sms_sent()
    assert sent["recipients"] == [PHONE]
    assert sent["sms"]["sender"] == "Coffee"
    text = sms_text(sent)
    assert text.startswith("Shop: ")  # the shop's name leads
    assert "нагадуємо" in text and LINK in text and format_amount(25050, "UAH") in text
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.DONE)]
    assert sent_to(world, world.shop.cashier_id) == []  # the customer's switch only


@pytest.mark.parametrize(
    ("channel", "contact", "with_sms"),
    [
        (Channel.EMAIL, "buyer@example.com", True),  # LiqPay mailed it: no phone
        (Channel.PRIVAT24, PHONE, True),  # LiqPay delivered it in Privat24
        (Channel.LINK, None, True),  # no phone given
        (Channel.SMS, PHONE, False),  # the shop has no SMS gateway
    ],
)
async def test_no_customer_sms_unless_every_condition_holds(
    world: World, channel: Channel, contact: str | None, with_sms: bool
) -> None:
    await switch_on(world, CUSTOMER, sms=with_sms)
    receipt = await world.awaiting(channel=channel, contact=contact)
    assert await reminders_of(world, receipt.id) == []
    world.clock.advance(hours=2)
    await world.worker().drain()
    assert world.sms_sent() == []


async def test_customer_sms_waits_out_a_turbosms_outage_and_goes_once(world: World) -> None:
    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.queue_sms(503)
    world.queue_sms(200, times=2)
    world.clock.advance(hours=2)
    await world.worker().drain()
    [(_, state)] = await reminders_of(world, receipt.id)
    assert state is JobState.PENDING and len(world.sms_sent()) == 1  # the failed one
    world.clock.advance(minutes=2)
    await world.worker().drain()
    world.clock.advance(minutes=2)
    await world.worker().drain()
    assert len(world.sms_sent()) == 2  # the failed attempt and the one that went
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.DONE)]


async def test_customer_sms_is_not_sent_again_after_a_worker_died_sending(world: World) -> None:
    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.queue_sms(times=2)
    world.clock.advance(hours=2)
    # a worker claimed it and died in the middle (no error recorded, no finish)
    claimed = await world.store.jobs.claim(
        REMIND, "died", limit=5, lease=timedelta(minutes=2), now=world.clock()
    )
    assert len(claimed) == 1
    world.clock.advance(minutes=3)
    await world.worker("after-restart").drain()
    assert world.sms_sent() == []  # it may have gone: never risk a second one
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.DEAD)]


async def test_customer_switch_off_sends_nothing(world: World) -> None:
    await switch_on(world, CUSTOMER, sms=True)
    await world.awaiting(channel=Channel.SMS, contact=PHONE)
    await world.store.settings.update(world.shop.shop_id, SettingsChanges(remind_customer=False))
    world.queue_sms()
    world.clock.advance(hours=2)
    await world.worker().drain()
    assert world.sms_sent() == []


# -- a reminder SMS that may have gone is never sent again


class FailingJobs:
    """The real job queue, whose bookkeeping calls named in `failing` raise (a database
    gone for a moment, or a worker killed at that point)."""

    def __init__(self, jobs: Any, *failing: str) -> None:
        self._jobs = jobs
        self.failing = set(failing)

    def __getattr__(self, name: str) -> Any:
        if name in self.failing:

            async def broken(*args: object, **kwargs: object) -> NoReturn:
                raise RuntimeError(f"{name} failed")

            return broken
        return getattr(self._jobs, name)


def worker_over(world: World, jobs: Any, worker_id: str = "worker-1") -> ReminderWorker:
    return ReminderWorker(
        jobs,
        world.store.receipts,
        world.store.receipt_queries,
        world.store.settings,
        world.store.shops,
        world.invoices,
        world.signal,
        customer_sms,
        world.clock,
        worker_id=worker_id,
    )


async def drain_for(world: World, minutes: int, worker_id: str = "worker-1") -> None:
    """A worker looking for due jobs every minute, for `minutes` (leases run out meanwhile)."""
    for _ in range(minutes):
        world.clock.advance(minutes=1)
        await world.worker(worker_id).drain()


async def test_a_turbosms_timeout_is_given_up_not_sent_again(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.sms.post(SMS_SEND, exception=TimeoutError())  # the request went out, no answer
    world.queue_sms(times=3)
    world.clock.advance(hours=2)
    await world.worker().drain()
    await drain_for(world, 5)
    assert len(world.sms_sent()) == 1  # the one that may have gone
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.DEAD)]
    [job] = await world.store.jobs.find(kind=REMIND, receipt_id=receipt.id)
    assert job.last_error == MAYBE_SENT
    assert any("may have gone" in r.getMessage() for r in caplog.records)


async def test_a_connection_never_made_is_tried_again(world: World) -> None:
    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.sms.post(SMS_SEND, exception=aiohttp.ConnectionTimeoutError())
    world.queue_sms(times=3)
    world.clock.advance(hours=2)
    await world.worker().drain()
    await drain_for(world, 5)
    assert len(world.sms_sent()) == 2  # the connect that timed out, then the one that went
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.DONE)]


@pytest.mark.parametrize(
    "failing",
    [
        ("finish",),  # finishing failed once the SMS had gone
        ("finish", "give_up"),  # ... and so did giving up: the lease runs out
    ],
)
async def test_sent_but_not_finished_is_not_sent_again(
    world: World, failing: tuple[str, ...]
) -> None:
    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.queue_sms(times=3)
    world.clock.advance(hours=2)
    await worker_over(world, FailingJobs(world.store.jobs, *failing)).drain()
    assert len(world.sms_sent()) == 1
    await drain_for(world, 6)
    assert len(world.sms_sent()) == 1
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.DEAD)]


async def test_sent_after_an_outage_then_killed_is_not_sent_again(world: World) -> None:
    """The outage's recorded error belongs to the attempt before the one that sent."""
    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.queue_sms(503)
    world.queue_sms(times=3)
    world.clock.advance(hours=2)
    await world.worker().drain()  # TurboSMS answered 503: recorded, again in a minute
    world.clock.advance(minutes=2)
    killed = FailingJobs(world.store.jobs, "finish", "give_up", "postpone")
    await worker_over(world, killed).drain()  # sent; then nothing could be written
    assert len(world.sms_sent()) == 2
    await drain_for(world, 6, "after-restart")
    assert len(world.sms_sent()) == 2
    assert await reminders_of(world, receipt.id) == [(CUSTOMER, JobState.DEAD)]


# what TurboSmsClient calls "certainly not sent" and "may have been sent", over real HTTP


async def test_sms_client_tells_not_sent_from_maybe_sent() -> None:
    async with FakeTurboSMS() as fake, aiohttp.ClientSession() as http:
        fake.add_token("tok")
        client = TurboSmsClient(http, fake.url, timeout=0.5)
        fake.delay = 1.5  # the request reached the gateway; its answer is late
        with pytest.raises(SmsMaybeSent):
            await client.send("tok", "Shop", PHONE, "hi")
        fake.delay = 0
        fake.fail_next(503)
        with pytest.raises(SmsUnavailable) as unavailable:
            await client.send("tok", "Shop", PHONE, "hi")
        assert not isinstance(unavailable.value, SmsMaybeSent)
        fake.fail_next(200, "<html>ok</html>")  # answered, but unreadable: it may have gone
        with pytest.raises(SmsMaybeSent):
            await client.send("tok", "Shop", PHONE, "hi")
        closed_url = fake.url
    async with aiohttp.ClientSession() as http:  # the gateway is gone: connection refused
        with pytest.raises(SmsUnavailable) as refused:
            await TurboSmsClient(http, closed_url, timeout=0.5).send("tok", "Shop", PHONE, "hi")
        assert not isinstance(refused.value, SmsMaybeSent)


async def test_the_resend_button_says_a_timed_out_sms_may_have_gone(world: World) -> None:
    """The cashier's «Resend SMS» still sends on each tap; after a timeout it no longer says
    "not sent" (which invites a second SMS) but that it may have gone."""
    from aiogram.utils.i18n import I18n

    from bot.receipts.show import sms_problem

    await switch_on(world, CUSTOMER, sms=True)
    receipt = await world.awaiting(channel=Channel.SMS, contact=PHONE)
    world.sms.post(SMS_SEND, exception=TimeoutError())
    world.sms.post(SMS_SEND, exception=aiohttp.ConnectionTimeoutError())
    maybe_sent = await world.invoices.send_sms(receipt)
    not_sent = await world.invoices.send_sms(receipt)
    assert (maybe_sent, not_sent) == (SMS_MAYBE_SENT, SMS_UNAVAILABLE)
    assert maybe_sent is not None and not_sent is not None
    i18n: I18n = setup_i18n()
    with i18n.use_locale("uk"):
        assert "можливо, надіслано" in sms_problem(maybe_sent)
        assert "не надіслано" in sms_problem(not_sent)
