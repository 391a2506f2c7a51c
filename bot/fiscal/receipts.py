"""The fiscal receipt of a paid receipt: Register (or Retry), and its picture."""

from __future__ import annotations

import logging

from aiogram import Bot, F
from aiogram.types import BufferedInputFile, CallbackQuery

from bot.filters import IsMember
from bot.i18n import t
from bot.middlewares import Ack
from bot.receipts.goods import goods_of
from bot.receipts.keyboards import receipt_card_keyboard
from bot.receipts.views import receipt_card
from bot.routers.base import quietly, safe_edit
from bot.routers.plan import RouterPlan
from bot.ui.callbacks import FiscalReceiptAction
from services.core.crypto import SecretKeyMismatch
from services.fiscal.registrar import FiscalError
from services.fiscal.sales import FiscalSales, RegisterOutcome
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
    fiscal: FiscalSales,
) -> None:
    receipt = await _receipt(ack, callback_data, member, receipts)
    if receipt is None:
        return
    outcome = await fiscal.request(member, receipt)
    await ack(outcome_text(outcome), alert=outcome is not RegisterOutcome.QUEUED)
    if outcome is RegisterOutcome.REGISTERED:
        current = await receipts.repo.get(receipt.id) or receipt
        card = receipt_card(current, goods=await goods_of(receipts, current))
        await quietly(safe_edit(callback.message, card, receipt_card_keyboard(current)))


@router.callback_query(FiscalReceiptAction.filter(F.action == "picture"))
async def picture(
    callback: CallbackQuery,
    ack: Ack,
    callback_data: FiscalReceiptAction,
    member: Member,
    receipts: ReceiptService,
    fiscal: FiscalSales,
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
