"""One shop's Kyiv day, reconciled: LiqPay's payments and refunds (its `reports` archive)
against the bot's receipts, then the bot's paid receipts against the registrar's.

What the bot can fix it fixes through the paths every payment takes, so each fix happens
once whoever else (a callback, the poller, another replica, a second run) gets there too:
a payment the bot missed is applied with LiqPay's `status` answer (ReceiptService.refresh:
the transition's compare-and-set, its notices and fiscal job, paid_at = LiqPay's end_date);
a refund made in LiqPay's cabinet is the same `status` answer's `refund_amount`, recorded by
the refund ledger (once per sum, its return receipt's job in the same transaction). What it
can't fix is listed. LiqPay not answering changes nothing and says so.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from services.core.clock import Clock, utcnow
from services.liqpay.answers import PaymentReport
from services.liqpay.client import LiqPayError, LiqPayRefused, PaymentNotFound
from services.liqpay.reports import ArchiveRow
from services.liqpay.statuses import PaymentState, payment_state
from services.receipts.state import KeysUnreadable, NoKeys, ReceiptService
from services.reconcile.fiscal import FiscalCheck
from services.reconcile.model import Entry, FixKind, ProblemKind, Result, Side
from services.reconcile.zreport import ZReportCheck
from services.reminders.service import day_bounds
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.protocols.reconcile import ReconcileRepository

log = logging.getLogger(__name__)

PAID = (ReceiptStatus.PAID, ReceiptStatus.REFUNDED)
MAX_STATUS_LOOKUPS = 100  # bot-paid receipts missing from the archive asked one by one


class Reconciliation:
    def __init__(
        self,
        receipts: ReceiptService,
        store: ReconcileRepository,
        fiscal: FiscalCheck | None = None,
        clock: Clock = utcnow,
        zreport: ZReportCheck | None = None,
    ) -> None:
        self.receipts = receipts
        self.store = store
        self.fiscal = fiscal
        self.clock = clock
        self.zreport = zreport

    async def run(self, shop_id: int, day: date) -> Result:
        """Reconcile the day; a result LiqPay answered for is kept as the day's last."""
        result = await self._reconcile(shop_id, day)
        if result.checked:
            await self.store.save(shop_id, day, result.to_payload(), self.clock())
        log.info(
            "Shop %s, %s reconciled: liqpay %s, fiscal %s, %d payments, %d fixed, %d off",
            shop_id, day, result.liqpay, result.fiscal, result.payments,
            len(result.fixes), len(result.problems),
        )  # fmt: skip
        return result

    async def last(self, shop_id: int, day: date) -> Result | None:
        record = await self.store.get(shop_id, day)
        return Result.from_payload(record.result) if record else None

    async def _reconcile(self, shop_id: int, day: date) -> Result:
        result = Result(day)
        start, end = day_bounds(day)
        try:
            creds = await self.receipts.require_credentials(shop_id)
        except (NoKeys, KeysUnreadable):
            result.liqpay = Side.NO_KEYS
            return result
        until = min(end - timedelta(milliseconds=1), self.clock())  # date_to is included
        try:
            archive = await self.receipts.liqpay.reports(creds, since=start, until=until)
        except LiqPayRefused as exc:
            log.warning("Shop %s: LiqPay refused its archive: %s", shop_id, exc.err_code)
            result.liqpay, result.refusal = Side.REFUSED, exc.err_code[:64]
            return result
        except LiqPayError as exc:
            log.warning("Shop %s: LiqPay's archive not read: %s", shop_id, exc)
            result.liqpay = Side.UNAVAILABLE
            return result
        result.unreadable = archive.unreadable  # skipped rows: said, not a day unread
        by_order: dict[str, list[ArchiveRow]] = defaultdict(list)
        for row in archive.rows:
            by_order[row.order_id].append(row)
        agreed: dict[int, Receipt] = {}
        fixed: set[int] = set()
        for order_id, order_rows in by_order.items():
            await self._order(shop_id, order_id, order_rows, result, agreed, fixed)
        day_receipts = await self.store.day_receipts(shop_id, start, end)
        await self._bot_side(day_receipts, start, end, by_order, result, agreed)
        if self.fiscal is not None:
            await self.fiscal.check(shop_id, start, end, day_receipts, agreed, fixed, result)
        if self.zreport is not None:
            await self.zreport.check(shop_id, start, end, result)
        return result

    async def _order(
        self,
        shop_id: int,
        order_id: str,
        rows: list[ArchiveRow],
        result: Result,
        agreed: dict[int, Receipt],
        fixed: set[int],
    ) -> None:
        taken = [r for r in rows if r.money_taken]
        refund_hint = any(r.is_refund for r in rows)
        if not taken and not refund_hint:
            return  # attempts that failed, invoices still waiting: no money moved
        receipt = await self.receipts.repo.by_order_id(order_id)
        if receipt is None or receipt.shop_id != shop_id:
            for row in taken:
                result.problems.append(
                    Entry(ProblemKind.UNKNOWN_ORDER, row.amount or 0, row.currency or "UAH",
                          order_id=order_id)
                )  # fmt: skip
            return
        missed = bool(taken) and receipt.status not in PAID
        refund_unseen = (
            refund_hint
            and receipt.status is ReceiptStatus.PAID
            and refund_unseen_in(rows, receipt.refunded_amount)
        )
        if missed or refund_unseen:
            receipt = await self._ask(receipt, missed, result, fixed)
        if taken and receipt.status in PAID:
            agreed[receipt.id] = receipt
            result.payment(receipt.currency, taken[0].amount or receipt.amount)
        if refund_hint and receipt.refunded_amount > 0:
            result.refund(receipt.currency, receipt.refunded_amount)

    async def _ask(
        self, receipt: Receipt, missed: bool, result: Result, fixed: set[int]
    ) -> Receipt:
        """LiqPay's `status` for the order, applied the way the poller applies it. A fix is
        this run's only when this run's write made it (a concurrent one may have)."""
        try:
            creds = await self.receipts.credentials_for(receipt)
            answer = await self.receipts.liqpay.status(creds, receipt.order_id)
            report = PaymentReport.from_status(answer)
        except (LiqPayError, NoKeys, KeysUnreadable, ValueError) as exc:
            log.warning("Receipt %s: not confirmed with LiqPay: %s", receipt.id, exc)
            if missed:
                result.problems.append(_about(ProblemKind.NOT_CONFIRMED, receipt))
            return receipt
        applied = await self.receipts.apply(receipt, report, EventSource.POLL)
        after = applied.receipt
        if missed and after.status not in PAID:
            result.problems.append(_about(ProblemKind.NOT_CONFIRMED, after))
        if not applied.applied:
            return after  # nothing new, or another call (a callback, a replica) wrote it
        if missed and after.status in PAID:
            result.fixes.append(_about(FixKind.MARKED_PAID, after))
            fixed.add(after.id)
        if after.refunded_amount > receipt.refunded_amount:
            delta = after.refunded_amount - receipt.refunded_amount
            result.fixes.append(
                Entry(FixKind.REFUND_RECORDED, delta, after.currency, number=after.number)
            )
        return after

    async def _bot_side(
        self,
        day_receipts: list[Receipt],
        start: datetime,
        end: datetime,
        by_order: dict[str, list[ArchiveRow]],
        result: Result,
        agreed: dict[int, Receipt],
    ) -> None:
        """The bot's receipts paid that day that LiqPay's archive did not list (it may list
        a payment by the day it was made, not paid): asked one by one."""
        asked = 0
        for receipt in day_receipts:
            if receipt.id in agreed or receipt.status not in PAID or receipt.paid_at is None:
                continue
            if not start <= receipt.paid_at < end:
                continue  # registered that day, paid another
            if asked >= MAX_STATUS_LOOKUPS:
                break
            asked += 1
            if await self._liqpay_paid(receipt):
                agreed[receipt.id] = receipt
                result.payment(receipt.currency, receipt.amount)
            else:
                result.problems.append(_about(ProblemKind.NOT_IN_LIQPAY, receipt))

    async def _liqpay_paid(self, receipt: Receipt) -> bool:
        try:
            creds = await self.receipts.credentials_for(receipt)
            answer = await self.receipts.liqpay.status(creds, receipt.order_id)
        except PaymentNotFound:
            return False
        except (LiqPayError, NoKeys, KeysUnreadable) as exc:
            log.warning("Receipt %s: LiqPay's status not read: %s", receipt.id, exc)
            return True  # not known to be wrong: not reported as such
        return payment_state(answer.status) in (PaymentState.PAID, PaymentState.REFUNDED)


