"""Late receipts registered at their payment's time, through the registrar's offline mode
(docs/checkbox-offline.md).

A paid receipt registered more than policy.LATE_AFTER after its payment is handed by its sale
job to a `fiscal.late` job in its register's group, so one batch per register runs at a time.
The batch takes every late receipt of the register waiting then, asks the registrar for each
id first (one it has is taken: nothing is sold twice), and sorts the rest by payment time.
Those whose payment time can still be used (after the register's last document, within the
offline limits, a code for each) go: codes claimed in the store and the register marked
offline before any call, go-offline at the earliest payment, sell-offline each dated at its
payment under the id an online sale would use, go-online, each read back and registered.
The rest are registered online now, and the owner is told why, once per receipt. A register
left offline (a crash, a lost answer) goes online first on the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from services.fiscal import policy
from services.fiscal.access import DONE, FiscalAccess, Step, backoff
from services.fiscal.offline_returns import LateReturn
from services.fiscal.offline_stock import MAX_A_MONTH, MAX_IN_A_ROW, OfflineStock
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalError,
    FiscalRefused,
    FiscalUnavailable,
)
from services.fiscal.sale_job import SaleJob, sale_of
from services.notifications.jobs import NotificationKind, notify_job
from storage.models.fiscal import FiscalSettings, FiscalState
from storage.models.jobs import Job, JobState, NewJob
from storage.models.receipts import EventSource, Receipt

log = logging.getLogger(__name__)

F = FiscalState


class NotDated(StrEnum):
    """Why a late receipt is registered now, online (stored in the owner's notice)."""

    LATER_DOCUMENT = "later_document"  # the register has a later document already
    BUDGET = "budget"  # past the offline limits (36 h in a row, 168 h a month)
    NO_CODES = "no_codes"  # no offline codes left
    REFUSED = "refused"  # the registrar refused offline mode


@dataclass
class Batch:
    dated: list[Receipt]
    undated: dict[int, NotDated]  # receipt id -> why


class LateJob:
    """The `fiscal.late` job: a register's late receipts, dated at their payments."""

    def __init__(self, access: FiscalAccess, sale: SaleJob) -> None:
        self.access = access
        self.sale = sale
        self.stock: OfflineStock = sale.stock
        self.late_return = LateReturn(access, sale.stock)

    async def run(self, job: Job) -> Step:
        if "return" in job.payload:  # a late return (offline_returns.py)
            return await self.late_return.run(job)
        return await self.sale.guarded(job, self._run)

    async def _run(
        self, job: Job, receipt: Receipt, settings: FiscalSettings, creds: FiscalCredentials
    ) -> Step:
        shop = receipt.shop_id
        own = DONE  # what becomes of this job's receipt when the registrar has it already
        try:
            await self.stock.back_online(shop, creds)
            todo = []
            for late in await self._waiting(receipt):
                found = await self.sale.existing(late, creds)
                if found is None:
                    todo.append(late)
                    continue
                # sold before (a crash, a lost answer): taken, never sold again
                step = await self.sale.settle(late, found, creds, " (found at the registrar)")
                own = step if late.id == receipt.id else own
        except FiscalUnavailable as exc:
            return await self.sale.unavailable(job, receipt, exc)  # the owner told once
        except FiscalError as exc:
            return self._again(job, exc)
        todo.sort(key=lambda r: (r.paid_at or r.created_at, r.id))
        batch = await self._plan(job, shop, todo, creds)
        if batch.dated:
            try:
                await self._offline(job, settings, creds, batch)
            except FiscalUnavailable as exc:  # the next run goes online first, then looks
                return await self.sale.unavailable(job, receipt, exc)
            except FiscalRefused as exc:  # maybe offline, maybe sold: only ever ask again
                return self._again(job, exc)
        if receipt.id in batch.undated:  # this job's own receipt: online, now
            current = await self._tell(receipt, batch.undated[receipt.id])
            if current is None:
                return DONE  # registered or failed meanwhile
            return await self.sale.register_online(job, current, settings, creds)
        return own  # the others' own jobs tell and register theirs

    def _again(self, job: Job, exc: FiscalError) -> Step:
        log.warning("Late batch of job %s: %s; again later", job.id, exc)
        return Step(self.access.clock() + backoff(job.attempts), f"late batch: {exc}")

    async def _waiting(self, receipt: Receipt) -> list[Receipt]:
        """This receipt and the register's other late receipts whose jobs wait now (one
        told "Checkbox not answering" is not registered, and still waits)."""
        found = [receipt]
        for job in await self.access.jobs.find(kind=policy.FISCAL_LATE, state=JobState.PENDING):
            if job.payload.get("shop_id") != receipt.shop_id or job.receipt_id == receipt.id:
                continue
            other = await self.access.receipts.get(job.receipt_id) if job.receipt_id else None
            if (
                other is not None
                and other.fiscal_state in (F.REGISTERING, F.NOT_REGISTERED)
                and other.fiscal_attempt == int(job.payload.get("attempt", 1))
            ):
                found.append(other)
        return found

    async def _plan(
        self, job: Job, shop: int, todo: list[Receipt], creds: FiscalCredentials
    ) -> Batch:
        """Which of them can still be dated at their payment, and why not the others."""
        now = self.access.clock()
        last = await self.stock.last_document(shop)
        batch = Batch([], {})
        for r in todo:
            paid = r.paid_at or r.created_at
            if last is not None and paid < last:
                batch.undated[r.id] = NotDated.LATER_DOCUMENT
            elif now - paid > MAX_IN_A_ROW:
                batch.undated[r.id] = NotDated.BUDGET
            else:
                batch.dated.append(r)
        if not batch.dated:
            return batch
        earliest = batch.dated[0].paid_at or batch.dated[0].created_at
        try:
            used = (await self.access.registrar.offline_time(creds)).month
        except FiscalError as exc:
            log.warning("Shop %s: the offline time was not read (%s)", shop, exc)
            used = None
        if used is not None and used + (now - earliest) > MAX_A_MONTH:
            return self._none_dated(batch, NotDated.BUDGET)
        purposes = [_go_offline(job)] + [_code_for(r) for r in batch.dated]
        if await self.access.offline.claim_codes(shop, purposes, now) is None:
            return self._none_dated(batch, NotDated.NO_CODES)
        return batch

    @staticmethod
    def _none_dated(batch: Batch, why: NotDated) -> Batch:
        batch.undated.update({r.id: why for r in batch.dated})
        batch.dated = []
        return batch

    async def _offline(
        self, job: Job, settings: FiscalSettings, creds: FiscalCredentials, batch: Batch
    ) -> None:
        """Go offline at the earliest payment, sell each dated at its payment, go online,
        and record what the registrar then reports. FiscalUnavailable: do it again later."""
        shop = settings.shop_id
        now = self.access.clock()
        codes = await self.access.offline.claim_codes(
            shop, [_go_offline(job)] + [_code_for(r) for r in batch.dated], now
        )
        assert codes is not None  # claimed by _plan: the same codes again
        first = batch.dated[0].paid_at or batch.dated[0].created_at
        try:
            await self.access.registrar.open_shift(creds)  # while online
        except FiscalRefused as exc:  # nothing sold: each refused, with Retry
            note = await self.access.refusal_note(exc, settings, creds)
            for r in batch.dated:
                await self.sale.failed(r, note)
            batch.dated = []
            return
        await self.stock.going_offline(shop, first)  # before the call: a crash goes online
        try:
            await self.access.registrar.go_offline(creds, first, codes[_go_offline(job)])
        except FiscalRefused as exc:
            log.warning("Shop %s: offline mode refused: %s", shop, exc.message)
            await self.stock.online(shop)
            self._none_dated(batch, NotDated.REFUSED)
            return
        await self.stock.note(shop, first)
        sold: list[Receipt] = []
        refused: dict[int, str] = {}
        for r in batch.dated:
            paid = r.paid_at or r.created_at
            try:
                await self.access.registrar.sell_offline(
                    creds,
                    sale_of(r, settings, await self.access.goods_of(r, settings)),
                    codes[_code_for(r)],
                    paid,
                )
            except FiscalRefused as exc:
                refused[r.id] = await self.access.refusal_note(exc, settings, creds)
                continue
            sold.append(r)
            await self.stock.note(shop, paid)
        await self.access.registrar.go_online(creds)
        await self.stock.online(shop)
        for r in sold:
            found = await self.sale.existing(r, creds)
            if found is None:  # not there after all: the next run sells it again
                raise FiscalUnavailable("an offline receipt is missing after going online")
            if not found.sent_to_tax:
                log.warning("Receipt %s: not sent to the tax service yet after going online", r.id)
            when = (r.paid_at or r.created_at).isoformat(timespec="seconds")
            await self.sale.settle(r, found, creds, f" offline, dated at the payment {when}")
        for r in batch.dated:
            if r.id in refused:
                await self.sale.failed(r, refused[r.id])
        await self.stock.refill(shop, creds)

    async def _tell(self, receipt: Receipt, why: NotDated) -> Receipt | None:
        """The owner learns, once per receipt, why it is dated now; the event log says so."""
        kind = NotificationKind.FISCAL_NOT_DATED
        notices: list[NewJob] = []
        for notice in await self.access.owner_notices(receipt, kind, None):
            if notice.payload["kind"] == kind:
                chat = int(notice.payload["chat_id"])
                key = f"fiscal.not_dated:{receipt.id}:{chat}"
                notice = notify_job(chat, kind, dedupe_key=key, reason=why.value)
            notices.append(notice)
        moved = await self.access.receipts.fiscal_transition(
            receipt.id, expected=[F.REGISTERING, F.NOT_REGISTERED], new=F.REGISTERING,
            source=EventSource.POLL, now=self.access.clock(), jobs=notices,
            detail=f"late: registered online, not dated at the payment ({why.value})",
        )  # fmt: skip
        self.access.outbox.notify()
        return moved


def _go_offline(job: Job) -> str:
    """A new code for each run's going offline (a lost answer may have used one)."""
    return f"go_offline:{job.id}:{job.attempts}"


def _code_for(receipt: Receipt) -> str:
    return f"receipt:{receipt.id}:{receipt.fiscal_attempt}"
