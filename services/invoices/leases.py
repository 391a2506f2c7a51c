"""The issuing lease: who is making a receipt's invoice, and showing its outcome, until when.

It lives in the store (receipts.issuing_until), so it outlives the process that took it: a
lease that expired means its holder died, wherever it ran. It names its holder (this
replica), so a holder found dead ends it at once (services/jobs/failover.py). The store only
compares and sets; how long a lease lasts and when it is taken is decided here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.core.clock import Clock
from services.liqpay.client import LiqPayClient
from services.notifications.jobs import OutboxSignal
from storage.models.jobs import NewJob
from storage.protocols.receipts import ReceiptRepository

LEASE_MARGIN = 5.0  # seconds a lease outlives the LiqPay call it covers
# After the invoice is made: sending the SMS and showing the card, which Telegram may make
# wait (retry_after). A holder killed meanwhile is noticed this long after.
SHOW_LEASE = timedelta(seconds=60)


@dataclass
class Lease:
    """A lease this caller holds: the store's issuing_until is `until`."""

    receipt_id: int
    until: datetime


class LeaseLost(Exception):
    """The lease expired and someone else took it over: they finish the work."""


class IssueLeases:
    def __init__(
        self,
        repo: ReceiptRepository,
        liqpay: LiqPayClient,
        signal: OutboxSignal,
        clock: Clock,
        holder: str | None = None,
    ) -> None:
        self.repo = repo
        self.liqpay = liqpay
        self.signal = signal
        self.clock = clock
        self.holder = holder  # this replica's id

    def for_call(self, *, asks_status: bool) -> timedelta:
        """Long enough for the LiqPay call about to be made, `status` with its retries or one
        `invoice_send`, so a live holder never loses its lease in the middle of a call."""
        seconds = self.liqpay.longest_call if asks_status else self.liqpay.call_timeout
        return timedelta(seconds=seconds + LEASE_MARGIN)

    async def take(self, receipt_id: int, length: timedelta) -> Lease | None:
        """The lease of a draft nobody holds (none, or its holder died); None if held."""
        now = self.clock()
        if not await self.repo.take_issue_lease(receipt_id, now, now + length, self.holder):
            return None
        return Lease(receipt_id, now + length)

    async def renew(self, lease: Lease, length: timedelta) -> bool:
        """Extend our lease (or take over one seen expired); False if it is someone else's."""
        until = self.clock() + length
        if not await self.repo.move_issue_lease(lease.receipt_id, lease.until, until, self.holder):
            return False
        lease.until = until
        return True

    async def hold(self, lease: Lease, length: timedelta) -> None:
        if not await self.renew(lease, length):
            raise LeaseLost

    async def release(self, lease: Lease, notifications: Sequence[NewJob] = ()) -> None:
        """Give the lease up, with the notifications that tell the outcome (one transaction:
        told exactly when released)."""
        released = await self.repo.release_issue_lease(
            lease.receipt_id, lease.until, self.clock(), notifications
        )
        if released and notifications:
            self.signal.notify()