def refund_unseen_in(rows: list[ArchiveRow], refunded: int) -> bool:
    """Whether an order's archive rows show more money given back than the bot's `refunded`
    (kopecks), so LiqPay's `status` is to be asked (it is the truth; what it shows is
    recorded once per sum, so asking once too often costs one call, never a double refund).

    What the rows mean: a payment's row carries the payment's refunded total so far
    (`refund_amount`, cumulative, as in a `status` answer; a `reversed` one without it gave
    back its whole amount): of several, the largest counts. A row of action `refund` is one
    refund (its own `refund_amount` when it has one, else its `amount`, as the stand-in
    lists them): they add up. The archive's total is the larger of the two. Refund rows
    list only the range's refunds, so without a payment's total among the rows the order's
    total is not known (earlier refunds, the bot's among them, are not listed): asked."""
    cumulative = 0
    each = 0
    for row in rows:
        if row.action == "refund":
            each += row.refund_amount or row.amount or 0
        elif row.refund_amount > 0:
            cumulative = max(cumulative, row.refund_amount)
        elif payment_state(row.status) is PaymentState.REFUNDED:
            cumulative = max(cumulative, row.amount or 0)
    if cumulative == 0:
        return True
    return max(cumulative, each) > refunded


def _about(kind: str, receipt: Receipt) -> Entry:
    return Entry(kind, receipt.amount, receipt.currency, number=receipt.number)
