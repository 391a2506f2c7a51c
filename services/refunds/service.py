"""Refunds the owner makes from the chat, each exactly once.

A refund is reserved in the store (by the confirmation button's key) before LiqPay is
asked: a double tap finds the same refund. Whoever moves it RESERVED -> SENT (a
compare-and-set) is the only one who ever calls LiqPay `refund` for it, and nobody calls it
again: after a lost answer (a timeout) it is UNKNOWN and only LiqPay `status` (its
cumulative `refund_amount`) decides whether the money went back. Each refund has a
`refund.resolve` job made with it, so a restart finds and settles what was in flight.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.core.clock import Clock
from services.core.money import AmountError, parse_amount
from services.fiscal.access import Step
from services.liqpay.client import LiqPayRefused, LiqPayUnavailable, PaymentNotFound
from services.liqpay.statuses import PaymentState, payment_state
from services.notifications.jobs import NotificationKind, OutboxSignal, notify_job
from services.receipts.state import ReceiptService
from services.refunds.ledger import RefundLedger
from services.refunds.lines import everything_left
from services.refunds.problems import (
    RefundFailure,
    RefundProblem,
    RefundRefused,
    refused_error,
)
from services.settings.keys import KeysUnreadable, NoKeys
from storage.models.jobs import Job, NewJob
from storage.models.lines import ReceiptLine, ReturnedLine
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.refunds import NewRefund, Refund, RefundState
from storage.models.shops import Member
from storage.protocols.jobs import JobQueue
from storage.protocols.refunds import RefundRepository

log = logging.getLogger(__name__)

R = RefundState
REFUND_RESOLVE = "refund.resolve"  # payload {"key": the refund's idempotency key}
RESOLVE_MARGIN = timedelta(seconds=30)  # after the longest LiqPay call, before a job looks
CHECK_AGAIN = timedelta(minutes=1)
CHECK_CAP = timedelta(minutes=30)
# Past this, LiqPay's `status` answering without the money back means not refunded; no
# answer at all leaves it UNKNOWN and the owner is told to check the LiqPay cabinet.
GIVE_UP_AFTER = timedelta(days=2)


@dataclass(frozen=True)
class RefundResult:
    refund: Refund
    receipt: Receipt
    repeated: bool = False  # a double tap: the refund the key made before


def resolve_job(key: str, run_at: datetime) -> NewJob:
    return NewJob(REFUND_RESOLVE, {"key": key}, run_at=run_at, dedupe_key=f"refund:{key}")


class RefundService:
    def __init__(
        self,
        receipts: ReceiptService,
        refunds: RefundRepository,
        jobs: JobQueue,
        ledger: RefundLedger,
        signal: OutboxSignal,
        clock: Clock,
    ) -> None:
        self.receipts = receipts
        self.refunds = refunds
        self.jobs = jobs
        self.ledger = ledger
        self.signal = signal
        self.clock = clock

    # what the owner may refund

    @staticmethod
    def check(member: Member, receipt: Receipt, amount: int | None = None) -> None:
        """RefundRefused when `member` may not refund `amount` (None: anything) of it."""
        if not member.is_owner:
            raise RefundRefused(RefundProblem.NOT_OWNER)
        if receipt.status is not ReceiptStatus.PAID:
            raise RefundRefused(RefundProblem.NOT_PAID)
        if receipt.refundable <= 0:
            raise RefundRefused(RefundProblem.NOTHING_LEFT)
        if amount is not None and amount > receipt.refundable:
            raise RefundRefused(RefundProblem.TOO_MUCH)

    @staticmethod
    def parse(text: str, receipt: Receipt) -> int:
        """What the owner typed, in kopecks: AmountError for garbage, zero or a negative
        amount, RefundRefused(TOO_MUCH) above what is left."""
        try:
            return parse_amount(text, receipt.refundable)
        except AmountError as exc:
            if exc.reason == "too_big":
                raise RefundRefused(RefundProblem.TOO_MUCH) from None
            raise

    # the confirmation

    async def lines(self, receipt: Receipt) -> list[ReceiptLine]:
        """The receipt's goods lines with what was returned of each ([]: none stored)."""
        lines = self.receipts.lines
        return await lines.of_receipt(receipt.id) if lines is not None else []

    async def refund(
        self,
        member: Member,
        receipt: Receipt,
        amount: int,
        key: str,
        refunded_before: int,
        goods: tuple[ReturnedLine, ...] = (),
    ) -> RefundResult:
        """Reserve the refund under `key` and ask LiqPay once. A key used before gives its
        refund as it is now (repeated), never a second one. `refunded_before`: the receipt's
        refunded sum when the confirmation was made; if it changed since, the confirmation
        is stale (an older Confirm button) and refunds nothing: RefundRefused(CHANGED).
        `goods`: what comes back (services/refunds/lines.py), worth `amount`; without them
        everything left comes back as goods when `amount` is all that is left, and an amount
        of a receipt of several goods lines is refused (CHOOSE_GOODS)."""
        existing = await self.refunds.by_key(key)
        if existing is not None:
            return RefundResult(existing, await self._receipt(existing, receipt), repeated=True)
        if receipt.refunded_amount != refunded_before:
            raise RefundRefused(RefundProblem.CHANGED)
        self.check(member, receipt, amount)
        if goods and sum(line.amount for line in goods) != amount:
            raise RefundRefused(RefundProblem.CHANGED)
        if not goods:
            stored = await self.lines(receipt)
            if amount == receipt.refundable:
                goods = everything_left(stored, amount)
            elif len(stored) > 1:
                raise RefundRefused(RefundProblem.CHOOSE_GOODS)
        now = self.clock()
        run_at = now + timedelta(seconds=self.receipts.liqpay.longest_call) + RESOLVE_MARGIN
        new = NewRefund(receipt.id, amount, key, member.user_id, refunded_before, goods)
        refund, created = await self.refunds.reserve(new, now, [resolve_job(key, run_at)])
        if refund is None:
            fresh = await self.receipts.repo.get(receipt.id) or receipt
            if await self.refunds.in_flight(receipt.id) is not None:
                raise RefundRefused(RefundProblem.IN_FLIGHT)
            if fresh.refunded_amount != refunded_before:
                raise RefundRefused(RefundProblem.CHANGED)
            self.check(member, fresh, amount)
            if goods:  # a line was returned since the confirmation was made
                raise RefundRefused(RefundProblem.CHANGED)
            raise RefundRefused(RefundProblem.NOT_PAID)
        if not created:  # the same key, a moment ago
            return RefundResult(refund, await self._receipt(refund, receipt), repeated=True)
        settled = await self.execute(refund)
        return RefundResult(settled, await self._receipt(settled, receipt))

    async def _receipt(self, refund: Refund, fallback: Receipt) -> Receipt:
        return await self.receipts.repo.get(refund.receipt_id) or fallback

    async def execute(self, refund: Refund, *, tell: bool = False) -> Refund:
        """Send a RESERVED refund to LiqPay, once; the refund as it is afterwards. `tell`:
        the owner who asked is not looking (a restart), so a refusal is told by a notice."""
        receipt = await self.receipts.repo.get(refund.receipt_id)
        if receipt is None:
            return refund
        try:
            creds = await self.receipts.credentials_for(receipt)
        except KeysUnreadable:  # before NoKeys, its base class
            return await self._fail(refund, [R.RESERVED], RefundFailure.KEYS_UNREADABLE, tell=tell)
        except NoKeys:
            return await self._fail(refund, [R.RESERVED], RefundFailure.NO_KEYS, tell=tell)
        sent = await self.refunds.move(
            refund.id, expected=[R.RESERVED], new=R.SENT, now=self.clock()
        )
        if sent is None:
            return await self.refunds.get(refund.id) or refund  # someone else sends it
        try:
            answer = await self.receipts.liqpay.refund(
                creds, order_id=receipt.order_id, amount=refund.amount
            )
        except LiqPayRefused as exc:
            log.warning("Receipt %s: LiqPay refused the refund: %s", receipt.id, exc.err_code)
            return await self._fail(sent, [R.SENT], refused_error(exc.err_code), tell=tell)
        except LiqPayUnavailable as exc:
            log.warning(
                "Receipt %s: the refund's answer was lost (%s); asking LiqPay status",
                receipt.id, exc.reason,
            )  # fmt: skip
            unknown = await self.refunds.move(
                sent.id, expected=[R.SENT], new=R.UNKNOWN, now=self.clock(), error=exc.reason
            )
            if unknown is None:  # settled meanwhile (LiqPay's callback came first)
                return await self.refunds.get(sent.id) or sent
            return await self.resolve(unknown)
        total = sent.refunded_before + sent.amount
        if answer.covers(total):  # a partial refund answered `success` + `refund_amount`
            total = answer.refunded_kopecks
        elif not answer.refunded:
            # Under way (e.g. wait_reserve), or a refund_amount that does not show this
            # refund: `status` is asked once now; then the callback or the job tells.
            log.info("Receipt %s: refund answered %s; asking status", receipt.id, answer.status)
            now = await self.refunds.get(sent.id) or sent
            return await self.resolve(now) if now.in_flight else now
        await self.ledger.record(
            receipt, total, EventSource.USER, liqpay_status=answer.status, refund=sent
        )
        return await self.refunds.get(sent.id) or sent

    async def resolve(self, refund: Refund) -> Refund:
        """Ask LiqPay `status` whether a SENT or UNKNOWN refund went back; never resend."""
        return (await self._resolve(refund))[0]

    async def _resolve(self, refund: Refund) -> tuple[Refund, bool]:
        """resolve, and whether LiqPay's `status` answered and showed this refund's money
        not back (a settled payment whose refunded sum lacks it). No answer (an outage,
        unreadable keys, garbage) shows nothing: only such an answer may fail a refund."""
        receipt = await self.receipts.repo.get(refund.receipt_id)
        if receipt is None or not refund.in_flight or refund.state is R.RESERVED:
            return refund, False
        try:
            creds = await self.receipts.credentials_for(receipt)
            answer = await self.receipts.liqpay.status(creds, receipt.order_id)
        except (LiqPayUnavailable, PaymentNotFound, NoKeys, KeysUnreadable) as exc:
            log.warning("Receipt %s: refund still unknown (%s)", receipt.id, exc)
            return refund, False
        except LiqPayRefused as exc:
            log.warning("Receipt %s: status refused (%s)", receipt.id, exc.err_code)
            return refund, False
        try:
            total = answer.refunded_kopecks
        except ValueError:
            return refund, False
        if answer.status == "reversed" and not total:
            total = receipt.amount
        if total >= refund.refunded_before + refund.amount:
            await self.ledger.record(
                receipt, total, EventSource.POLL, liqpay_status=answer.status, refund=refund
            )
            return await self.refunds.get(refund.id) or refund, False
        if total > receipt.refunded_amount:
            await self.ledger.record(receipt, total, EventSource.POLL, liqpay_status=answer.status)
        settled = payment_state(answer.status) in (PaymentState.PAID, PaymentState.REFUNDED)
        return await self.refunds.get(refund.id) or refund, settled

    async def _fail(
        self, refund: Refund, expected: list[RefundState], error: str, *, tell: bool
    ) -> Refund:
        jobs = []
        if tell:
            jobs.append(
                notify_job(
                    refund.requested_by,
                    NotificationKind.REFUND_FAILED,
                    dedupe_key=f"refund.failed:{refund.id}",
                    amount=refund.amount,
                    problem=str(error),
                )
            )
        failed = await self.refunds.move(
            refund.id, expected=expected, new=R.FAILED, now=self.clock(), error=str(error)[:200],
            jobs=jobs,
        )  # fmt: skip
        if failed is not None and jobs:
            self.signal.notify()
        return failed or await self.refunds.get(refund.id) or refund

    # the job a restart finds

    async def run_job(self, job: Job) -> Step:
        refund = await self.refunds.by_key(str(job.payload.get("key", "")))
        if refund is None or not refund.in_flight:
            return Step()
        shown_not_back = False
        if refund.state is R.RESERVED:  # its sender died before asking LiqPay
            refund = await self.execute(refund, tell=True)
        else:
            refund, shown_not_back = await self._resolve(refund)
        if not refund.in_flight:
            return Step()
        if self.clock() - refund.created_at > GIVE_UP_AFTER:
            if shown_not_back:  # LiqPay answered, days later, without this refund's money
                await self._fail(refund, [R.SENT, R.UNKNOWN], RefundFailure.NOT_REFUNDED, tell=True)
                return Step()
            # No answer shows the outcome: failing it could let a second refund go back.
            # It stays UNKNOWN (checked on, never resent) and the owner is told, once.
            await self._tell_unknown(refund)
        delay = min(CHECK_CAP, CHECK_AGAIN * (1 << min(job.attempts, 5)))
        return Step(self.clock() + delay, f"refund {refund.state.value}")

    async def _tell_unknown(self, refund: Refund) -> None:
        now = self.clock()
        notice = notify_job(
            refund.requested_by,
            NotificationKind.REFUND_UNKNOWN,
            dedupe_key=f"refund.unknown:{refund.id}",
            amount=refund.amount,
            days=(now - refund.created_at).days,
        )
        if await self.jobs.enqueue([replace(notice, receipt_id=refund.receipt_id)], now):
            self.signal.notify()
