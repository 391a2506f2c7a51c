"""/settings (owner only): LiqPay keys, invoice lifetime, currency, API version, SMS gateway;
the Fiscalization button leads to bot/fiscal/settings.py."""

from __future__ import annotations

import logging
import re

from aiogram import F
from aiogram.exceptions import AiogramError, TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import Message

from bot.filters import IsOwner
from bot.i18n import t
from bot.invoices.keyboards import cancel_keyboard
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, menu_text, report
from bot.routers.plan import RouterPlan
from bot.settings.keyboards import settings_keyboard
from bot.settings.views import settings_text
from bot.ui.format import escape
from services.fiscal.setup import FiscalSetupService
from services.liqpay.client import LiqPayUnavailable
from services.shops.service import KeyCheck, ShopService, parse_lifetime
from services.turbosms import SmsError, SmsUnavailable
from storage.models.shops import Member

log = logging.getLogger(__name__)

router = RouterPlan("settings")
router.message.filter(IsOwner())
router.callback_query.filter(IsOwner())

SENDER_RE = re.compile(r"^[A-Za-z0-9 ._-]{1,11}$")
PUBLIC_KEY_RE = re.compile(r"^(sandbox_)?i\d+$")  # what LiqPay's public keys look like


class KeysDialog(StatesGroup):
    public = State()
    private = State()


class LifetimeDialog(StatesGroup):
    typed = State()


class SmsDialog(StatesGroup):
    token = State()
    sender = State()


async def _delete_secret_message(message: Message) -> bool:
    try:
        await message.delete()
    except TelegramBadRequest:
        log.warning("Could not delete a message holding a secret")
        return False
    return True


