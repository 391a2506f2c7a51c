"""/settings → Fiscalization → License key and PIN (owner only): each in its own message,
each message deleted at once, the pair tested by signing in before it is saved."""

from __future__ import annotations

import logging

from aiogram import F
from aiogram.exceptions import AiogramError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.filters import IsOwner
from bot.fiscal.keyboards import FiscalAction, fiscal_keyboard, retry_keyboard
from bot.fiscal.texts import fiscal_text
from bot.i18n import t
from bot.invoices.keyboards import cancel_keyboard
from bot.middlewares import Ack
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, report, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.format import escape
from services.core.crypto import SecretKeyMismatch
from services.fiscal.registrar import FiscalUnavailable
from services.fiscal.setup import CredentialsCheck, FiscalSetupService, clean_license_key, clean_pin
from storage.models.shops import Member

log = logging.getLogger(__name__)

router = RouterPlan("fiscal_credentials")
router.message.filter(IsOwner())
router.callback_query.filter(IsOwner())


class CredentialsDialog(StatesGroup):
    license_key = State()
    pin = State()


async def _delete_secret_message(message: Message) -> bool:
    try:
        await message.delete()
    except TelegramBadRequest:
        log.warning("Could not delete a message holding a secret")
        return False
    return True


@router.callback_query(FiscalAction.filter(F.action == "credentials"))
async def credentials_start(
    callback: CallbackQuery, ack: Ack, member: Member, state: FSMContext
) -> None:
    await state.set_state(CredentialsDialog.license_key)
    await safe_edit(
        callback.message,
        t(
            "Send the cash register's <b>license key</b> (Checkbox cabinet → Cash registers "
            "→ your register → License key). Use a test register until you are sure. "
            "I delete that message at once and keep the key encrypted."
        ),
        cancel_keyboard(),
    )


@router.message(CredentialsDialog.license_key, DIALOG_TEXT)
async def license_key_sent(
    message: Message, state: FSMContext, fiscal_setup: FiscalSetupService
) -> None:
    assert message.text is not None
    key = clean_license_key(message.text)
    if not await _delete_secret_message(message):
        await message.answer(
            t("⚠️ I could not delete the message with the license key: delete it yourself.")
        )
    if key is None:
        await message.answer(
            t(
                "That does not look like a license key (8 to 200 letters, digits and -_.:+/=, "
                "no spaces). Send it again, or /cancel."
            ),
            reply_markup=cancel_keyboard(),
        )
        return
    await state.update_data(license_key=fiscal_setup.seal(key))  # no plain key in a dialog
    await state.set_state(CredentialsDialog.pin)
    await message.answer(
        t(
            "Now the cashier's <b>PIN code</b> (Checkbox cabinet → Cashiers → the cashier → "
            "PIN code). I delete that message at once too, and sign in to Checkbox with the "
            "pair before saving it."
        ),
        reply_markup=cancel_keyboard(),
    )


@router.message(CredentialsDialog.pin, DIALOG_TEXT)
async def pin_sent(
    message: Message, state: FSMContext, member: Member, fiscal_setup: FiscalSetupService
) -> None:
    assert message.text is not None
    pin = clean_pin(message.text)
    deleted = await _delete_secret_message(message)
    if not deleted:
        await message.answer(
            t("⚠️ I could not delete the message with the PIN code: delete it yourself.")
        )
    if pin is None:
        await message.answer(
            t("The PIN code is 4 to 32 digits. Send it again, or /cancel."),
            reply_markup=cancel_keyboard(),
        )
        return
    data = await state.get_data()
    await state.clear()
    try:
        checking: Message | None = await message.answer(t("Signing in to Checkbox…"))
    except AiogramError:  # a progress note: the check goes on without it
        checking = None
    try:
        license_key = fiscal_setup.unseal(str(data.get("license_key", "")))
    except SecretKeyMismatch:  # the dialog outlived a SECRET_KEY change
        await report(
            message,
            t("I lost the license key meanwhile. Nothing was saved; start again."),
            edit=checking,
            markup=retry_keyboard(),
        )
        return
    try:
        result = await fiscal_setup.check_and_save_credentials(member, license_key, pin)
    except FiscalUnavailable:
        await report(
            message,
            t(
                "Checkbox is not answering, so the license key and PIN could not be checked. "
                "Nothing was saved; try again later."
            ),
            edit=checking,
            markup=retry_keyboard(),
        )
        return
    if result.outcome is CredentialsCheck.OK:
        await report(
            message, t("✅ Checkbox accepted the license key and PIN code."), edit=checking
        )
        if result.tax_rate_missing:
            await report(
                message,
                t(
                    "⚠️ This register has no tax rate with the code chosen before: choose the "
                    "tax rate again, or receipts will be refused."
                ),
            )
        settings = await fiscal_setup.settings(member.shop_id)
        await report(message, fiscal_text(fiscal_setup, settings), markup=fiscal_keyboard(settings))
        return
    if result.outcome is CredentialsCheck.MALFORMED:
        text = t("That does not look like a license key and PIN code. Nothing was saved.")
    else:
        text = t(
            "❌ Checkbox did not let the cashier sign in with this license key and PIN code "
            "({reason}). Nothing was saved. Check both in the Checkbox cabinet and try again.",
            reason=escape(result.message) or t("no reason given"),
        )
    await report(message, text, edit=checking, markup=retry_keyboard())


@router.message(CredentialsDialog.license_key, DIALOG_INPUT)
@router.message(CredentialsDialog.pin, DIALOG_INPUT)
async def credentials_need_text(message: Message) -> None:
    if message.caption:  # a picture or file whose caption may hold the key or PIN
        await _delete_secret_message(message)
    await message.answer(t("Send it as a text message, or /cancel."))
