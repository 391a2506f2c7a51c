"""What the owner reads about a receipt not registered yet (#16, items 3 and 4), through the
real dispatcher against the stand-in Checkbox: /pending's lines say why, since when (Kyiv
time) and how it will be registered; a sale refused for the expired cashier's key says so on
the card, in the failed notice, in /pending and on the fiscalization screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.fiscal.texts import fiscal_text
from bot.i18n import setup_i18n
from bot.receipts.notices import notification
from bot.receipts.views import receipt_card
from bot.ui.format import kyiv_time
from services.core.periods import KYIV
from services.notifications.jobs import NotificationKind as K
from storage.models.fiscal import FiscalMode, FiscalState
from tests.bot_fixtures import OWNER, BotWorld
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal.test_fiscal_receipt_flows import fake, paid_receipt, world
from tests.fiscal_fixtures import LICENSE

__all__ = ["fake", "world"]  # the fixtures
F = FiscalState


def section(replies: list[str]) -> str:
    found = [r for r in replies if "Paid but not registered" in r]
    assert len(found) == 1, replies
    return found[0]


async def test_pending_says_why_since_when_and_online(world: BotWorld, fake: FakeCheckbox) -> None:
    receipt = await paid_receipt(world)
    assert receipt.paid_at is not None
    text = section(await world.say(OWNER, "/pending"))
    assert f"waiting to be registered since {kyiv_time(receipt.paid_at)}" in text, text
    assert "will be registered online" in text

    fake.down = True
    await world.press(OWNER, "Register receipt")
    await world.services.fiscal_worker.drain()
    events = await world.services.store.receipt_queries.events(receipt.id)
    first_try = [e.at for e in events if e.fiscal_to is F.NOT_REGISTERED][-1]
    text = section(await world.say(OWNER, "/pending"))
    assert f"Checkbox not answering since {kyiv_time(first_try)}" in text, text

    fake.down = False
    fake.receipt_error = "Помилка ДПС"
    await world.services.store.jobs.revive(f"fiscal.sale:{receipt.id}:1", world.clock())
    await world.services.fiscal_worker.drain()
    got = await world.services.store.receipts.get(receipt.id)
    assert got is not None and got.fiscal_state is F.FAILED
    events = await world.services.store.receipt_queries.events(receipt.id)
    text = section(await world.say(OWNER, "/pending"))
    assert f"refused {kyiv_time(events[-1].at)}: Помилка ДПС" in text, text
    assert "will be registered online" in text


async def test_an_expired_key_is_named_on_every_screen(world: BotWorld, fake: FakeCheckbox) -> None:
    end = datetime.now(UTC) - timedelta(days=2)
    day = end.astimezone(KYIV).strftime("%d.%m.%Y")
    fake.registers[LICENSE].certificate_end = end
    fake.registers[LICENSE].key_expired = True
    receipt = await paid_receipt(world, FiscalMode.AUTO)
    await world.services.fiscal_worker.drain()
    got = await world.services.store.receipts.get(receipt.id)
    assert got is not None and got.fiscal_state is F.FAILED
    plain = f"the cashier's key expired on {day}: renew it in the Checkbox cabinet"
    assert plain in receipt_card(got, "en")
    assert plain in notification(K.FISCAL_FAILED, got, "en")
    assert f"ключ касира сплив {day}: оновіть його в кабінеті Checkbox" in notification(
        K.FISCAL_FAILED, got, "uk"
    )
    assert plain in section(await world.say(OWNER, "/pending"))
    settings = await world.services.store.fiscal.get(got.shop_id)
    with setup_i18n().use_locale("en"):
        screen = fiscal_text(world.services.fiscal_setup, settings)
    assert f"The cashier's key expired on {day}: renew it in the Checkbox cabinet" in screen
    assert "Checkbox gave no reason" not in receipt_card(got, "en")
