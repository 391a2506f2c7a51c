"""What the two Confirm buttons of a refund share, by amount (bot/refunds/handlers.py) and
by goods (bot/refunds/goods.py): the refund asked once, its outcome or refusal told, and
the keys and LiqPay failing it (the only buttons that call LiqPay)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from aiogram.filters import ExceptionTypeFilter
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.filters import FromButton
from bot.i18n import t
from bot.middlewares import Ack
from bot.refunds.views import refund_changed_text, refund_outcome_text, refund_problem_text
from bot.routers.base import liqpay_problem, quietly, report
from bot.routers.plan import RouterPlan
from services.liqpay.client import LiqPayError
from services.receipts.state import KeysUnreadable, NoKeys
from services.refunds.problems import RefundProblem, RefundRefused
from services.refunds.service import RefundResult, RefundService
from storage.models.receipts import Receipt
from storage.models.shops import Member


async def refund_and_report(
    callback: CallbackQuery,
    ack: Ack,
    member: Member,
    refunds: RefundService,
    receipt: Receipt,
    refund: Callable[[], Awaitable[RefundResult]],
    stale: Collection[RefundProblem],
) -> None:
    """Run `refund` and tell its outcome in the confirmation's message. A refusal in
    `stale` (an older confirmation) says what the receipt is now; another is an alert."""
    await ack(t("Refunding…"))
    try:
        result = await refund()
    except RefundRefused as exc:
        if exc.problem in stale:
            fresh = await refunds.receipts.for_member(member, receipt.id) or receipt
            if isinstance(callback.message, Message):
                await report(callback.message, refund_changed_text(fresh), callback.message)
            return
        await quietly(ack(refund_problem_text(exc.problem, receipt), alert=True))
        return
    text = refund_outcome_text(result.refund, result.receipt, result.repeated)
    if isinstance(callback.message, Message):
        await report(callback.message, text, callback.message)


def tell_confirm_failures(router: RouterPlan, confirmations: FromButton) -> None:
    """On `router`: the keys unreadable or missing, or LiqPay failing, at a press of one of
    `confirmations` is an alert saying so."""

    @router.errors(ExceptionTypeFilter(KeysUnreadable), confirmations)
    async def keys_unreadable(event: ErrorEvent, ack: Ack) -> None:
        await quietly(ack(refund_problem_text(RefundProblem.KEYS_UNREADABLE), alert=True))

    @router.errors(ExceptionTypeFilter(NoKeys), confirmations)
    async def no_keys(event: ErrorEvent, ack: Ack) -> None:
        await quietly(ack(refund_problem_text(RefundProblem.NO_KEYS), alert=True))

    @router.errors(ExceptionTypeFilter(LiqPayError), confirmations)
    async def liqpay_failed(event: ErrorEvent, ack: Ack) -> None:
        await quietly(ack(liqpay_problem(event.exception)))