@router.message(Command("settings"))
@router.message(F.text.in_(menu_text("settings")))
async def settings_menu(
    message: Message,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    await state.clear()
    await message.answer(
        await settings_text(shops, fiscal_setup, member), reply_markup=settings_keyboard()
    )


@router.message(KeysDialog.public, DIALOG_TEXT)
async def keys_public(message: Message, state: FSMContext, shops: ShopService) -> None:
    assert message.text is not None
    key = message.text.strip()
    if not PUBLIC_KEY_RE.match(key) and await _delete_secret_message(message):
        # Not a public key's shape: it may be the private key pasted a step early.
        await message.answer(
            t(
                "I removed that message from the chat: it does not look like a public key "
                "(those start with i or sandbox_i) and might have been the private key."
            )
        )
    if not key or len(key) > 200 or any(ch.isspace() for ch in key):
        await message.answer(
            t("That does not look like a LiqPay public key. Send it again, or /cancel.")
        )
        return
    await state.update_data(public_key=shops.seal(key))  # stored dialogs hold no plain keys
    await state.set_state(KeysDialog.private)
    await message.answer(
        t(
            "Now send the <b>private key</b>. I delete that message from the chat at once and "
            "store the key encrypted; it is never shown again."
        ),
        reply_markup=cancel_keyboard(),
    )


@router.message(KeysDialog.private, DIALOG_TEXT)
async def keys_private(
    message: Message,
    state: FSMContext,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
) -> None:
    assert message.text is not None
    private_key = message.text
    deleted = await _delete_secret_message(message)
    data = await state.get_data()
    await state.clear()
    if not deleted:
        await message.answer(
            t("⚠️ I could not delete the message with the private key: delete it yourself.")
        )
    try:
        checking: Message | None = await message.answer(t("Checking the keys with LiqPay…"))
    except AiogramError:  # a progress note: the check goes on without it
        checking = None
    try:
        result = await shops.check_and_save_keys(
            member, shops.unseal(str(data.get("public_key", ""))), private_key
        )
    except LiqPayUnavailable:
        await report(
            message,
            t(
                "LiqPay is not answering, so the keys could not be checked. Nothing was saved; "
                "try again later: /settings"
            ),
            edit=checking,
        )
        return
    # The keys are checked (and saved, or not): a failure to say so is not a failure of that.
    if result.outcome is KeyCheck.OK:
        mode = t("sandbox (test payments)") if result.sandbox else t("live (real payments)")
        await report(message, t("✅ LiqPay accepted the keys. Mode: {mode}.", mode=mode), checking)
        await report(
            message, await settings_text(shops, fiscal_setup, member), markup=settings_keyboard()
        )
    elif result.outcome is KeyCheck.MALFORMED:
        await report(
            message,
            t("That does not look like a LiqPay key. Nothing was saved: /settings"),
            edit=checking,
        )
    else:
        await report(
            message,
            t(
                "❌ LiqPay does not accept these keys ({code}). Nothing was saved. Check both keys "
                "in the LiqPay cabinet and try again: /settings",
                code=escape(result.err_code or ""),
            ),
            edit=checking,
        )


@router.message(LifetimeDialog.typed, DIALOG_TEXT)
async def lifetime_typed(
    message: Message,
    state: FSMContext,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
) -> None:
    assert message.text is not None
    seconds = parse_lifetime(message.text)
    try:
        if seconds is None:
            raise ValueError
        await shops.set_lifetime(member, seconds)
    except ValueError:
        await message.answer(
            t("Send a lifetime from 5 minutes to 30 days, e.g. 90m, 2h or 5d, or pick a button.")
        )
        return
    await state.clear()
    await message.answer(
        await settings_text(shops, fiscal_setup, member), reply_markup=settings_keyboard()
    )


@router.message(SmsDialog.token, DIALOG_TEXT)
async def sms_token(
    message: Message, state: FSMContext, member: Member, shops: ShopService
) -> None:
    assert message.text is not None
    token = message.text.strip()
    if not await _delete_secret_message(message):
        await message.answer(
            t("⚠️ I could not delete the message with the token: delete it yourself.")
        )
    if not token or any(ch.isspace() for ch in token) or len(token) > 200:
        await message.answer(
            t("That does not look like a TurboSMS token. Send it again, or /cancel.")
        )
        return
    await state.update_data(sms_token=shops.seal(token))
    await state.set_state(SmsDialog.sender)
    await message.answer(
        t("Now the sender name registered in TurboSMS (Latin letters, up to 11 characters)."),
        reply_markup=cancel_keyboard(),
    )


@router.message(SmsDialog.sender, DIALOG_TEXT)
async def sms_sender(
    message: Message,
    state: FSMContext,
    member: Member,
    shops: ShopService,
    fiscal_setup: FiscalSetupService,
) -> None:
    assert message.text is not None
    sender = message.text.strip()
    if not SENDER_RE.match(sender):
        await message.answer(
            t("The sender name is Latin letters and digits, up to 11 characters. Send it again.")
        )
        return
    data = await state.get_data()
    await state.clear()
    try:
        token = shops.unseal(str(data.get("sms_token", "")))
        await shops.save_sms_gateway(member, token, sender)
    except SmsUnavailable:
        await report(
            message, t("TurboSMS is not answering. Nothing was saved; try again later: /settings")
        )
        return
    except SmsError:
        await report(
            message, t("TurboSMS does not accept this token. Nothing was saved: /settings")
        )
        return
    await report(message, t("✅ SMS gateway saved."))
    await report(
        message, await settings_text(shops, fiscal_setup, member), markup=settings_keyboard()
    )


@router.message(KeysDialog.public, DIALOG_INPUT)
@router.message(KeysDialog.private, DIALOG_INPUT)
@router.message(LifetimeDialog.typed, DIALOG_INPUT)
@router.message(SmsDialog.token, DIALOG_INPUT)
@router.message(SmsDialog.sender, DIALOG_INPUT)
async def settings_needs_text(message: Message) -> None:
    await message.answer(t("Send it as a text message, or /cancel."))
