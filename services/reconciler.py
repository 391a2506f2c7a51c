"""Background sweep: asks LiqPay about unpaid receipts and expires overdue ones."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.liqpay import LiqPayError
from services.receipts import NoKeys, ReceiptService
from storage.models import EventSource, Receipt, ReceiptStatus

log = logging.getLogger(__name__)


@dataclass
class SweepStats:
    checked: int = 0
    changed: int = 0
    errors: int = 0


class Reconciler:
    def __init__(
        self,
        receipts: ReceiptService,
        interval: float,
        *,
        concurrency: int = 10,
        batch: int = 200,
    ) -> None:
        self.receipts = receipts
        self.store = receipts.store
        self.interval = interval
        self.concurrency = concurrency
        self.batch = batch

    def next_check(self, receipt: Receipt, now: datetime) -> datetime:
        """Young receipts every interval; older ones less often; never past the expiry."""
        age = now - receipt.created_at
        factor = 1 if age < timedelta(hours=1) else 5 if age < timedelta(days=1) else 20
        if receipt.flagged:
            factor = 20  # waiting for the owner, not for LiqPay
        candidate = now + timedelta(seconds=self.interval * factor)
        if receipt.expires_at > now:
            return min(candidate, receipt.expires_at)
        return now + timedelta(seconds=self.interval * (20 if receipt.flagged else 1))

    async def sweep(self) -> SweepStats:
        """Check every receipt due now, oldest-checked first, with bounded concurrency."""
        stats = SweepStats()
        started = self.receipts.clock()
        semaphore = asyncio.Semaphore(self.concurrency)

        async def check(receipt: Receipt) -> None:
            async with semaphore:
                await self._check_one(receipt, stats)

        seen: set[int] = set()
        while True:
            due = [
                r for r in await self.store.due_for_check(started, self.batch) if r.id not in seen
            ]
            if not due:  # (a receipt whose check could not be recorded is not asked twice)
                return stats
            seen.update(r.id for r in due)
            await asyncio.gather(*(check(r) for r in due))

    async def _check_one(self, receipt: Receipt, stats: SweepStats) -> None:
        now = self.receipts.clock()
        stats.checked += 1
        after: Receipt | None = receipt
        try:
            if receipt.status is ReceiptStatus.DRAFT:
                if receipt.issuing_until is None:  # else its maker, or the recovery, has it
                    after = await self.receipts.settle_draft(receipt)
            elif receipt.status is not ReceiptStatus.AWAITING:
                # failed or cancelled, but LiqPay may still take a payment until expiry
                after = await self.receipts.refresh(receipt, EventSource.POLL)
            elif receipt.expires_at <= now:
                after = await self.receipts.expire(receipt)
            else:
                after = await self.receipts.refresh(receipt, EventSource.POLL)
            if after is None or after.status is not receipt.status:
                stats.changed += 1
        except NoKeys:
            log.warning("Receipt %s: shop %s has no LiqPay keys", receipt.id, receipt.shop_id)
        except LiqPayError as exc:
            stats.errors += 1
            log.warning("Receipt %s not checked, will retry: %s", receipt.id, exc)
        except Exception:
            stats.errors += 1
            log.exception("Receipt %s: unexpected error while checking", receipt.id)
        finally:
            if after is not None:
                await self.store.mark_checked(receipt.id, now, self.next_check(after, now))

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every interval until `stop` is set; one failing sweep never ends the loop."""
        while not stop.is_set():
            try:
                stats = await self.sweep()
                if stats.changed or stats.errors:
                    log.info(
                        "Reconciler: %d checked, %d changed, %d errors",
                        stats.checked,
                        stats.changed,
                        stats.errors,
                    )
            except Exception:
                log.exception("Reconciler sweep failed; next one in %s s", self.interval)
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
            except TimeoutError:
                pass
