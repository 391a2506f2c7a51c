"""Registering paid receipts with the fiscal registrar (PRRO), exactly once.

A paid receipt's fiscal state: not_registered -> registering -> registered | failed, each
change a compare-and-set with its event. A registration is the `fiscal.sale` job of the
receipt's attempt (one per receipt and attempt, by its dedupe key), so a double tap, a
repeated callback or two workers make one job, and the job's lease lets one worker at a
time run it. Before anything is sold, every receipt id the order has used is looked up at
the registrar: one that exists is taken, never sold again (a restart mid-sale, a lost
answer); only a job's first run on the order's first attempt, which never reached
registering, sells at once: nothing can exist under its id. The id is
receipt_uuid(order_id, attempt); a new attempt (a new id) is taken only after the registrar
ended the previous one in an error. A receipt registered more than policy.LATE_AFTER after
its payment is handed to its register's `fiscal.late` job (services/fiscal/offline.py), which
dates it at the payment. Sale jobs are in the register's job group with the late batches and
the returns (policy.register_group): one of them at a time touches a shop's register.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from services.core.crypto import SecretKeyMismatch
from services.fiscal import policy
from services.fiscal.access import DONE, FiscalAccess, Step, backoff
from services.fiscal.offline_stock import OfflineStock
from services.fiscal.registrar import (
    DEFAULT_PAYMENT_LABEL,
    PAYMENT_LABELS,
    FiscalCredentials,
    FiscalError,
    FiscalRefused,
    FiscalResult,
    FiscalStatus,
    FiscalUnavailable,
    Sale,
    SaleGood,
    receipt_uuid,
)
from services.notifications.jobs import NotificationKind
from storage.models.fiscal import FiscalChanges, FiscalSettings, FiscalState
from storage.models.jobs import Job, NewJob
from storage.models.receipts import Channel, EventSource, Receipt

log = logging.getLogger(__name__)

F = FiscalState
MAX_DESCRIPTION = 255
STILL_PENDING_RETRY = timedelta(seconds=20)  # the tax service has not answered yet
UNREADABLE_RETRY = timedelta(hours=1)  # credentials sealed under another SECRET_KEY
REGISTER_BUSY_RETRY = timedelta(seconds=10)  # a late batch has the register offline
Body = Callable[[Job, Receipt, FiscalSettings, FiscalCredentials], Awaitable[Step]]


def sale_of(receipt: Receipt, settings: FiscalSettings, goods: tuple[SaleGood, ...]) -> Sale:
    """What the registrar sells for a paid receipt: its `goods` (FiscalAccess.goods_of) and
    one payment of their sum, the receipt's amount."""
    label = settings.payment_label
    email = receipt.contact if receipt.channel is Channel.EMAIL else None
    return Sale(
        order_id=receipt.order_id,
        description=receipt.description[:MAX_DESCRIPTION],
        price=receipt.amount,
        tax_code=settings.tax_code,
        goods=goods,
        payment_label=label if label in PAYMENT_LABELS else DEFAULT_PAYMENT_LABEL,
        card_mask=receipt.card_mask,
        bank=receipt.payment_bank,
        payment_system=receipt.payment_system,
        rrn=receipt.payment_rrn,
        auth_code=receipt.payment_auth_code,
        payment_id=receipt.payment_id,
        customer_email=email,
        attempt=receipt.fiscal_attempt,
    )


def _never_sold(job: Job, receipt: Receipt) -> bool:
    """Nothing can be at the registrar under this order's ids: the job's first run, on the
    order's first attempt, before it ever moved to registering (a run that may have sold
    moved it first; a crash or a lost answer makes another run, with more attempts)."""
    return (
        job.attempts == 1
        and receipt.fiscal_attempt == 1
        and (receipt.fiscal_state is F.NOT_REGISTERED)
    )


