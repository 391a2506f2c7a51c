"""Return receipts: each rise of a registered sale's refunded sum becomes one fiscal return
receipt through the PRRO (goods with is_return, related to the sale's receipt, the same
payment label, the refunded amount), with the sales' exactly-once rules.

The job is `fiscal.return` (services/refunds/ledger.py), made in the transaction that
records the refund; its receipt id is uuid5 of the order and the refunded sum it rose to
(SaleReturn.return_no), the same whoever runs it, and the registrar is asked for it before
anything is sent: a restart or a lost answer never registers a second return.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from services.core.crypto import SecretKeyMismatch
from services.fiscal import policy
from services.fiscal.access import DONE, FiscalAccess, Step, backoff
from services.fiscal.goods import return_goods
from services.fiscal.offline_stock import OfflineStock
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalError,
    FiscalRefused,
    FiscalResult,
    FiscalStatus,
    FiscalUnavailable,
    SaleGood,
    SaleReturn,
    receipt_uuid,
)
from services.fiscal.sale_job import sale_of
from services.notifications.jobs import NotificationKind, notify_job
from services.refunds.ledger import return_key
from storage.models.fiscal import FiscalSettings, FiscalState
from storage.models.jobs import Job, NewJob
from storage.models.receipts import Receipt

log = logging.getLogger(__name__)

# The sale itself is not registered yet (MANUAL mode before Register, an outage, a failed
# attempt the owner may retry): the return waits for it, however long, never given up —
# otherwise the sale is later registered in full and the refund has no return receipt.
SALE_WAIT_FIRST = timedelta(minutes=1)
SALE_WAIT_CAP = timedelta(minutes=10)  # a return follows its sale's registration by at most this
PENDING_RETRY = timedelta(seconds=20)
UNREADABLE_RETRY = timedelta(hours=1)
# The return's second job, in its register's group (policy.register_group); same handler
FISCAL_REGISTER_RETURN = "fiscal.register_return"


def sale_wait(attempts: int) -> timedelta:
    """Doubling from SALE_WAIT_FIRST, capped at SALE_WAIT_CAP."""
    delay: timedelta = SALE_WAIT_FIRST * (1 << min(max(attempts - 1, 0), 10))
    return min(SALE_WAIT_CAP, delay)


def register_job(shop_id: int, job: Job) -> NewJob:
    """The return's second job, in the register's group (policy.register_group); `at`: when
    the refund was recorded (the ledger's job was made then), what a late return is dated at."""
    return NewJob(
        FISCAL_REGISTER_RETURN,
        {**job.payload, "at": job.created_at.isoformat()},
        group_key=policy.register_group(shop_id),
        dedupe_key=f"{job.dedupe_key or job.id}:register",
        receipt_id=job.receipt_id,
    )


class FiscalReturns:
    def __init__(self, access: FiscalAccess) -> None:
        self.access = access

    def sale_return(
        self,
        receipt: Receipt,
        amount: int,
        total: int,
        settings: FiscalSettings,
        sold: tuple[SaleGood, ...],
        picks: Sequence[tuple[int, int, int]] = (),
    ) -> SaleReturn:
        """The goods given back (services/fiscal/goods.py return_goods: the refund's lines,
        or the sale's goods for the refunded amount) and the sale's payment label."""
        goods = return_goods(sold, amount, picks, refunded_before=total - amount)
        sale = replace(
            sale_of(receipt, settings, sold), price=amount, goods=goods, customer_email=None
        )
        return SaleReturn(
            sale=sale,
            related_receipt_id=receipt_uuid(receipt.order_id, receipt.fiscal_attempt),
            return_no=total,
        )

    async def run_return(self, job: Job) -> Step:
        """The ledger's `fiscal.return` job (no group) waits for the sale's registration, then
        hands the return to its second job, FISCAL_REGISTER_RETURN in the register's group
        (`_register`): a return never waits for its sale inside the group, where the sale's
        own job (MANUAL's Register, a Retry) may be queued behind it."""
        access = self.access
        receipt = await access.receipts.get(job.receipt_id) if job.receipt_id else None
        if receipt is None or receipt.fiscal_state is None:
            return DONE
        if receipt.fiscal_state is not FiscalState.REGISTERED:
            return Step(access.clock() + sale_wait(job.attempts), "sale not registered yet")
        settings = await access.active_settings(receipt.shop_id)
        if settings is None:
            log.info("Receipt %s: fiscalization is off; no return receipt", receipt.id)
            return DONE
        if job.kind != FISCAL_REGISTER_RETURN:
            await access.jobs.enqueue([register_job(receipt.shop_id, job)], access.clock())
            access.wake.notify()
            return DONE
        try:
            creds = access.credentials(settings)
        except SecretKeyMismatch:
            await access.tell_unreadable(settings)
            return Step(access.clock() + UNREADABLE_RETRY, "credentials unreadable")
        try:
            return await self._register(job, receipt, settings, creds)
        finally:
            try:
                await access.keep_token(settings, creds)
            except Exception:
                log.exception("Shop %s: the registrar token was not kept", settings.shop_id)

    async def _register(
        self, job: Job, receipt: Receipt, settings: FiscalSettings, creds: FiscalCredentials
    ) -> Step:
        """In the register's group: nothing else of the shop's register runs meanwhile."""
        access, stock = self.access, OfflineStock(self.access)
        amount, total = int(job.payload["amount"]), int(job.payload["total"])
        at = datetime.fromisoformat(str(job.payload["at"]))  # when the refund was recorded
        sold = await access.goods_of(receipt, settings)
        picks = await access.returned_goods(job.payload.get("refund"), len(sold), amount)
        sale_return = self.sale_return(receipt, amount, total, settings, sold, picks)
        try:
            await stock.back_online(receipt.shop_id, creds)  # a crash left it offline
            result = await access.registrar.find(creds, sale_return.receipt_id)
            if result is not None and result.status is FiscalStatus.PENDING:
                result = await access.registrar.wait_result(creds, result.receipt_id)
            if result is None and policy.late_at(at, access.clock()):
                last = await stock.last_document(receipt.shop_id)
                if last is None or at >= last:  # the refund's time may be used
                    return await self._hand_off(job, receipt, amount, total, at)
                await self.tell_not_dated(receipt, amount, total, at, "later_document")
            if result is None:
                result = await access.registrar.register_return(creds, sale_return)
                await stock.note(receipt.shop_id, result.fiscal_date or access.clock())
        except FiscalUnavailable as exc:
            log.warning("Receipt %s: return receipt not registered yet (%s)", receipt.id, exc)
            return Step(access.clock() + backoff(job.attempts), f"unavailable: {exc.reason}")
        except FiscalRefused as exc:
            await self.refused(receipt, amount, total, exc)
            return DONE
        except FiscalError as exc:
            return Step(access.clock() + backoff(job.attempts), type(exc).__name__)
        return await self.outcome(receipt, amount, total, result)

    async def _hand_off(
        self, job: Job, receipt: Receipt, amount: int, total: int, at: datetime
    ) -> Step:
        """Late: the register's `fiscal.late` job dates it at the refund (offline_returns.py),
        returning the refund's own goods."""
        refund = job.payload.get("refund")
        late = policy.late_return_job(
            receipt.shop_id, receipt.id, amount, total, at,
            int(refund) if refund is not None else None,
        )  # fmt: skip
        await self.access.jobs.enqueue([late], self.access.clock())
        self.access.wake.notify()
        return DONE

    async def outcome(
        self, receipt: Receipt, amount: int, total: int, result: FiscalResult, detail: str = ""
    ) -> Step:
        """What the registrar said of the return receipt, told to the owners."""
        access = self.access
        if result.status is FiscalStatus.PENDING:
            return Step(access.clock() + PENDING_RETRY, "pending")
        if result.status is FiscalStatus.DONE:
            log.info("Receipt %s: return receipt %s registered%s", receipt.id, result.fiscal_code,
                     detail)  # fmt: skip
            await self._tell(receipt, NotificationKind.FISCAL_RETURN_DONE, amount, total,
                             code=result.fiscal_code or "", link=result.link or "")  # fmt: skip
            return DONE
        await self._tell(receipt, NotificationKind.FISCAL_RETURN_FAILED, amount, total,
                         message=(result.error_message or result.status.value)[:300])  # fmt: skip
        return DONE

    async def tell_not_dated(
        self, receipt: Receipt, amount: int, total: int, at: datetime, why: str
    ) -> None:
        """The owners learn, once per return, why it carries the current time, not the
        refund's (offline_returns.py; `why` one of offline.NotDated's values)."""
        kind = NotificationKind.FISCAL_NOT_DATED
        notices: list[NewJob] = []
        for notice in await self.access.owner_notices(receipt, kind, None):
            if notice.payload["kind"] == kind:
                chat = int(notice.payload["chat_id"])
                key = f"fiscal.not_dated:return:{receipt.id}:{total}:{chat}"
                notices.append(notify_job(chat, kind, dedupe_key=key, reason=why,
                                          refund=amount, refunded_at=at.isoformat()))  # fmt: skip
        if await self.access.jobs.enqueue(notices, self.access.clock()):
            self.access.outbox.notify()

    async def refused(self, receipt: Receipt, amount: int, total: int, exc: FiscalRefused) -> None:
        await self._tell(receipt, NotificationKind.FISCAL_RETURN_FAILED, amount, total,
                         message=(exc.message or exc.reason.value)[:300])  # fmt: skip

    async def _tell(
        self, receipt: Receipt, kind: str, amount: int, total: int, **facts: str
    ) -> None:
        access = self.access
        notices = await access.owner_notices(
            receipt, kind, f"{return_key(receipt.id, total)}:{kind}"
        )
        jobs: list[NewJob] = []
        for notice in notices:
            if notice.payload["kind"] == kind:
                payload = {**notice.payload, "amount": amount, "total": total, **facts}
                notice = NewJob(notice.kind, payload, group_key=notice.group_key,
                                dedupe_key=notice.dedupe_key, receipt_id=receipt.id)  # fmt: skip
                jobs.append(notice)
        if await access.jobs.enqueue(jobs, access.clock()):
            access.outbox.notify()
