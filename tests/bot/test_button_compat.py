"""Buttons already in people's chats, packed the way every release so far packed them
(literal strings, not `.pack()`): each still reaches the handler of its action. And the
refusals a cashier and a stranger get, and LiqPay's failures on a receipt card, word for word."""

from __future__ import annotations

import pytest
from aiogram.types import User

from bot.i18n import t
from bot.ui.callbacks import ChannelChoice, DialogAction
from storage.models.receipts import Channel
from tests.bot_fixtures import (
    CASHIER,
    LIQPAY_REQUEST,
    NOT_FOUND,
    OWNER,
    STRANGER,
    BotWorld,
    extract_start_token,
    world,
)
from tests.doubles.liqpay_mock import liqpay_answer
from tests.doubles.recording_bot import person

__all__ = ["world"]

OWNER_ONLY = "Only the shop owner can do this."
SETTINGS_OWNER_ONLY = "Only the shop owner can change the settings."


async def shop_with_cashier_and_receipt(world: BotWorld, owner: User = OWNER) -> None:
    await world.say(owner, "/start")
    await world.say(owner, "Cafe")
    await world.say(owner, "/settings")
    await world.press(owner, "LiqPay")
    await world.say(owner, "sandbox_i000000001")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    await world.say(owner, "sandbox_privatekey123")
    invite = await world.say(owner, "/invite")
    await world.say(CASHIER, f"/start {extract_start_token(invite[-1])}")
    await world.say(owner, "/new")
    await world.say(owner, "100")
    await world.press_data(owner, DialogAction(action="skip").pack())
    await world.press_data(owner, ChannelChoice(channel=Channel.LINK).pack())
    await world.press(owner, "✅")
    assert await world.services.store.receipts.get(1) is not None


async def test_receipt_card_buttons_as_packed_before(world: BotWorld) -> None:
    await shop_with_cashier_and_receipt(world)

    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    replies = await world.press_data(OWNER, "rc:check:1")
    assert replies[0] == "Checking with LiqPay…"
    assert "Checked with LiqPay at" in replies[-1]

    replies = await world.press_data(OWNER, "rc:cancel:1")
    assert "Cancel this receipt?" in replies[-1]
    replies = await world.press_data(OWNER, "rc:cancel_no:1")
    assert "Cancel this receipt?" not in replies[-1]
    assert "№ 1" in replies[-1]

    replies = await world.press_data(OWNER, "rc:qr:1")
    assert replies == ["Receipt No 1: the customer scans this code to pay."]

    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    replies = await world.press_data(OWNER, "rc:open:1")
    assert replies[0] == "Checking with LiqPay…"
    assert "№ 1" in replies[-1]

    replies = await world.press_data(OWNER, "rc:check:999")
    assert replies == ["Receipt not found."]


async def test_liqpay_down_on_a_card_button_is_told_as_before(world: BotWorld) -> None:
    await shop_with_cashier_and_receipt(world)
    world.liqpay.post(LIQPAY_REQUEST, status=502, body="Bad Gateway")
    replies = await world.press_data(OWNER, "rc:check:1")
    # answered at once, so the failure comes as a chat message
    assert replies == [
        "Checking with LiqPay…",
        "LiqPay is not answering right now. Nothing changed; try again in a minute.",
    ]


async def test_liqpay_down_is_told_in_the_persons_language(world: BotWorld) -> None:
    owner = person(101, "uk", "Олена")
    await shop_with_cashier_and_receipt(world, owner)
    world.liqpay.post(LIQPAY_REQUEST, status=502, body="Bad Gateway")
    replies = await world.press_data(owner, "rc:check:1")
    assert replies == [
        t("Checking with LiqPay…", "uk"),
        t("LiqPay is not answering right now. Nothing changed; try again in a minute.", "uk"),
    ]
    assert (
        replies[1] != "LiqPay is not answering right now. Nothing changed; try again in a minute."
    )