class SaleJob:
    """The `fiscal.sale` job of one receipt's attempt: registering it at the registrar."""

    def __init__(self, access: FiscalAccess) -> None:
        self.access = access
        self.stock = OfflineStock(access)

    async def run(self, job: Job) -> Step:
        return await self.guarded(job, self._register)

    async def guarded(self, job: Job, body: Body) -> Step:
        """`body` for the job's receipt while it is still to be registered, with the shop's
        settings and credentials (the session token kept afterwards)."""
        receipt = await self.access.receipts.get(job.receipt_id) if job.receipt_id else None
        attempt = int(job.payload.get("attempt", 1))
        if receipt is None or receipt.fiscal_attempt != attempt:
            return DONE  # gone, or a newer attempt has its own job
        if receipt.fiscal_state not in (F.NOT_REGISTERED, F.REGISTERING):
            return DONE  # registered or failed already
        settings = await self.access.active_settings(receipt.shop_id)
        if settings is None:
            log.info("Receipt %s: fiscalization is off; not registered", receipt.id)
            return DONE  # stays not registered: Register makes the job due again
        try:
            creds = self.access.credentials(settings)
        except SecretKeyMismatch:
            await self.access.tell_unreadable(settings)
            return Step(self.access.clock() + UNREADABLE_RETRY, "credentials unreadable")
        try:
            return await body(job, receipt, settings, creds)
        finally:
            try:
                await self.access.keep_token(settings, creds)
            except Exception:
                log.exception("Shop %s: the registrar token was not kept", settings.shop_id)

    async def _register(
        self, job: Job, receipt: Receipt, settings: FiscalSettings, creds: FiscalCredentials
    ) -> Step:
        if policy.late(receipt, self.access.clock()):
            return await self._hand_off(receipt)
        if await self.stock.offline(receipt.shop_id):
            if job.group_key is None:  # outside the register's group: a late batch has it
                return Step(self.access.clock() + REGISTER_BUSY_RETRY, "register offline")
            try:  # in the group no batch runs now: a crash left it offline
                await self.stock.back_online(receipt.shop_id, creds)
            except FiscalUnavailable as exc:
                return await self.unavailable(job, receipt, exc)
            except FiscalError as exc:
                return Step(self.access.clock() + backoff(job.attempts), type(exc).__name__)
        return await self.register_online(job, receipt, settings, creds)

    async def _hand_off(self, receipt: Receipt) -> Step:
        """Late: the register's `fiscal.late` job dates it at the payment (one batch per
        register at a time, in payment order; services/fiscal/offline.py)."""
        late = policy.late_job(receipt.shop_id, receipt.id, receipt.fiscal_attempt)
        moved = await self._move(
            receipt, [F.NOT_REGISTERED], F.REGISTERING, jobs=[late],
            detail="late: to be registered offline, dated at the payment",
        )  # fmt: skip
        if moved is None:  # registering already (a run before a crash): the job once
            await self.access.jobs.enqueue([late], self.access.clock())
        self.access.wake.notify()
        return DONE

    async def register_online(
        self, job: Job, receipt: Receipt, settings: FiscalSettings, creds: FiscalCredentials
    ) -> Step:
        never_sold = _never_sold(job, receipt)
        if receipt.fiscal_state is F.NOT_REGISTERED:
            moved = await self._move(
                receipt, [F.NOT_REGISTERED], F.REGISTERING, detail=f"attempt {job.attempts}"
            )
            if moved is None:
                return DONE  # another change came first; its own job carries on
            receipt = moved
        try:
            result = None if never_sold else await self.existing(receipt, creds)
            if result is None:
                sale = sale_of(receipt, settings, await self.access.goods_of(receipt, settings))
                result = await self.access.registrar.register_sale(creds, sale)
        except FiscalUnavailable as exc:
            return await self.unavailable(job, receipt, exc)
        except FiscalRefused as exc:
            return await self.failed(receipt, await self.access.refusal_note(exc, settings, creds))
        return await self.settle(receipt, result, creds)

    async def settle(
        self, receipt: Receipt, result: FiscalResult, creds: FiscalCredentials, detail: str = ""
    ) -> Step:
        """What the registrar said of the receipt, recorded."""
        if result.status is FiscalStatus.PENDING:
            log.info("Receipt %s: the tax service has not answered yet", receipt.id)
            return Step(self.access.clock() + STILL_PENDING_RETRY, "pending")
        if result.status is FiscalStatus.DONE:
            await self._registered(receipt, result, creds, detail)
            return DONE
        return await self.failed(receipt, result.error_message or result.status.value)

    async def existing(self, receipt: Receipt, creds: FiscalCredentials) -> FiscalResult | None:
        """What the registrar has under the ids this order used: this attempt's receipt in
        any state, or an earlier attempt's that is done or still pending (one that ended
        in an error left no fiscal receipt). None: nothing, sell now."""
        for attempt in range(receipt.fiscal_attempt, 0, -1):
            found = await self.access.registrar.find(creds, receipt_uuid(receipt.order_id, attempt))
            if found is None:
                continue
            log.info("Receipt %s: the registrar has it already (attempt %s)", receipt.id, attempt)
            if found.status is FiscalStatus.PENDING:
                found = await self.access.registrar.wait_result(creds, found.receipt_id)
            if attempt == receipt.fiscal_attempt or found.status in (
                FiscalStatus.DONE,
                FiscalStatus.PENDING,
            ):
                return found
        return None

    async def _move(
        self,
        receipt: Receipt,
        expected: list[FiscalState | None],
        new: FiscalState,
        *,
        changes: FiscalChanges | None = None,
        detail: str | None = None,
        jobs: list[NewJob] | None = None,
    ) -> Receipt | None:
        moved = await self.access.receipts.fiscal_transition(
            receipt.id, expected=expected, new=new, source=EventSource.POLL,
            now=self.access.clock(), changes=changes, detail=detail, jobs=jobs or [],
        )  # fmt: skip
        if moved is not None and jobs:
            self.access.outbox.notify()
        return moved

    async def _registered(
        self, receipt: Receipt, result: FiscalResult, creds: FiscalCredentials, detail: str
    ) -> None:
        notices = await self.access.owner_notices(
            receipt, NotificationKind.FISCAL_DONE, f"fiscal.done:{receipt.id}"
        )
        moved = await self._move(
            receipt, [F.REGISTERING, F.NOT_REGISTERED], F.REGISTERED,
            changes=FiscalChanges(
                fiscal_code=result.fiscal_code,
                fiscal_date=result.fiscal_date or self.access.clock(),
                fiscal_url=result.link,
                fiscal_error=None,
            ),
            detail=f"registered{detail}: {result.fiscal_code}", jobs=notices,
        )  # fmt: skip
        if moved is None:
            return
        log.info("Receipt %s registered%s: fiscal code %s", receipt.id, detail, result.fiscal_code)
        if not result.created_offline:
            await self.stock.note(receipt.shop_id, result.fiscal_date or self.access.clock())
            await self.stock.refill(receipt.shop_id, creds)
        if moved.channel is Channel.EMAIL and moved.contact:
            await self._email(moved, result, creds)

    async def _email(
        self, receipt: Receipt, result: FiscalResult, creds: FiscalCredentials
    ) -> None:
        assert receipt.contact is not None
        try:
            await self.access.registrar.email_receipt(creds, result.receipt_id, [receipt.contact])
        except FiscalError as exc:
            log.warning("Receipt %s: the fiscal receipt was not e-mailed (%s)", receipt.id, exc)
            notices = await self.access.owner_notices(
                receipt, NotificationKind.FISCAL_EMAIL_FAILED, f"fiscal.email:{receipt.id}"
            )
            told = [n for n in notices if n.payload["kind"] != NotificationKind.CARD]
            await self.access.jobs.enqueue(told, self.access.clock())
            self.access.outbox.notify()

    async def failed(self, receipt: Receipt, message: str) -> Step:
        log.warning("Receipt %s: the registrar refused it: %s", receipt.id, message)
        notices = await self.access.owner_notices(
            receipt,
            NotificationKind.FISCAL_FAILED,
            f"fiscal.failed:{receipt.id}:{receipt.fiscal_attempt}",
        )
        await self._move(
            receipt, [F.REGISTERING, F.NOT_REGISTERED], F.FAILED,
            changes=FiscalChanges(fiscal_error=message[:1000]), detail=message[:1000],
            jobs=notices,
        )  # fmt: skip
        return DONE

    async def unavailable(self, job: Job, receipt: Receipt, exc: FiscalUnavailable) -> Step:
        """Not registered yet, retried by itself; the owners are told once per attempt."""
        retry_at = self.access.clock() + backoff(job.attempts)
        log.warning(
            "Receipt %s: the registrar is unavailable (%s); retry at %s",
            receipt.id, exc.reason, retry_at.isoformat(timespec="seconds"),
        )  # fmt: skip
        notices = await self.access.owner_notices(
            receipt,
            NotificationKind.FISCAL_DOWN,
            f"fiscal.down:{receipt.id}:{receipt.fiscal_attempt}",
        )
        await self._move(
            receipt, [F.REGISTERING], F.NOT_REGISTERED,
            changes=FiscalChanges(fiscal_error=policy.UNAVAILABLE),
            detail=f"registrar unavailable: {exc.reason}", jobs=notices,
        )  # fmt: skip
        return Step(retry_at, f"unavailable: {exc.reason}")
