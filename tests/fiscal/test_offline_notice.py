"""The owner's notice that a late receipt was registered online, not dated at its payment:
through the real dispatcher and services, said in both languages with the reason."""

from __future__ import annotations

import pytest

from bot.fiscal.late import not_dated_text
from bot.outbox.registry import build_notices
from bot.ui.format import kyiv_time
from services.notifications.jobs import NOTIFY
from services.notifications.jobs import NotificationKind as K
from storage.models.fiscal import FiscalMode, FiscalState
from tests.bot_fixtures import OWNER, BotWorld
from tests.doubles.checkbox import FakeCheckbox
from tests.fiscal.test_fiscal_receipt_flows import fake, paid_receipt, world
from tests.fiscal.test_key_expiry_screens import section

__all__ = ["fake", "world"]  # the fixtures

WHY = {
    "uk": "на касі не залишилося офлайн фіскальних номерів",
    "en": "the cash register has no offline fiscal codes left",
}


@pytest.mark.parametrize("locale", ["uk", "en"])
async def test_a_late_receipt_without_codes_tells_the_owner_why_in_their_language(
    world: BotWorld, fake: FakeCheckbox, locale: str
) -> None:
    # paid half an hour ago; "Register receipt" tapped now
    receipt = await paid_receipt(world, FiscalMode.MANUAL, paid_ago=30 * 60)
    assert receipt.paid_at is not None
    if locale == "en":  # /pending says how it will be registered
        pending = section(await world.say(OWNER, "/pending"))
        assert "will be registered offline, dated at the payment" in pending, pending
    await world.press(OWNER, "Register receipt")
    await world.services.fiscal_worker.drain()
    got = await world.services.store.receipts.get(receipt.id)
    assert got is not None and got.fiscal_state is FiscalState.REGISTERED
    told = [
        j.payload
        for j in await world.services.store.jobs.find(kind=NOTIFY)
        if j.payload["kind"] == K.FISCAL_NOT_DATED
    ]
    assert [(p["chat_id"], p["reason"]) for p in told] == [(OWNER.id, "no_codes")]
    text = not_dated_text(got, "no_codes", locale)
    assert WHY[locale] in text and kyiv_time(receipt.paid_at) in text
    if locale == "uk":
        assert "Receipt" not in text and "online" not in text
        assert f"Чек № {got.number}" in text
    else:
        assert f"Receipt No {got.number}" in text
    assert K.FISCAL_NOT_DATED in build_notices().kinds()
