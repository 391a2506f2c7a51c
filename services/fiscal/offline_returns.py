"""A late return receipt dated at the refund (docs/checkbox-offline.md): the return's
`fiscal.return` job, finding the refund more than policy.LATE_AFTER old and Checkbox without
the return, hands it to the register's `fiscal.late` group (payload "return"), so it never
runs beside a late sales batch. There, like a late sale: asked for first, then offline at the
refund's time when that can still be used (after the register's last document, within the
limits, two codes: going offline and the return), else online now and the owner told why."""

from __future__ import annotations

import logging
from datetime import datetime

from services.core.crypto import SecretKeyMismatch
from services.fiscal.access import DONE, FiscalAccess, Step, backoff
from services.fiscal.offline_stock import MAX_IN_A_ROW, OfflineStock
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalError,
    FiscalRefused,
    FiscalUnavailable,
    SaleReturn,
)
from services.fiscal.returns import UNREADABLE_RETRY, FiscalReturns
from storage.models.fiscal import FiscalState
from storage.models.jobs import Job
from storage.models.receipts import Receipt

log = logging.getLogger(__name__)


class LateReturn:
    def __init__(self, access: FiscalAccess, stock: OfflineStock) -> None:
        self.access = access
        self.stock = stock
        self.returns = FiscalReturns(access)

    async def run(self, job: Job) -> Step:
        facts = job.payload["return"]
        amount, total = int(facts["amount"]), int(facts["total"])
        at = datetime.fromisoformat(str(facts["at"]))
        receipt = await self.access.receipts.get(job.receipt_id) if job.receipt_id else None
        if receipt is None or receipt.fiscal_state is not FiscalState.REGISTERED:
            return DONE
        settings = await self.access.active_settings(receipt.shop_id)
        if settings is None:
            return DONE
        try:
            creds = self.access.credentials(settings)
        except SecretKeyMismatch:  # the owner told; never dropped: again later
            await self.access.tell_unreadable(settings)
            return Step(self.access.clock() + UNREADABLE_RETRY, "credentials unreadable")
        sold = await self.access.goods_of(receipt, settings)
        picks = await self.access.returned_goods(job.payload.get("refund"), len(sold), amount)
        sale_return = self.returns.sale_return(receipt, amount, total, settings, sold, picks)
        try:
            return await self._register(job, receipt, sale_return, at, creds)
        except FiscalRefused as exc:
            if await self.stock.offline(receipt.shop_id):  # never refused once offline
                return Step(self.access.clock() + backoff(job.attempts), exc.reason.value)
            await self.returns.refused(receipt, amount, total, exc)
            return DONE
        except FiscalError as exc:
            log.warning("Receipt %s: late return not registered yet (%s)", receipt.id, exc)
            return Step(self.access.clock() + backoff(job.attempts), type(exc).__name__)
        finally:
            await self.access.keep_token(settings, creds)

    async def _register(
        self, job: Job, receipt: Receipt, sale_return: SaleReturn, at: datetime,
        creds: FiscalCredentials,
    ) -> Step:  # fmt: skip
        registrar, shop = self.access.registrar, receipt.shop_id
        amount, total = sale_return.sale.price, sale_return.return_no
        await self.stock.back_online(shop, creds)
        found = await registrar.find(creds, sale_return.receipt_id)
        if found is not None:  # made before (a crash, a lost answer): never again
            return await self.returns.outcome(receipt, amount, total, found)
        why = await self._obstacle(job, receipt, at)
        if why is None:
            codes = await self.access.offline.claim_codes(shop, self._purposes(job, receipt, total),
                                                          self.access.clock())  # fmt: skip
            assert codes is not None  # claimed by _obstacle
            go, code = (codes[p] for p in self._purposes(job, receipt, total))
            await registrar.open_shift(creds)
            await self.stock.going_offline(shop, at)
            try:
                await registrar.go_offline(creds, at, go)
            except FiscalRefused as exc:
                log.warning("Shop %s: offline mode refused: %s", shop, exc.message)
                await self.stock.online(shop)
                why = "refused"
        if why is not None:
            await self.returns.tell_not_dated(receipt, amount, total, at, why)
            result = await registrar.register_return(creds, sale_return)
            await self.stock.note(shop, result.fiscal_date)
            return await self.returns.outcome(receipt, amount, total, result, " online, late")
        await self.stock.note(shop, at)
        await registrar.sell_offline_return(creds, sale_return, code, at)
        await registrar.go_online(creds)
        await self.stock.online(shop)
        found = await registrar.find(creds, sale_return.receipt_id)
        if found is None:
            raise FiscalUnavailable("the offline return is missing after going online")
        await self.stock.refill(shop, creds)
        return await self.returns.outcome(receipt, amount, total, found, " offline, at the refund")

    @staticmethod
    def _purposes(job: Job, receipt: Receipt, total: int) -> list[str]:
        return [f"go_offline:{job.id}:{job.attempts}", f"return:{receipt.id}:{total}"]

    async def _obstacle(self, job: Job, receipt: Receipt, at: datetime) -> str | None:
        """Why the refund's time can't be used (NotDated's values), or None."""
        last = await self.stock.last_document(receipt.shop_id)
        if last is not None and at < last:
            return "later_document"
        if self.access.clock() - at > MAX_IN_A_ROW:
            return "budget"
        total = int(job.payload["return"]["total"])
        purposes = self._purposes(job, receipt, total)
        claimed = await self.access.offline.claim_codes(
            receipt.shop_id, purposes, self.access.clock()
        )
        return "no_codes" if claimed is None else None
