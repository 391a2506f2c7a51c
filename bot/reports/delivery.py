"""The export as a file in the chat: /export's buttons and the Mini App's Reports screen send
it by the same code (the member's receipts of the period, by receipt or by goods line)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import FSInputFile

from bot.reports.goods_texts import line_export_caption, line_export_labels
from bot.reports.texts import export_caption, export_labels
from services.core.periods import Period
from services.reports.service import ExportFormat, ReportingService
from storage.models.shops import Member


async def send_export(
    bot: Bot,
    chat_id: int,
    reporting: ReportingService,
    member: Member,
    period: Period,
    fmt: ExportFormat,
    locale: str,
    *,
    by_goods: bool = False,
) -> int:
    """Write the file and send it to `chat_id` as a document; the rows sent, 0 when the
    period has nothing (then nothing is sent: the caller says so its own way)."""
    if by_goods:
        written = await reporting.export_lines(member, period, fmt, line_export_labels(locale))
    else:
        written = await reporting.export(member, period, fmt, export_labels(locale))
    if written is None:
        return 0
    caption = (line_export_caption if by_goods else export_caption)(written.count, period, locale)
    try:
        await bot.send_document(
            chat_id, FSInputFile(written.path, filename=written.filename), caption=caption
        )
    finally:
        written.discard()
    return written.count
