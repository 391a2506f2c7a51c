"""What the notices' renderers may ask about, read from the store when a notice is sent."""

from __future__ import annotations

from bot.receipts.goods import shown
from services.fiscal.policy import FISCAL_SALE
from storage.models.fiscal import FiscalState
from storage.models.jobs import JobState
from storage.models.lines import SaleLine
from storage.models.receipts import Receipt
from storage.protocols.jobs import JobQueue
from storage.protocols.lines import ReceiptLinesRepository
from storage.protocols.shops import ShopRepository


class StoreLookups:
    """bot.outbox.notices.Lookups over the store. Without `shops` nobody is an owner."""

    def __init__(
        self,
        jobs: JobQueue,
        shops: ShopRepository | None,
        lines: ReceiptLinesRepository | None = None,
    ) -> None:
        self.jobs = jobs
        self.shops = shops
        self.lines = lines

    async def is_owner(self, chat_id: int, receipt: Receipt) -> bool:
        if self.shops is None:
            return False
        member = await self.shops.get_member(chat_id)
        return member is not None and member.is_owner and member.shop_id == receipt.shop_id

    async def registering(self, receipt: Receipt) -> bool:
        """Whether the fiscal worker has the receipt's registration in hand (its sale job
        for the current attempt is live): it tells the owners the outcome itself, a
        Checkbox outage included, with its own Retry button."""
        if receipt.fiscal_state is FiscalState.REGISTERING:
            return True
        if receipt.fiscal_state is not FiscalState.NOT_REGISTERED:
            return False
        live = await self.jobs.find(kind=FISCAL_SALE, receipt_id=receipt.id, state=JobState.PENDING)
        return any(int(job.payload.get("attempt", 0)) == receipt.fiscal_attempt for job in live)

    async def goods(self, receipt: Receipt) -> list[SaleLine]:
        if self.lines is None:
            return []
        return shown(await self.lines.of_receipt(receipt.id))
