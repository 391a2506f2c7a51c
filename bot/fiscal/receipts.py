"""The fiscal receipt of a paid receipt: Register (or Retry), and its picture."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.types import BufferedInputFile, CallbackQuery, Message

from bot.filters import IsMember
from bot.fiscal.receipt_keyboards import unregistered_keyboard
from bot.fiscal.views import fiscal_line
from bot.i18n import t
from bot.middlewares import Ack
from bot.receipts.keyboards import receipt_card_keyboard
from bot.receipts.views import receipt_card
from bot.routers.base import quietly, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import FiscalReceiptAction
from services.core.crypto import SecretKeyMismatch
from services.core.money import format_amount
from services.fiscal.registrar import FiscalError
from services.fiscal.sales import FiscalService, RegisterOutcome
from services.receipts.state import ReceiptService
from storage.models.receipts import Receipt
from storage.models.shops import Member

log = logging.getLogger(__name__)

router = RouterPlan("fiscal_receipts")
router.callback_query.filter(IsMember())


def outcome_text(outcome: RegisterOutcome) -> str:
    return {
        RegisterOutcome.QUEUED: t("Registering the fiscal receipt… You will be told."),
        RegisterOutcome.REGISTERED: t("This receipt is registered already."),
        RegisterOutcome.NOT_PAID: t("Only a paid receipt gets a fiscal receipt."),
        RegisterOutcome.OFF: t(
            "Fiscalization is not set up or is off. The owner sets it up in /settings."
        ),
        RegisterOutcome.NOT_UAH: t("Only receipts in hryvnias can be registered."),
    }[outcome]


async def _receipt(
    ack: Ack, data: FiscalReceiptAction, member: Member, receipts: ReceiptService
) -> Receipt | None:
    receipt = await receipts.for_member(member, data.id)
    if receipt is None:
        await ack(t("Receipt not found."))
    return receipt


@router.callback_query(FiscalReceiptAction.filter(F.action == "register"))
async def register(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalReceiptAction,
    member: Member,
    receipts: ReceiptService,
    fiscal: FiscalService,
) -> None:
    receipt = await _receipt(ack, callback_data, member, receipts)
    if receipt is None:
        return
    outcome = await fiscal.request(member, receipt)
    await ack(outcome_text(outcome), alert=outcome is not RegisterOutcome.QUEUED)
    if outcome is RegisterOutcome.REGISTERED:
        current = await receipts.repo.get(receipt.id) or receipt
        await quietly(
            safe_edit(callback.message, receipt_card(current), receipt_card_keyboard(current))
        )


@router.callback_query(FiscalReceiptAction.filter(F.action == "picture"))
async def picture(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalReceiptAction,
    member: Member,
    receipts: ReceiptService,
    fiscal: FiscalService,
    bot: Bot,
) -> None:
    receipt = await _receipt(ack, callback_data, member, receipts)
    if receipt is None:
        return
    await ack(t("Getting the fiscal receipt from Checkbox…"))
    try:
        picture = await fiscal.receipt_picture(receipt)
    except SecretKeyMismatch:
        await quietly(
            ack(t("The Checkbox credentials can't be read: enter them again in /settings."))
        )
        return
    except FiscalError as exc:
        log.warning("Receipt %s: no fiscal picture (%s)", receipt.id, type(exc).__name__)
        await quietly(ack(t("Checkbox did not give the picture right now. Try again in a minute.")))
        return
    if picture is None:
        await quietly(ack(t("This receipt has no fiscal receipt yet.")))
        return
    await bot.send_photo(
        callback.from_user.id,
        BufferedInputFile(picture, filename=f"fiscal-{receipt.number}.png"),
        caption=t(
            "Fiscal receipt No {code} for receipt No {number}",
            code=receipt.fiscal_code or "—",
            number=receipt.number,
        ),
    )


UNREGISTERED_SHOWN = 10


async def send_unregistered(message: Message, member: Member, fiscal: FiscalService) -> None:
    """/pending's second section, for the owner: paid receipts with no fiscal receipt yet
    (failed or waiting), each with Retry. Nothing is said when there are none."""
    found, total = await fiscal.unregistered(member, 0, UNREGISTERED_SHOWN)
    if not total:
        return
    lines = [t("🧾 <b>Paid but not registered: {total}</b>", total=total)]
    lines += [unregistered_line(r) for r in found]
    if total > len(found):
        lines.append(t("…and {more} more.", more=total - len(found)))
    lines.append(t("Tap a receipt to register its fiscal receipt now."))
    await message.answer("\n".join(lines), reply_markup=unregistered_keyboard(found))


def unregistered_line(receipt: Receipt) -> str:
    state = fiscal_line(receipt) or ""
    return t(
        "No {number} · {amount} · {state}",
        number=receipt.number,
        amount=format_amount(receipt.amount, receipt.currency),
        state=state.removeprefix("🧾 "),
    )
