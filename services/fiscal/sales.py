"""Registering paid receipts with the fiscal registrar (PRRO): Register and Retry, the
registered receipt's picture, and /pending's unregistered ones. The `fiscal.sale` job that
registers a receipt exactly once is services/fiscal/sale_job.py."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from services.fiscal import policy
from services.fiscal.access import FiscalAccess, Step
from services.fiscal.offline import LateJob
from services.fiscal.registrar import receipt_uuid
from services.fiscal.sale_job import SaleJob
from storage.models.fiscal import FiscalChanges, FiscalState
from storage.models.jobs import Job
from storage.models.receipts import EventSource, Receipt, ReceiptStatus
from storage.models.shops import Member

F = FiscalState


class RegisterOutcome(StrEnum):
    QUEUED = "queued"  # the job is due now (made, or made due again)
    REGISTERED = "registered"  # already has its fiscal receipt
    NOT_PAID = "not_paid"
    OFF = "off"  # the shop has no registrar set up, or switched it off
    NOT_UAH = "not_uah"


class FiscalSales:
    """Registering paid receipts: the buttons, and the sale job."""

    def __init__(self, access: FiscalAccess) -> None:
        self.access = access
        self.sale_job = SaleJob(access)
        self.late_job = LateJob(access, self.sale_job)

    async def request(self, member: Member, receipt: Receipt) -> RegisterOutcome:
        """Register (or Retry): make the receipt's job due now. A double tap or a job
        already running changes nothing; a failed one is retried under a new attempt."""
        if receipt.status is not ReceiptStatus.PAID:
            return RegisterOutcome.NOT_PAID
        if receipt.fiscal_state is F.REGISTERED:
            return RegisterOutcome.REGISTERED
        if receipt.currency != policy.FISCAL_CURRENCY:
            return RegisterOutcome.NOT_UAH
        if await self.access.active_settings(receipt.shop_id) is None:
            return RegisterOutcome.OFF
        now = self.access.clock()
        source = EventSource.USER
        if receipt.fiscal_state is F.FAILED:
            attempt = receipt.fiscal_attempt + 1
            moved = await self.access.receipts.fiscal_transition(
                receipt.id, expected=[F.FAILED], new=F.NOT_REGISTERED, source=source, now=now,
                changes=FiscalChanges(fiscal_attempt=attempt, fiscal_error=None),
                detail=f"retry by {member.user_id}: attempt {attempt}",
                jobs=[policy.sale_job(receipt.shop_id, receipt.id, attempt)],
            )  # fmt: skip
        elif receipt.fiscal_state is None:
            moved = await self.access.receipts.fiscal_transition(
                receipt.id, expected=[None], new=F.NOT_REGISTERED, source=source, now=now,
                detail=f"register by {member.user_id}",
                jobs=[policy.sale_job(receipt.shop_id, receipt.id, receipt.fiscal_attempt)],
            )  # fmt: skip
        else:
            moved = None
        if moved is None:  # waiting or running already (or another tap moved it first)
            current = await self.access.receipts.get(receipt.id) or receipt
            if current.fiscal_state is F.REGISTERED:
                return RegisterOutcome.REGISTERED
            key = policy.sale_key(current.id, current.fiscal_attempt)
            job = policy.sale_job(current.shop_id, current.id, current.fiscal_attempt)
            await self.access.jobs.enqueue([job], now)
            await self.access.jobs.revive(key, now)
        self.access.wake.notify()
        return RegisterOutcome.QUEUED

    async def receipt_picture(self, receipt: Receipt) -> bytes | None:
        """The registered receipt as a PNG; None when it is not registered or the shop's
        registrar is not set up. FiscalError when the registrar does not give it."""
        if receipt.fiscal_state is not F.REGISTERED:
            return None
        settings = await self.access.fiscal.get(receipt.shop_id)
        if settings is None or not settings.configured:
            return None
        creds = self.access.credentials(settings)
        return await self.access.registrar.receipt_png(
            creds, receipt_uuid(receipt.order_id, receipt.fiscal_attempt)
        )

    async def unregistered(
        self, member: Member, offset: int, limit: int
    ) -> tuple[list[Receipt], int]:
        """For /pending: the shop's paid receipts not registered yet (an owner's view)."""
        if not member.is_owner:
            return [], 0
        return await self.access.queries.list_by_fiscal_state(
            member.shop_id, policy.UNREGISTERED, statuses=[ReceiptStatus.PAID],
            offset=offset, limit=limit,
        )  # fmt: skip

    async def unregistered_since(self, receipt: Receipt) -> datetime | None:
        """Since when a paid receipt has been as /pending shows it: waiting since it was
        paid; Checkbox not answering since the first attempt of the current outage; else
        since the last attempt."""
        if receipt.fiscal_state is F.NOT_REGISTERED and receipt.fiscal_error is None:
            return receipt.paid_at
        fiscal = [e for e in await self.access.queries.events(receipt.id) if e.fiscal_to]
        if not fiscal:
            return receipt.paid_at
        if receipt.fiscal_error != policy.UNAVAILABLE:
            return fiscal[-1].at
        since = fiscal[-1].at
        for event in reversed(fiscal):
            if (event.fiscal_from, event.fiscal_to) == (F.REGISTERING, F.NOT_REGISTERED):
                since = event.at
            elif (event.fiscal_from, event.fiscal_to) != (F.NOT_REGISTERED, F.REGISTERING):
                break
        return since

    async def run_sale(self, job: Job) -> Step:
        """The sale job (services/fiscal/sale_job.py)."""
        return await self.sale_job.run(job)

    async def run_late(self, job: Job) -> Step:
        """A register's late receipts dated at their payments (services/fiscal/offline.py)."""
        return await self.late_job.run(job)
