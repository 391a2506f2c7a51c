"""/report and /export for a member: which receipts they may see, streamed from the store
into the report's sums or the export's file. No aiogram here; texts come from the caller."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from services.core.periods import Period
from services.reports.export import ExportLabels, write_csv, write_xlsx
from services.reports.line_export import LineExportLabels, write_lines_csv, write_lines_xlsx
from services.reports.sums import reports_from_groups
from services.reports.totals import Report, stream_reports
from storage.models.receipts import ReceiptStatus
from storage.models.reports import ExportRow, TopItem
from storage.models.shops import Member
from storage.protocols.reports import ReportRepository
from storage.protocols.settings import SettingsRepository

# A draft was never confirmed by LiqPay: no invoice went out, nothing to account for.
EXPORTED_STATUSES = tuple(s for s in ReceiptStatus if s is not ReceiptStatus.DRAFT)


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class ExportFile:
    """A written export: a private temporary file the caller sends, then `discard`s."""

    path: Path
    filename: str  # what the reader sees: receipts_2026-11-01_2026-11-30.csv
    count: int  # receipts in it

    def discard(self) -> None:
        _remove(self.path)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def export_filename(period: Period, fmt: ExportFormat, what: str = "receipts") -> str:
    return f"{what}_{period.first_day.isoformat()}_{period.last_day.isoformat()}.{fmt.value}"


TOP_ITEMS = 10


def _visible_cashier(member: Member) -> int | None:
    """An owner sees the whole shop; a cashier their own receipts."""
    return None if member.is_owner else member.user_id


class ReportingService:
    def __init__(
        self,
        reports: ReportRepository,
        settings: SettingsRepository,
        *,
        batch_size: int = 1000,
        tmpdir: Path | None = None,
    ) -> None:
        self._reports = reports
        self._settings = settings
        self._batch_size = batch_size
        self._tmpdir = tmpdir

    async def report(self, member: Member, period: Period) -> tuple[Report, ...]:
        """The shop's currency first (always there), then any other currency that occurs."""
        currency = (await self._settings.get(member.shop_id)).currency
        rows = self._reports.report_rows(
            member.shop_id,
            period.start,
            period.end,
            cashier_id=_visible_cashier(member),
            batch_size=self._batch_size,
        )
        return await stream_reports(rows, period, currency=currency)

    async def summary(self, member: Member, period: Period) -> tuple[Report, ...]:
        """The same reports as `report`, summed by the store (services/reports/sums.py): for
        a screen that must answer at once however many receipts the period has."""
        currency = (await self._settings.get(member.shop_id)).currency
        groups = await self._reports.report_groups(
            member.shop_id, period.start, period.end, cashier_id=_visible_cashier(member)
        )
        return reports_from_groups(groups, period, currency=currency)

    def export_rows(self, member: Member, period: Period) -> AsyncIterator[ExportRow]:
        return self._reports.export_rows(
            member.shop_id,
            period.start,
            period.end,
            cashier_id=_visible_cashier(member),
            statuses=EXPORTED_STATUSES,
            batch_size=self._batch_size,
        )

    async def export(
        self, member: Member, period: Period, fmt: ExportFormat, labels: ExportLabels
    ) -> ExportFile | None:
        """The member's receipts of the period written to a temporary file as they stream
        from the store; None (and no file left behind) when there are none."""
        handle, name = tempfile.mkstemp(prefix="export-", suffix=f".{fmt.value}", dir=self._tmpdir)
        os.close(handle)  # mkstemp made it private (0600); the writers open it by name
        path = Path(name)
        try:
            rows = self.export_rows(member, period)
            if fmt is ExportFormat.CSV:
                sink = await asyncio.to_thread(path.open, "wb")
                try:
                    count = await write_csv(rows, sink, labels)
                finally:
                    sink.close()
            else:
                count = await write_xlsx(rows, path, labels, tmpdir=self._tmpdir)
        except BaseException:
            await asyncio.to_thread(_remove, path)
            raise
        if count == 0:
            await asyncio.to_thread(_remove, path)
            return None
        return ExportFile(path, export_filename(period, fmt), count)

    async def top_items(self, member: Member, period: Period) -> list[TopItem]:
        """The period's most sold catalogue items (by sum): the shop's for an owner, the
        cashier's own sales for a cashier."""
        return await self._reports.top_items(
            member.shop_id,
            period.start,
            period.end,
            cashier_id=_visible_cashier(member),
            limit=TOP_ITEMS,
        )

    async def export_lines(
        self, member: Member, period: Period, fmt: ExportFormat, labels: LineExportLabels
    ) -> ExportFile | None:
        """Like `export`, a row per goods line (a receipt without lines is one row)."""
        handle, name = tempfile.mkstemp(prefix="export-", suffix=f".{fmt.value}", dir=self._tmpdir)
        os.close(handle)
        path = Path(name)
        rows = self._reports.export_line_rows(
            member.shop_id,
            period.start,
            period.end,
            cashier_id=_visible_cashier(member),
            statuses=EXPORTED_STATUSES,
            batch_size=self._batch_size,
        )
        try:
            if fmt is ExportFormat.CSV:
                sink = await asyncio.to_thread(path.open, "wb")
                try:
                    count = await write_lines_csv(rows, sink, labels)
                finally:
                    sink.close()
            else:
                count = await write_lines_xlsx(rows, path, labels, tmpdir=self._tmpdir)
        except BaseException:
            await asyncio.to_thread(_remove, path)
            raise
        if count == 0:
            await asyncio.to_thread(_remove, path)
            return None
        return ExportFile(path, export_filename(period, fmt, "goods"), count)
