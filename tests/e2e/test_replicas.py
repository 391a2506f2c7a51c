"""Two real `python -m bot` replicas of one bot on one PostgreSQL and one Redis, in webhook
mode behind a round-robin "load balancer" (the fake Telegram posts each update to the next
replica in turn). One is killed with SIGKILL while it sends notices; nothing is lost,
nothing doubled, no receipt is checked by both at once, the survivor sends the killed one's
notices within seconds, and a dialog started on both replicas is finished on the survivor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from tests.doubles.liqpay import FakeLiqPay
from tests.doubles.telegram import FakeTelegram
from tests.doubles.turbosms import FakeTurboSMS
from tests.e2e.harness import BotProcess, free_port
from tests.e2e.test_flows import Person, invite, new_invoice, open_shop
from tests.e2e.test_interruptions import summary

START_WITHIN = 90  # two interpreters, migrations and Redis at once on a loaded machine
NOTICE_LEASE = 60  # bot/outbox/sender.py LEASE: a killed sender's notices waited this long
# ...and now the survivor finds the killed replica dead (its heartbeat stopped 8 s, its
# session gone) and sends them: a cashier waiting for "paid" waits seconds.
TAKEN_OVER_WITHIN = 20
WEBHOOK_PATH = "/telegram/webhook"


async def wait_until(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.1)


async def leased_by(replica: BotProcess) -> int:
    status, health = await replica.healthz()
    assert status == 200, health
    leased: int = health["replica"]["jobs_leased"]
    return leased


def paid_notices(tg: FakeTelegram, chat_id: int, number: int) -> int:
    return sum(
        1
        for m in tg.messages(chat_id)
        if not m.is_edit and f"Receipt No {number} is paid" in m.text
    )


def make_replica(
    tg: FakeTelegram, liqpay: FakeLiqPay, sms: FakeTurboSMS, work_dir: Path
) -> BotProcess:
    return BotProcess(
        telegram_url=tg.url, liqpay_api_url=liqpay.api_url, sms_url=sms.url, work_dir=work_dir
    )


async def test_two_replicas_serve_one_bot_through_a_sigkill(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    bot_process: BotProcess,
    fresh_postgres_url: str,
    fresh_redis_url: str,
    tmp_path: Path,
) -> None:
    tg = fake_telegram
    a, b = bot_process, make_replica(tg, fake_liqpay, fake_sms, tmp_path / "replica-b")
    # What Telegram is told: the balancer's address, the same for every replica.
    balancer = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"
    for replica in (a, b):
        replica.env.update(
            DATABASE_URL=fresh_postgres_url,
            REDIS_URL=fresh_redis_url,
            WEBHOOK_URL=balancer,
            STATUS_POLL_INTERVAL="1",  # both reconcilers sweep all the time
        )
    fake_liqpay.answer_delay["status"] = 0.3  # a check takes a while: overlaps would show
    tg.deliver_webhook([a.url + WEBHOOK_PATH, b.url + WEBHOOK_PATH])
    try:
        await asyncio.gather(a.start(START_WITHIN), b.start(START_WITHIN))
        for replica in (a, b):
            await replica.wait_for_log("Telegram webhook mode", timeout=START_WITHIN)
            _, health = await replica.healthz()
            assert health["engine"] == "postgresql"
            assert health["replica"]["holds_polling"] is False
        # Started at once, they took turns: one set the webhook, the other found it set.
        assert [c.params["url"] for c in tg.calls("setWebhook")] == [balancer]
        assert len(tg.calls("getWebhookInfo")) >= 2  # (more if one was retried)
        assert not tg.calls("getUpdates")

        owner = Person(tg, tg.user(111, "Olena", "en"))
        cashier = Person(tg, tg.user(222, "Petro", "en"))
        await open_shop(owner, fake_liqpay)
        await invite(owner, cashier)
        for n in range(1, 5):
            await new_invoice(cashier, f"{10 + n}", None, "E-mail", f"buyer{n}@example.com")
        targets = {target for target, _ in tg.webhook_deliveries}
        assert targets == {a.url + WEBHOOK_PATH, b.url + WEBHOOK_PATH}
        orders = [r.payload["order_id"] for r in fake_liqpay.requests_for("invoice_send")]
        assert len(orders) == 4

        # Callbacks to both replicas.
        assert await fake_liqpay.pay(orders[0], callback_url=a.callback_url) == 200
        assert await fake_liqpay.pay(orders[1], callback_url=b.callback_url) == 200
        for number in (1, 2):
            for chat in (owner.user.id, cashier.user.id):
                await wait_until(
                    f"notice {number} in chat {chat}",
                    lambda n=number, c=chat: paid_notices(tg, c, n) >= 1,  # type: ignore[misc]
                    30,
                )

        # A dialog begun on both replicas (each update goes to the next one)...
        tg.mark(cashier.user.id)
        await cashier.say("/new", "Amount in UAH")
        asked = await cashier.say("77", "What is it for")

        # ...then notices in flight: replica A takes them and is killed while sending.
        tg.hang_sends()
        assert await fake_liqpay.pay(orders[2], callback_url=a.callback_url) == 200
        assert await fake_liqpay.pay(orders[3], callback_url=a.callback_url) == 200
        deadline = time.monotonic() + 30
        while not (tg.hanging >= 1 and await leased_by(a) >= 1):
            assert time.monotonic() < deadline, "replica A never took a notice"
            await asyncio.sleep(0.1)
        await a.kill()
        killed = time.monotonic()
        tg.release_sends()  # what A had on the wire never arrived

        # The dialog goes on on B alone, from the step it reached.
        channels = await cashier.tap(asked, "Skip", "How does the customer get")
        await cashier.tap(channels, "E-mail", "?")
        summary = await cashier.say("buyer5@example.com", "Check the invoice")
        assert "77,00" in summary.text
        card = await cashier.tap(summary, "Confirm", "Receipt No 5")
        orders = [r.payload["order_id"] for r in fake_liqpay.requests_for("invoice_send")]
        assert len(orders) == 5
        assert await fake_liqpay.pay(orders[4], callback_url=b.callback_url) == 200

        # B sends A's notices within seconds (not once their lease runs out), and its own.
        for number in (3, 4):
            for chat in (owner.user.id, cashier.user.id):
                await wait_until(
                    f"A's notice {number} in chat {chat}",
                    lambda n=number, c=chat: paid_notices(tg, c, n) >= 1,  # type: ignore[misc]
                    max(0.0, killed + TAKEN_OVER_WITHIN - time.monotonic()),
                )
        for number in range(1, 6):
            for chat in (owner.user.id, cashier.user.id):
                await wait_until(
                    f"notice {number} in chat {chat}",
                    lambda n=number, c=chat: paid_notices(tg, c, n) >= 1,  # type: ignore[misc]
                    NOTICE_LEASE + 60,
                )
        await wait_until("B has no notice left", lambda: tg.hanging == 0, 10)
        await asyncio.sleep(3)  # a doubled notice would come now
        doubled = {
            (chat, number): paid_notices(tg, chat, number)
            for number in range(1, 6)
            for chat in (owner.user.id, cashier.user.id)
            if paid_notices(tg, chat, number) != 1
        }
        assert not doubled, doubled
        assert "Receipt No 5" in card.text

        # One invoice per receipt, each order id made once; never two checks of one receipt.
        sent = [r for r in fake_liqpay.requests_for("invoice_send") if r.signature_ok]
        assert sorted(r.payload["order_id"] for r in sent) == sorted(set(orders))
        assert all(r.answer and r.answer.get("result") == "ok" for r in sent)
        assert fake_liqpay.overlapping_status == []
        assert fake_liqpay.requests_for("status"), "the reconcilers never ran"

        # One replica stopping leaves the webhook to the others.
        await b.stop()
        assert not tg.calls("deleteWebhook")
        assert tg.webhook_url == balancer
    finally:
        await b.kill()


async def test_a_replica_killed_mid_confirm_the_survivor_tells_the_cashier_in_seconds(
    fake_telegram: FakeTelegram,
    fake_liqpay: FakeLiqPay,
    fake_sms: FakeTurboSMS,
    bot_process: BotProcess,
    fresh_postgres_url: str,
    fresh_redis_url: str,
    tmp_path: Path,
) -> None:
    """A made the invoice and is killed while showing its card (its issuing lease runs a
    minute then, for Telegram's waits): B finds A dead and tells the cashier, once."""
    tg = fake_telegram
    a, b = bot_process, make_replica(tg, fake_liqpay, fake_sms, tmp_path / "replica-b")
    balancer = f"http://127.0.0.1:{free_port()}{WEBHOOK_PATH}"
    for replica in (a, b):
        replica.env.update(
            DATABASE_URL=fresh_postgres_url,
            REDIS_URL=fresh_redis_url,
            WEBHOOK_URL=balancer,
            STATUS_POLL_INTERVAL="600",  # told by the recovery, not the reconciler
        )
    tg.deliver_webhook([a.url + WEBHOOK_PATH])  # the cashier's taps reach A
    try:
        await asyncio.gather(a.start(START_WITHIN), b.start(START_WITHIN))
        for replica in (a, b):
            await replica.wait_for_log("Telegram webhook mode", timeout=START_WITHIN)
        owner = Person(tg, tg.user(111, "Olena", "en"))
        await open_shop(owner, fake_liqpay)
        shown = await summary(owner, "42", "c@example.com")
        fake_liqpay.answer_delay["invoice_send"] = 2
        await tg.press(owner.user, shown, "Confirm")
        await owner.hears("Making the invoice")
        tg.hang_sends()  # the card A sends once LiqPay answers never arrives
        await wait_until("A shows the card", lambda: tg.hanging >= 1, 30)
        await a.kill()
        killed = time.monotonic()
        tg.release_sends()
        told = await tg.wait_for_message(
            owner.user.id, "The invoice of receipt No 1 is made", timeout=TAKEN_OVER_WITHIN
        )
        assert time.monotonic() - killed < TAKEN_OVER_WITHIN
        assert told.has_button("Check status") and "Awaiting payment" in told.text
        await asyncio.sleep(3)  # a second telling would come now
        made = [m for m in tg.messages(owner.user.id) if "receipt No 1 is made" in m.text]
        assert len(made) == 1
        assert len(fake_liqpay.requests_for("invoice_send")) == 1
    finally:
        await b.kill()
