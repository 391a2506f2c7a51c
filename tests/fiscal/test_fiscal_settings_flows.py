"""/settings → Fiscalization through the real dispatcher, a recording Bot, the SQLite store
and the stand-in Checkbox served on 127.0.0.1 (tests/doubles/checkbox.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram.methods import DeleteMessage
from aiogram.types import PhotoSize
from aioresponses import aioresponses

from bot.wiring import build_dispatcher, build_services
from services.config import Settings
from services.fiscal.registrar import DEFAULT_PAYMENT_LABEL, PAYMENT_LABELS
from storage.models.fiscal import FiscalMode, FiscalSettings
from tests.bot_fixtures import (
    CASHIER,
    LIQPAY_REQUEST,
    LIQPAY_URL,
    NOT_FOUND,
    OWNER,
    STRANGER,
    BotWorld,
    extract_start_token,
    make_shop_by_bot,
)
from tests.conftest import WallClock
from tests.doubles.checkbox import FakeCheckbox
from tests.doubles.liqpay_mock import liqpay_answer
from tests.doubles.recording_bot import make_bot, person, text_update

LICENSE = "test4f1b2c3d9e8a7KEY1"
PIN = "7351902468"
SHOP = 1


@pytest.fixture
async def checkbox() -> AsyncIterator[FakeCheckbox]:
    async with FakeCheckbox() as fake:
        fake.add_register(LICENSE, PIN)
        yield fake


@pytest.fixture
async def world(tmp_path: Path, checkbox: FakeCheckbox) -> AsyncIterator[BotWorld]:
    settings = Settings(
        bot_token="42:TEST-token-abcdefghijklmnopqrstu",  # type: ignore[arg-type]
        database_path=tmp_path / "data" / "bot.sqlite3",
        liqpay_api_url=LIQPAY_URL,
        checkbox_api_url=checkbox.url,
        secret_key="test-secret-key-that-is-long-enough",  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    with aioresponses(passthrough=[checkbox.url]) as mocked:
        http = aiohttp.ClientSession()
        clock = WallClock()
        services = await build_services(settings, http, clock)
        bot, session = make_bot()
        dp = build_dispatcher(services, settings)
        yield BotWorld(dp, bot, session, services, settings, mocked, clock)
        await http.close()
        await services.store.close()


async def open_fiscal(world: BotWorld, owner=OWNER) -> list[str]:  # type: ignore[no-untyped-def]
    await world.say(owner, "/settings")
    return await world.press(owner, "Fiscalization" if owner.language_code == "en" else "Фіскал")


async def send_secret(world: BotWorld, user, text: str) -> tuple[list[str], bool]:  # type: ignore[no-untyped-def]
    """Send `text`; the replies and whether the bot deleted that very message."""
    update = text_update(user, text)
    assert update.message is not None
    before = len(world.session.requests)
    await world.feed(update)
    deleted = any(
        isinstance(r, DeleteMessage)
        and r.message_id == update.message.message_id
        and r.chat_id == user.id
        for r in world.session.requests[before:]
    )
    return world.replies_since(before, user.id), deleted


async def set_up(world: BotWorld, owner=OWNER) -> list[str]:  # type: ignore[no-untyped-def]
    await open_fiscal(world, owner)
    await world.press(owner, "PIN" if owner.language_code == "en" else "ПІН")
    _, key_deleted = await send_secret(world, owner, LICENSE)
    replies, pin_deleted = await send_secret(world, owner, PIN)
    assert key_deleted and pin_deleted
    return replies


async def fiscal(world: BotWorld) -> FiscalSettings:
    saved = await world.services.store.fiscal.get(SHOP)
    assert saved is not None
    return saved


def no_secret_anywhere(
    world: BotWorld, checkbox: FakeCheckbox, caplog: pytest.LogCaptureFixture
) -> None:
    for text in world.session.texts():
        assert LICENSE not in text and PIN not in text, text
    assert LICENSE not in caplog.text and PIN not in caplog.text


async def test_owner_sets_up_checkbox_and_both_secret_messages_are_deleted(
    world: BotWorld, checkbox: FakeCheckbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    await make_shop_by_bot(world, keys=False)
    replies = await open_fiscal(world)
    assert "Not set up" in replies[-1], replies
    replies = await world.press(OWNER, "License key and PIN")
    assert "license key" in replies[-1], replies
    replies, deleted = await send_secret(world, OWNER, LICENSE)
    assert deleted, "the license key message stays in the chat"
    assert "PIN code" in replies[-1], replies
    assert await world.services.store.fiscal.get(SHOP) is None  # nothing before the check
    replies, deleted = await send_secret(world, OWNER, PIN)
    assert deleted, "the PIN message stays in the chat"
    print("\n".join(replies))
    assert any("Checkbox accepted" in r for r in replies), replies
    screen = replies[-1]
    assert "••••KEY1" in screen
    assert "PIN code: set" in screen
    assert DEFAULT_PAYMENT_LABEL in screen
    assert "no VAT" in screen and "automatic" in screen and "23:45" in screen
    assert "Fiscalization: on" in screen
    # tested by signing in, with the register's key and the PIN
    sign_in = checkbox.sign_ins[-1]
    assert sign_in.headers["X-License-Key"] == LICENSE and sign_in.body == {"pin_code": PIN}
    saved = await fiscal(world)
    assert saved.configured and saved.enabled and saved.mode is FiscalMode.AUTO
    assert saved.license_key_enc is not None and LICENSE.encode() not in saved.license_key_enc
    assert saved.pin_enc is not None and PIN.encode() not in saved.pin_enc
    box = world.services.fiscal_setup.box
    assert box.decrypt(saved.license_key_enc) == LICENSE and box.decrypt(saved.pin_enc) == PIN
    no_secret_anywhere(world, checkbox, caplog)


async def test_wrong_pin_is_refused_in_plain_words_and_nothing_is_saved(
    world: BotWorld, checkbox: FakeCheckbox, caplog: pytest.LogCaptureFixture
) -> None:
    await make_shop_by_bot(world, keys=False)
    await open_fiscal(world)
    await world.press(OWNER, "License key and PIN")
    await send_secret(world, OWNER, LICENSE)
    replies, deleted = await send_secret(world, OWNER, "1111")
    assert deleted
    assert any("did not let the cashier sign in" in r for r in replies), replies
    assert "Nothing was saved" in replies[-1]
    assert len(checkbox.sign_ins) == 1
    assert await world.services.store.fiscal.get(SHOP) is None
    # the dialog is over: a later message is not taken for a PIN
    await world.say(OWNER, PIN)
    assert len(checkbox.sign_ins) == 1
    replies = await world.press(OWNER, "Try again")
    assert "license key" in replies[-1]
    no_secret_anywhere(world, checkbox, caplog)


async def test_a_wrong_license_key_is_refused_too(world: BotWorld, checkbox: FakeCheckbox) -> None:
    await make_shop_by_bot(world, keys=False)
    await open_fiscal(world)
    await world.press(OWNER, "License key and PIN")
    await send_secret(world, OWNER, "test-another-register-key")
    replies, _ = await send_secret(world, OWNER, PIN)
    assert "Nothing was saved" in replies[-1], replies
    assert await world.services.store.fiscal.get(SHOP) is None


async def test_checkbox_down_gets_its_own_message_and_nothing_is_saved(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await open_fiscal(world)
    await world.press(OWNER, "License key and PIN")
    await send_secret(world, OWNER, LICENSE)
    checkbox.down = True
    replies, deleted = await send_secret(world, OWNER, PIN)
    assert deleted
    assert "Checkbox is not answering" in replies[-1], replies
    assert "Nothing was saved" in replies[-1]
    assert await world.services.store.fiscal.get(SHOP) is None


async def test_bad_shapes_are_asked_again_and_lose_nothing(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await open_fiscal(world)
    await world.press(OWNER, "License key and PIN")
    replies, deleted = await send_secret(world, OWNER, "short")
    assert deleted and "does not look like a license key" in replies[-1], replies
    replies, deleted = await send_secret(world, OWNER, "a" * 201)
    assert deleted and "does not look like a license key" in replies[-1], replies
    await send_secret(world, OWNER, LICENSE)
    for bad in ("12ab", "12", "1" * 33, "12 34"):
        replies, deleted = await send_secret(world, OWNER, bad)
        assert deleted and "4 to 32 digits" in replies[-1], (bad, replies)
    assert checkbox.sign_ins == []
    replies, _ = await send_secret(world, OWNER, PIN)  # the license key was kept
    assert any("Checkbox accepted" in r for r in replies), replies
    assert (await fiscal(world)).configured


async def test_a_cashier_and_a_stranger_are_refused_politely(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    link = await world.say(OWNER, "/invite")
    await world.say(CASHIER, f"/start {extract_start_token(link[-1])}")
    for data in ("st:fiscal:", "fset:credentials", "fset:off", "flab:1", "ftax:-1", "fclo:60"):
        replies = await world.press_data(CASHIER, data)
        assert replies == ["Only the shop owner can change the settings."], (data, replies)
        replies = await world.press_data(STRANGER, data)
        assert replies and "shop members" in replies[-1], (data, replies)
    saved = await fiscal(world)
    assert saved.enabled and saved.payment_label == DEFAULT_PAYMENT_LABEL
    assert saved.tax_code is None and saved.close_shift_at == 23 * 60 + 45


async def test_payment_form_is_chosen_from_the_approved_names(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    await world.press(OWNER, "Payment form")
    buttons = [b for b in PAYMENT_LABELS if world.find_button(OWNER.id, b)]
    assert buttons == list(PAYMENT_LABELS)
    replies = await world.press(OWNER, "Інтернет еквайринг")
    assert "Payment form: Інтернет еквайринг" in replies[-1], replies
    assert (await fiscal(world)).payment_label == "Інтернет еквайринг"
    # data no button carries is refused, never a free-text label
    for data in ("flab:99", "flab:-1", "flab:Готівка"):
        replies = await world.press_data(OWNER, data)
        assert replies == ["This button is no longer active."], (data, replies)
    assert (await fiscal(world)).payment_label == "Інтернет еквайринг"


async def test_tax_rate_comes_from_the_registers_list_or_none(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    await world.press(OWNER, "Tax rate")
    assert checkbox.requests_to("GET", "/api/v1/cashier/tax")
    replies = await world.press(OWNER, "ПДВ 20%")
    assert "Tax rate: ПДВ 20% (code 1)" in replies[-1], replies
    saved = await fiscal(world)
    assert (saved.tax_code, saved.tax_label) == (1, "ПДВ 20%")
    # a code the register does not have is refused
    replies = await world.press_data(OWNER, "ftax:5")
    assert any("not in your register's list" in r for r in replies), replies
    assert (await fiscal(world)).tax_code == 1
    await world.press(OWNER, "Tax rate")
    replies = await world.press(OWNER, "No VAT")
    assert "Tax rate: no VAT" in replies[-1]
    saved = await fiscal(world)
    assert (saved.tax_code, saved.tax_label) == (None, None)


async def test_tax_rates_with_checkbox_down_say_so(world: BotWorld, checkbox: FakeCheckbox) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    checkbox.down = True
    replies = await world.press(OWNER, "Tax rate")
    assert any("Checkbox is not answering" in r for r in replies), replies
    checkbox.down = False
    await world.press(OWNER, "Tax rate")
    checkbox.down = True
    replies = await world.press(OWNER, "ПДВ 20%")
    assert any("Checkbox is not answering" in r for r in replies), replies
    assert (await fiscal(world)).tax_code is None


async def test_mode_and_the_off_switch(world: BotWorld, checkbox: FakeCheckbox) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    replies = await world.press(OWNER, "Register only by the button")
    assert "Mode: only by the «Register receipt» button" in replies[-1], replies
    assert (await fiscal(world)).mode is FiscalMode.MANUAL
    replies = await world.press(OWNER, "Register automatically")
    assert (await fiscal(world)).mode is FiscalMode.AUTO
    replies = await world.press(OWNER, "Turn fiscalization off")
    assert "Fiscalization: off" in replies[-1], replies
    assert not (await fiscal(world)).enabled
    replies = await world.press(OWNER, "Turn fiscalization on")
    assert "Fiscalization: on" in replies[-1], replies
    assert (await fiscal(world)).enabled


async def test_shift_closing_time_by_button_or_typed(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    await world.press(OWNER, "Shift closing time")
    replies = await world.press(OWNER, "23:00")
    assert "closed at 23:00" in replies[-1], replies
    assert (await fiscal(world)).close_shift_at == 23 * 60
    await world.press(OWNER, "Shift closing time")
    for bad in ("25:00", "23:60", "soon", "", "2345", "23:4"):
        replies = await world.say(OWNER, bad or " ")
        assert "HH:MM" in replies[-1], (bad, replies)
    assert (await fiscal(world)).close_shift_at == 23 * 60
    replies = await world.say(OWNER, "22.15")
    assert "closed at 22:15" in replies[-1], replies
    assert (await fiscal(world)).close_shift_at == 22 * 60 + 15


async def test_before_set_up_only_the_credentials_are_offered(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await open_fiscal(world)
    with pytest.raises(AssertionError):
        world.find_button(OWNER.id, "Tax rate")
    for data in ("fset:tax", "fset:off", "fset:label", "fclo:60", "flab:1"):
        replies = await world.press_data(OWNER, data)
        assert any("license key and the PIN code first" in r for r in replies), (data, replies)
    assert await world.services.store.fiscal.get(SHOP) is None
    assert checkbox.requests == []


async def test_the_screen_is_in_ukrainian_for_a_ukrainian_owner(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    owner = person(101, "uk", "Оксана")
    await make_shop_by_bot(world, owner, keys=False)
    replies = await open_fiscal(world, owner)
    assert "Не налаштовано" in replies[-1], replies
    replies = await set_up(world, owner)
    screen = replies[-1]
    print(screen)
    for english in ("License key", "PIN code", "Payment form", "Tax rate", "Mode", "shift"):
        assert english not in screen, screen
    assert "••••KEY1" in screen and "23:45" in screen


async def test_liqpay_settings_still_work_beside_it(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await world.say(OWNER, "/settings")
    await world.press(OWNER, "LiqPay")
    await world.say(OWNER, "sandbox_i000000001")
    world.liqpay.post(LIQPAY_REQUEST, **liqpay_answer(NOT_FOUND))
    replies = await world.say(OWNER, "sandbox_privatekey123")
    assert any("LiqPay accepted" in r for r in replies), replies
    replies = await world.say(OWNER, "/settings")
    assert "Fiscalization: not set up" in replies[-1], replies
    await set_up(world)
    replies = await world.press(OWNER, "Back")
    assert "Settings of" in replies[-1] and "Fiscalization: on" in replies[-1], replies
    await world.press(OWNER, "Fiscalization")
    await world.press(OWNER, "Turn fiscalization off")
    replies = await world.press(OWNER, "Back")
    assert "Fiscalization: off" in replies[-1], replies
    settings = await world.services.store.settings.get(SHOP)
    assert settings.public_key == "sandbox_i000000001"  # the LiqPay keys are untouched


async def test_a_secret_sent_as_a_caption_is_deleted_too(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await open_fiscal(world)
    await world.press(OWNER, "License key and PIN")
    update = text_update(OWNER, "x")
    assert update.message is not None
    message = update.message.model_copy(
        update={
            "text": None,
            "caption": LICENSE,
            "photo": [PhotoSize(file_id="f", file_unique_id="u", width=1, height=1)],
        }
    )
    before = len(world.session.requests)
    await world.feed(update.model_copy(update={"message": message}))
    assert any(
        isinstance(r, DeleteMessage) and r.message_id == message.message_id
        for r in world.session.requests[before:]
    )
    assert "text message" in world.replies_since(before, OWNER.id)[-1]


async def test_forged_fiscal_buttons_are_refused_without_a_change(
    world: BotWorld, checkbox: FakeCheckbox, caplog: pytest.LogCaptureFixture
) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    before = await fiscal(world)
    requests = len(checkbox.requests)
    forged = [
        "fset:explode", "fset:", "fset:on:1",
        "flab:" + "9" * 40, "flab:", "flab:1.5",
        "ftax:-2", "ftax:" + "9" * 40, "ftax:ПДВ", "ftax:",
        "fclo:1440", "fclo:-5", "fclo:23:45",
        "st:fiscal:" + "x" * 40,
    ]  # fmt: skip
    for data in forged:
        replies = await world.press_data(OWNER, data)
        assert replies == ["This button is no longer active."], (data, replies)
    assert await fiscal(world) == before
    assert len(checkbox.requests) == requests
    assert "Traceback" not in caplog.text


async def test_new_credentials_keep_the_choices_and_warn_of_a_missing_tax_rate(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    await world.press(OWNER, "Tax rate")
    await world.press(OWNER, "ПДВ 20%")
    await world.press(OWNER, "Register only by the button")
    checkbox.add_register("test-second-register-key", "2222")
    checkbox.taxes = [t for t in checkbox.taxes if t["code"] != 1]  # the new one has no 20 %
    await world.press(OWNER, "License key and PIN")
    await send_secret(world, OWNER, "test-second-register-key")
    replies, deleted = await send_secret(world, OWNER, "2222")
    assert deleted
    assert any("no tax rate with the code chosen before" in r for r in replies), replies
    saved = await fiscal(world)
    assert world.services.fiscal_setup.box.decrypt(saved.license_key_enc or b"") == (
        "test-second-register-key"
    )
    assert saved.mode is FiscalMode.MANUAL and saved.tax_code == 1  # kept, and said so
    assert "••••-key" in replies[-1]


async def test_the_owner_can_forget_the_credentials(
    world: BotWorld, checkbox: FakeCheckbox
) -> None:
    await make_shop_by_bot(world, keys=False)
    await set_up(world)
    await world.press(OWNER, "Shift closing time")
    await world.press(OWNER, "22:00")
    replies = await world.press(OWNER, "Forget the license key and PIN")
    assert "Forget the license key" in replies[-1], replies
    replies = await world.press(OWNER, "Back")
    assert (await fiscal(world)).configured
    await world.press(OWNER, "Forget the license key and PIN")
    replies = await world.press(OWNER, "Yes, forget them")
    assert "Not set up" in replies[-1], replies
    saved = await fiscal(world)
    assert not saved.configured and saved.token_enc is None
    assert saved.close_shift_at == 22 * 60  # kept for next time
    replies = await world.press_data(OWNER, "fset:forget_yes")  # a second tap
    assert any("license key and the PIN code first" in r for r in replies), replies


async def test_cancel_in_the_middle_saves_nothing(world: BotWorld, checkbox: FakeCheckbox) -> None:
    await make_shop_by_bot(world, keys=False)
    await open_fiscal(world)
    await world.press(OWNER, "License key and PIN")
    await send_secret(world, OWNER, LICENSE)
    replies = await world.press(OWNER, "Cancel")
    assert "Nothing was saved" in replies[-1], replies
    _, deleted = await send_secret(world, OWNER, PIN)
    assert not deleted  # no dialog waits for it any more: an ordinary message
    assert checkbox.sign_ins == [] and await world.services.store.fiscal.get(SHOP) is None