async def test_staff_buttons_as_packed_before(world: BotWorld) -> None:
    await shop_with_cashier_and_receipt(world)
    replies = await world.press_data(OWNER, f"sf:remove:{CASHIER.id}")
    assert replies == ["Remove Ivan from the shop?"]
    replies = await world.press_data(OWNER, f"sf:back:{CASHIER.id}")
    assert "Ivan" in replies[-1] and "cashier" in replies[-1]
    replies = await world.press_data(OWNER, f"sf:remove:{OWNER.id}")
    assert replies == ["This person is not a cashier of your shop."]
    await world.press_data(OWNER, f"sf:remove_yes:{CASHIER.id}")
    members = await world.services.store.shops.list_members(1)
    assert [m.user_id for m in members] == [OWNER.id]


async def test_settings_and_refund_buttons_as_packed_before(world: BotWorld) -> None:
    await shop_with_cashier_and_receipt(world)
    replies = await world.press_data(OWNER, "st:menu:")
    assert replies and "LiqPay" in replies[-1]
    replies = await world.press_data(OWNER, "rm:menu:")
    assert replies
    replies = await world.press_data(OWNER, "rf:start:1:0::0")  # not paid: refused
    assert replies and replies != ["This button is no longer active."]
    replies = await world.press_data(OWNER, "rf:no:1:0::0")
    assert replies == ["Refund cancelled. Nothing was refunded."]


@pytest.mark.parametrize(
    ("what", "refusal"),
    [
        ("/staff", OWNER_ONLY),
        ("/invite", OWNER_ONLY),
        ("/settings", SETTINGS_OWNER_ONLY),
        (f"sf:remove:{CASHIER.id}", OWNER_ONLY),
        (f"sf:remove_yes:{CASHIER.id}", OWNER_ONLY),
        ("st:menu:", SETTINGS_OWNER_ONLY),
        ("st:fiscal:", SETTINGS_OWNER_ONLY),
        ("fset:credentials", SETTINGS_OWNER_ONLY),
        ("fset:forget_yes", SETTINGS_OWNER_ONLY),
        ("flab:0", SETTINGS_OWNER_ONLY),
        ("ftax:-1", SETTINGS_OWNER_ONLY),
        ("fclo:60", SETTINGS_OWNER_ONLY),
        ("rm:menu:", SETTINGS_OWNER_ONLY),
    ],
)
async def test_a_cashier_is_refused_in_the_words_of_before(
    world: BotWorld, what: str, refusal: str
) -> None:
    await shop_with_cashier_and_receipt(world)
    if what.startswith("/"):
        replies = await world.say(CASHIER, what)
    else:
        replies = await world.press_data(CASHIER, what)
    assert replies == [refusal]
    assert [m.user_id for m in await world.services.store.shops.list_members(1)] == [
        OWNER.id,
        CASHIER.id,
    ]


@pytest.mark.parametrize("what", ["/staff", "/settings", "st:menu:", "sf:remove:200", "rc:check:1"])
async def test_a_stranger_is_refused_in_the_words_of_before(world: BotWorld, what: str) -> None:
    await shop_with_cashier_and_receipt(world)
    if what.startswith("/"):
        replies = await world.say(STRANGER, what)
        assert replies == ["Sorry, this is for shop members. Send /start or /help."]
    else:
        replies = await world.press_data(STRANGER, what)
        assert replies == ["This is for shop members. Send /start to begin."]


async def test_who_is_talking_is_read_once_per_update(
    world: BotWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    await shop_with_cashier_and_receipt(world)
    reads: list[str] = []
    store = world.services.store
    for repo, name in [
        (store.users, "member_and_language"),
        (store.users, "chosen_language"),
        (store.shops, "get_member"),
    ]:
        real = getattr(repo, name)

        async def counted(*args: object, _real: object = real, _name: str = name) -> object:
            reads.append(_name)
            return await _real(*args)  # type: ignore[operator]

        monkeypatch.setattr(repo, name, counted)
    await world.say(CASHIER, "/help")
    assert reads == ["member_and_language"]
    reads.clear()
    await world.press_data(OWNER, "rc:cancel:1")
    assert reads == ["member_and_language"]
