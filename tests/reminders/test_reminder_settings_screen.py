"""/settings → Reminders: the owner's switches, lead and digest time; a cashier changes none."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.ui.callbacks import ReminderSetting
from services.reminders.service import DIGEST
from tests.bot_fixtures import CASHIER, OWNER, BotWorld, join_cashier, make_shop_by_bot, world

__all__ = ["world"]


def latest_buttons(world: BotWorld) -> list[str]:
    for request in reversed(world.session.requests):
        markup = getattr(request, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            return [b.text for row in markup.inline_keyboard for b in row]
    return []


async def test_owner_switches_reminders_on_the_settings_screen(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    store = world.services.store
    replies = await world.say(OWNER, "/settings")
    assert "Reminder to the cashier: off" in replies[-1]
    assert "End-of-day digest: off" in replies[-1]
    replies = await world.press(OWNER, "Reminders")
    assert "⬜ Reminder to the cashier" in latest_buttons(world)
    await world.press(OWNER, "Reminder to the cashier")
    assert (await store.settings.get(1)).remind_cashier
    assert "✅ Reminder to the cashier" in latest_buttons(world)
    replies = await world.press(OWNER, "Remind 1 h before expiry")
    assert "How long before" in replies[-1]
    await world.press(OWNER, "15 min")
    assert (await store.settings.get(1)).remind_lead == 900
    await world.press(OWNER, "End-of-day digest")
    assert (await store.settings.get(1)).digest
    assert len(await store.jobs.find(kind=DIGEST)) == 1
    await world.press(OWNER, "Digest at 20:00")
    await world.press(OWNER, "22:00")
    settings = await store.settings.get(1)
    assert settings.digest_at == 22 * 60
    jobs = await store.jobs.find(kind=DIGEST)
    assert jobs[-1].payload["at"] == 22 * 60
    replies = await world.say(OWNER, "/settings")
    assert "Reminder to the cashier: on, 15 min before expiry" in replies[-1]
    assert "End-of-day digest: on, at 22:00 (Kyiv)" in replies[-1]
    await world.press(OWNER, "Reminders")
    await world.press(OWNER, "Reminder to the cashier")  # off again
    assert not (await store.settings.get(1)).remind_cashier


async def test_a_cashier_changes_no_reminder_setting(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    await join_cashier(world)
    for data in (
        ReminderSetting(item="cashier", value="on"),
        ReminderSetting(item="digest", value="on"),
        ReminderSetting(item="lead", value="900"),
    ):
        replies = await world.press_data(CASHIER, data.pack())
        assert replies == ["Only the shop owner can change the settings."]
    settings = await world.services.store.settings.get(1)
    assert (settings.remind_cashier, settings.digest, settings.remind_lead) == (False, False, 3600)


async def test_a_value_no_button_offers_is_refused(world: BotWorld) -> None:
    await make_shop_by_bot(world)
    for data in (
        ReminderSetting(item="lead", value="420"),
        ReminderSetting(item="digest_at", value="1439"),
        ReminderSetting(item="cashier", value="maybe"),
    ):
        replies = await world.press_data(OWNER, data.pack())
        assert replies == ["That value is not allowed."]
    settings = await world.services.store.settings.get(1)
    assert (settings.remind_lead, settings.digest_at, settings.remind_cashier) == (
        3600,
        1200,
        False,
    )
