"""A register's side of offline mode kept in the store: its stock of offline codes (obtained
ahead, while online, each used once), whether the bot has it offline (written before going
offline, so a restart brings it back online first), and its last fiscal date."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from services.fiscal.access import FiscalAccess
from services.fiscal.registrar import FiscalCredentials, FiscalError
from storage.models.offline import RegisterMode

log = logging.getLogger(__name__)

STOCK_LOW = 10  # fewer unused codes than this: ask for more after an online sale
STOCK_ASKED = 20  # how many are asked for
MAX_IN_A_ROW = timedelta(hours=36)  # offline mode at most 36 h in a row
MAX_A_MONTH = timedelta(hours=168)  # and 168 h a month


class OfflineStock:
    def __init__(self, access: FiscalAccess) -> None:
        self.access = access
        self.store = access.offline

    async def refill(self, shop_id: int, creds: FiscalCredentials) -> None:
        """Keep at least STOCK_LOW codes (the register is online: asked after a sale or
        going online). A failure is logged: the stock is refilled after the next sale."""
        try:
            if await self.store.unused_codes(shop_id) >= STOCK_LOW:
                return
            codes = await self.access.registrar.ask_offline_codes(creds, STOCK_ASKED)
            added = await self.store.add_codes(shop_id, codes, self.access.clock())
            log.info("Shop %s: %s offline codes obtained", shop_id, added)
        except FiscalError as exc:
            log.warning("Shop %s: no offline codes obtained (%s)", shop_id, exc)

    async def offline(self, shop_id: int) -> bool:
        return (await self.store.register(shop_id)).mode is RegisterMode.OFFLINE

    async def going_offline(self, shop_id: int, since: datetime) -> None:
        await self.store.set_mode(shop_id, RegisterMode.OFFLINE, since, self.access.clock())

    async def back_online(self, shop_id: int, creds: FiscalCredentials) -> None:
        """A register the bot left offline (a crash, a lost answer) goes online first;
        FiscalError when the registrar does not take it."""
        if not await self.offline(shop_id):
            return
        log.info("Shop %s: the register was left offline; going online", shop_id)
        await self.access.registrar.go_online(creds)
        await self.online(shop_id)

    async def online(self, shop_id: int) -> None:
        await self.store.set_mode(shop_id, RegisterMode.ONLINE, None, self.access.clock())

    async def note(self, shop_id: int, at: datetime | None) -> None:
        if at is not None:
            await self.store.note_document(shop_id, at, self.access.clock())

    async def last_document(self, shop_id: int) -> datetime | None:
        return (await self.store.register(shop_id)).last_document_at
