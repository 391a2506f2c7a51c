"""A registrar with an offline mode (docs/checkbox-offline.md): a late sale registered dated
at its payment. services/checkbox/client.py is one."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalRegistrar,
    FiscalResult,
    OfflineTime,
    Sale,
    SaleReturn,
)


class OfflineRegistrar(FiscalRegistrar, Protocol):
    async def ask_offline_codes(self, creds: FiscalCredentials, count: int) -> list[str]:
        """Offline fiscal codes for the register (asked while it is online), each to be
        used once; the same unused ones may come again."""

    async def go_offline(self, creds: FiscalCredentials, at: datetime, fiscal_code: str) -> None:
        """Offline from `at` (after the register's last document); FiscalRefused when the
        registrar says no."""

    async def sell_offline(
        self, creds: FiscalCredentials, sale: Sale, fiscal_code: str, fiscal_date: datetime
    ) -> FiscalResult:
        """The sale made offline under sale.receipt_id, dated `fiscal_date`."""

    async def sell_offline_return(
        self,
        creds: FiscalCredentials,
        sale_return: SaleReturn,
        fiscal_code: str,
        fiscal_date: datetime,
    ) -> FiscalResult:
        """The return made offline under sale_return.receipt_id, dated `fiscal_date`."""

    async def go_online(self, creds: FiscalCredentials) -> None:
        """Send what was made offline; online again. Harmless on an online register."""

    async def offline_time(self, creds: FiscalCredentials) -> OfflineTime: ...
