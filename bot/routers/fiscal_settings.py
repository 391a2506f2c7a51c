"""/settings → Fiscalization (owner only): the register's license key and the cashier's PIN
(each message deleted at once, tested by signing in before saving), the payment-form name,
the tax rate, the mode, the off switch and the time the shift is closed each day."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import AiogramError, TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.fiscal_keyboards import (
    NO_VAT,
    FiscalAction,
    FiscalCloseChoice,
    FiscalLabelChoice,
    FiscalTaxChoice,
    close_time_keyboard,
    fiscal_keyboard,
    label_keyboard,
    retry_keyboard,
    tax_keyboard,
)
from bot.fiscal_texts import checkbox_down, fiscal_text, not_set_up, owner_only, refused_text
from bot.i18n import t
from bot.keyboards import SettingsAction, cancel_keyboard
from bot.middlewares import Ack
from bot.routers.base import DIALOG_INPUT, DIALOG_TEXT, IsMember, report, safe_edit
from bot.texts import escape
from services.crypto import SecretKeyMismatch
from services.fiscal import FiscalRefused, FiscalUnavailable
from services.fiscal_setup import (
    DEFAULT_CLOSE_TIME,
    CredentialsCheck,
    FiscalSetupService,
    NotSetUp,
    UnknownTaxRate,
    clean_license_key,
    clean_pin,
    format_close_time,
    parse_close_time,
)
from storage.models import FiscalMode, Member

log = logging.getLogger(__name__)

router = Router(name="fiscal_settings")
router.message.filter(IsMember())
router.callback_query.filter(IsMember())


class FiscalDialog(StatesGroup):
    license_key = State()
    pin = State()
    close_time = State()


async def show_fiscal(
    message: Message | None, fiscal_setup: FiscalSetupService, member: Member
) -> None:
    settings = await fiscal_setup.settings(member.shop_id)
    await safe_edit(message, fiscal_text(fiscal_setup, settings), fiscal_keyboard(settings))


async def _delete_secret_message(message: Message) -> bool:
    try:
        await message.delete()
    except TelegramBadRequest:
        log.warning("Could not delete a message holding a secret")
        return False
    return True


@router.callback_query(SettingsAction.filter(F.item == "fiscal"))
async def fiscal_menu(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    if not member.is_owner:
        await ack(owner_only())
        return
    await state.clear()
    await show_fiscal(_message(callback), fiscal_setup, member)


@router.callback_query(FiscalAction.filter())
async def fiscal_action(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalAction,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    if not member.is_owner:
        await ack(owner_only())
        return
    action, message = callback_data.action, _message(callback)
    if action == "credentials":
        await state.set_state(FiscalDialog.license_key)
        await safe_edit(
            message,
            t(
                "Send the cash register's <b>license key</b> (Checkbox cabinet → Cash registers "
                "→ your register → License key). Use a test register until you are sure. "
                "I delete that message at once and keep the key encrypted."
            ),
            cancel_keyboard(),
        )
        return
    await state.clear()
    settings = await fiscal_setup.settings(member.shop_id)
    if settings is None or not settings.configured:
        await ack(not_set_up())
        await show_fiscal(message, fiscal_setup, member)
        return
    try:
        if action == "label":
            await safe_edit(
                message,
                t("The name of the form of payment printed on the receipt (the approved list):"),
                label_keyboard(settings.payment_label),
            )
            return
        if action == "tax":
            await ack()  # asking Checkbox may take a while
            rates = await fiscal_setup.tax_rates(member)
            await safe_edit(
                message,
                t("The tax rate of the goods line, from your register's list:"),
                tax_keyboard(rates, settings.tax_code),
            )
            return
        if action == "close_time":
            await state.set_state(FiscalDialog.close_time)
            await safe_edit(
                message,
                t(
                    "When is the shift closed each day (Kyiv time)? Pick one or type it as "
                    "HH:MM, e.g. 23:30."
                ),
                close_time_keyboard(settings.close_shift_at),
            )
            return
        if action in ("auto", "manual"):
            await fiscal_setup.set_mode(member, FiscalMode(action))
        else:
            await fiscal_setup.set_enabled(member, action == "on")
    except NotSetUp:
        await ack(not_set_up())
    except FiscalUnavailable:
        await report_problem(callback, ack, checkbox_down())
        return
    except FiscalRefused as exc:
        await report_problem(callback, ack, refused_text(exc))
        return
    await show_fiscal(message, fiscal_setup, member)


async def report_problem(callback: CallbackQuery, ack: Ack, text: str) -> None:
    if ack.done:
        message = _message(callback)
        if message is not None:
            await report(message, text)
        return
    await ack(text, alert=True)


@router.callback_query(FiscalLabelChoice.filter())
async def label_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalLabelChoice,
    member: Member,
    fiscal_setup: FiscalSetupService,
) -> None:
    if not member.is_owner:
        await ack(owner_only())
        return
    try:
        await fiscal_setup.set_payment_label(member, callback_data.index)
    except NotSetUp:
        await ack(not_set_up())
    await show_fiscal(_message(callback), fiscal_setup, member)


@router.callback_query(FiscalTaxChoice.filter())
async def tax_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalTaxChoice,
    member: Member,
    fiscal_setup: FiscalSetupService,
) -> None:
    if not member.is_owner:
        await ack(owner_only())
        return
    code = None if callback_data.code == NO_VAT else callback_data.code
    if code is not None:
        await ack()  # the code is checked against the register's list: Checkbox is asked
    try:
        await fiscal_setup.set_tax_rate(member, code)
    except NotSetUp:
        await report_problem(callback, ack, not_set_up())
    except UnknownTaxRate:
        await report_problem(
            callback, ack, t("That rate is not in your register's list any more. Nothing changed.")
        )
        return
    except FiscalUnavailable:
        await report_problem(callback, ack, checkbox_down())
        return
    except FiscalRefused as exc:
        await report_problem(callback, ack, refused_text(exc))
        return
    await show_fiscal(_message(callback), fiscal_setup, member)


@router.callback_query(FiscalCloseChoice.filter())
async def close_time_chosen(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalCloseChoice,
    member: Member,
    fiscal_setup: FiscalSetupService,
    state: FSMContext,
) -> None:
    if not member.is_owner:
        await ack(owner_only())
        return
    await state.clear()
    try:
        await fiscal_setup.set_close_time(member, callback_data.minutes)
    except NotSetUp:
        await ack(not_set_up())
    await show_fiscal(_message(callback), fiscal_setup, member)


@router.message(FiscalDialog.license_key, DIALOG_TEXT)
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
    await state.set_state(FiscalDialog.pin)
    await message.answer(
        t(
            "Now the cashier's <b>PIN code</b> (Checkbox cabinet → Cashiers → the cashier → "
            "PIN code). I delete that message at once too, and sign in to Checkbox with the "
            "pair before saving it."
        ),
        reply_markup=cancel_keyboard(),
    )


@router.message(FiscalDialog.pin, DIALOG_TEXT)
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


@router.message(FiscalDialog.close_time, DIALOG_TEXT)
async def close_time_typed(
    message: Message, state: FSMContext, member: Member, fiscal_setup: FiscalSetupService
) -> None:
    assert message.text is not None
    minutes = parse_close_time(message.text)
    if minutes is None:
        await message.answer(
            t(
                "Send the time as HH:MM, from 00:00 to 23:59 (e.g. 23:30), or pick a button. "
                "The default is {time}.",
                time=format_close_time(DEFAULT_CLOSE_TIME),
            )
        )
        return
    await state.clear()
    try:
        await fiscal_setup.set_close_time(member, minutes)
    except NotSetUp:
        await message.answer(not_set_up())
    settings = await fiscal_setup.settings(member.shop_id)
    await message.answer(
        fiscal_text(fiscal_setup, settings), reply_markup=fiscal_keyboard(settings)
    )


@router.message(FiscalDialog.license_key, DIALOG_INPUT)
@router.message(FiscalDialog.pin, DIALOG_INPUT)
@router.message(FiscalDialog.close_time, DIALOG_INPUT)
async def fiscal_needs_text(message: Message) -> None:
    await message.answer(t("Send it as a text message, or /cancel."))


def _message(callback: CallbackQuery) -> Message | None:
    return callback.message if isinstance(callback.message, Message) else None
