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
from services.fiscal.registrar import (
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


def sale_wait(attempts: int) -> timedelta:
    """Doubling from SALE_WAIT_FIRST, capped at SALE_WAIT_CAP."""
    delay: timedelta = SALE_WAIT_FIRST * (1 << min(max(attempts - 1, 0), 10))
    return min(SALE_WAIT_CAP, delay)


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
        access = self.access
        receipt = await access.receipts.get(job.receipt_id) if job.receipt_id else None
        amount, total = int(job.payload["amount"]), int(job.payload["total"])
        if receipt is None or receipt.fiscal_state is None:
            return DONE
        if receipt.fiscal_state is not FiscalState.REGISTERED:
            return Step(access.clock() + sale_wait(job.attempts), "sale not registered yet")
        settings = await access.active_settings(receipt.shop_id)
        if settings is None:
            log.info("Receipt %s: fiscalization is off; no return receipt", receipt.id)
            return DONE
        try:
            creds = access.credentials(settings)
        except SecretKeyMismatch:
            await access.tell_unreadable(settings)
            return Step(access.clock() + UNREADABLE_RETRY, "credentials unreadable")
        sold = await access.goods_of(receipt, settings)
        picks = await access.returned_goods(job.payload.get("refund"), len(sold), amount)
        sale_return = self.sale_return(receipt, amount, total, settings, sold, picks)
        try:
            result = await access.registrar.find(creds, sale_return.receipt_id)
            if result is not None and result.status is FiscalStatus.PENDING:
                result = await access.registrar.wait_result(creds, result.receipt_id)
            if result is None and policy.late_at(job.created_at, access.clock()):
                last = (await access.offline.register(receipt.shop_id)).last_document_at
                if last is None or job.created_at >= last:  # the refund's time may be used
                    return await self._hand_off(job, receipt, amount, total)
                await self.tell_not_dated(receipt, amount, total, job.created_at, "later_document")
            if result is None:
                result = await access.registrar.register_return(creds, sale_return)
        except FiscalUnavailable as exc:
            log.warning("Receipt %s: return receipt not registered yet (%s)", receipt.id, exc)
            return Step(access.clock() + backoff(job.attempts), f"unavailable: {exc.reason}")
        except FiscalRefused as exc:
            await self._tell(receipt, NotificationKind.FISCAL_RETURN_FAILED, amount, total,
                             message=(exc.message or exc.reason.value)[:300])  # fmt: skip
            return DONE
        except FiscalError as exc:
            return Step(access.clock() + backoff(job.attempts), type(exc).__name__)
        finally:
            try:
                await access.keep_token(settings, creds)
            except Exception:
                log.exception("Shop %s: the registrar token was not kept", settings.shop_id)
        return await self.outcome(receipt, amount, total, result)

    async def _hand_off(self, job: Job, receipt: Receipt, amount: int, total: int) -> Step:
        """Late: the register's `fiscal.late` job dates it at the refund (offline_returns.py)."""
        late = policy.late_return_job(receipt.shop_id, receipt.id, amount, total, job.created_at)
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
