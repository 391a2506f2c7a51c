"""Finishing what a dead process left: invoices whose maker died before the cashier was shown
what became of them (a receipt whose issuing lease expired).

It runs at start-up and again whenever the soonest lease falls due, not on the reconciler's
slower schedule. Every replica runs it; each orphan is taken over with a compare-and-set on
the lease, so exactly one of them tells the cashier.
"""

from __future__ import annotations

import asyncio
import logging

from services.invoices.leases import IssueLeases, Lease
from services.liqpay.client import LiqPayError
from services.notifications.jobs import NotificationKind, notify_job
from services.receipts.state import NoKeys, ReceiptService
from storage.models.receipts import Receipt, ReceiptStatus

log = logging.getLogger(__name__)

IDLE_WAIT = 10.0  # seconds between looks when no lease is due sooner (other replicas' leases)


class IssueRecovery:
    def __init__(
        self,
        receipts: ReceiptService,
        leases: IssueLeases,
        *,
        idle_wait: float = IDLE_WAIT,
        batch: int = 50,
    ) -> None:
        self.receipts = receipts
        self.repo = receipts.repo
        self.leases = leases
        self.idle_wait = idle_wait
        self.batch = batch
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Leases were freed (their holder died): look now, not when the next one is due."""
        self._woken.set()

    async def recover(self, orphan: Receipt) -> None:
        """Find out from LiqPay what became of the invoice and tell the cashier, by the
        outbox: made → its card; not made (or LiqPay silent) → its card with Retry."""
        if orphan.issuing_until is None:
            return
        lease = Lease(orphan.id, orphan.issuing_until)
        if not await self.leases.renew(lease, self.leases.for_call(asks_status=True)):
            return  # another process took it over first
        receipt = await self.repo.get(orphan.id)
        if receipt is not None and receipt.status is ReceiptStatus.DRAFT:
            try:
                receipt = await self.receipts.settle_draft(receipt, lease=lease.until)
            except (NoKeys, LiqPayError) as exc:
                # Not known yet: the draft's card offers Retry, which asks LiqPay first.
                log.warning("Receipt %s: could not ask LiqPay after its maker stopped: %s",
                            orphan.id, exc)  # fmt: skip
        if receipt is None:
            return  # expired, unknown to LiqPay, and dropped: there is nothing to show
        owners, members = await self.receipts.audience(receipt.shop_id)
        chats = [receipt.cashier_id] if receipt.cashier_id in members else owners
        log.info("Receipt %s: its maker stopped; telling what became of it", receipt.id)
        await self.leases.release(
            lease, [notify_job(chat, NotificationKind.OUTCOME) for chat in chats]
        )

    async def sweep(self) -> float:
        """Recover every orphan; returns the seconds until the next lease falls due."""
        now = self.receipts.clock()
        leased = await self.repo.leased_receipts(self.batch)
        for receipt in leased:
            assert receipt.issuing_until is not None
            if receipt.issuing_until >= now:  # soonest first: the rest are live too
                return min(self.idle_wait, (receipt.issuing_until - now).total_seconds() + 0.05)
            try:
                await self.recover(receipt)
            except Exception:
                log.exception("Receipt %s: recovery failed; it is tried again", receipt.id)
        return 0.0 if len(leased) == self.batch else self.idle_wait

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._woken.clear()  # woken during the sweep: it looks again at once
            try:
                wait = await self.sweep()
            except Exception:
                log.exception("Issue recovery sweep failed")
                wait = self.idle_wait
            await _first(stop, self._woken, within=wait)


async def _first(*events: asyncio.Event, within: float) -> None:
    """Until one of `events` is set, for at most `within` seconds."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=max(within, 0.05), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
