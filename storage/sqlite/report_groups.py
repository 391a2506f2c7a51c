"""A period's report summed by SQLite (ReportRepository.report_groups), fast on a shop of
100,000 receipts.

SQLite groups by sorting, and sorting a month of receipts on seven keys was most of the
time. Here what makes receipts alike for a report (the block of time a receipt is counted
in, its status, channel, fiscal registration and kind of refund) is packed into ONE integer,
and the index `receipts_report_groups` (migration 16) keeps each shop's receipts in the order
of that integer, the cashier and the currency: a period is a range of the index, read in
group order, so SQLite sums it as it reads, with no sort. The index expression is PACKED
below, letter for letter (SQLite uses an expression index only for the same expression; a
test checks the migration has it and the plan uses it).

A block never straddles a Kyiv midnight, which is 21:00 or 22:00 UTC (summer or winter
time): the blocks are [21:00, 22:00) and [22:00, 21:00 next day) UTC, and ReportGroup.hour
is the block's first hour, so its Kyiv day is the day of every receipt in it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.models.receipts import Channel, ReceiptStatus
from storage.models.reports import ReportGroup
from storage.sqlite.codec import ts
from storage.sqlite.engine import SqliteEngine

DAY, SHIFT = 86_400, 75_600  # blocks start at 21:00 UTC, the second one an hour later
KINDS = ("none", "partial", "full")
# instr()'s positions of each value in these texts are the codes (never change them: the
# index holds them; a new status or channel is added at the end, and the index rebuilt)
STATUSES = "|awaiting|paid|expired|cancelled|refunded|failed|draft|"
CHANNELS = "|email|sms|privat24|link|"
STATUS_AT = {STATUSES.index(f"|{s.value}|") + 1: s for s in ReceiptStatus if f"|{s}|" in STATUSES}
CHANNEL_AT = {CHANNELS.index(f"|{c.value}|") + 1: c for c in Channel if f"|{c}|" in CHANNELS}
S_BASE, C_BASE = 64, 32  # above every position in STATUSES, CHANNELS
UNIT = S_BASE * C_BASE * 2 * 3  # packed values per block

# a receipt refunded before refunds were tracked (migration 7) counts as refunded in full
REFUNDED_SQL = (
    "CASE WHEN r.status = 'refunded' AND r.refunded_amount = 0 THEN r.amount"
    " ELSE r.refunded_amount END"
)
REFUNDED = (
    "(CASE WHEN status = 'refunded' AND refunded_amount = 0 THEN amount ELSE refunded_amount END)"
)
# when a report counts the receipt: when the money came in, else when it was made
COUNTED = (
    "(CASE WHEN (status NOT IN ('draft', 'awaiting', 'failed', 'expired', 'cancelled') "
    f"OR {REFUNDED} > 0) AND paid_at IS NOT NULL THEN paid_at ELSE created_at END)"
)
BLOCK = (
    f"(CAST(({COUNTED} - 75600) / 86400 AS INTEGER) * 2 + (({COUNTED} - 75600) % 86400 >= 3600))"
)
KIND = (
    f"(CASE WHEN status = 'refunded' OR ({REFUNDED} > 0 AND {REFUNDED} = amount) THEN 2 "
    f"WHEN {REFUNDED} > 0 THEN 1 ELSE 0 END)"
)
PACKED = (
    f"(((({BLOCK} * 64 + instr('{STATUSES}', '|' || status || '|')) * 32 "
    f"+ instr('{CHANNELS}', '|' || channel || '|')) * 2 + (fiscal_state IS 'registered')) * 3 "
    f"+ {KIND})"
)
INDEX = f"CREATE INDEX receipts_report_groups ON receipts (shop_id, {PACKED}, cashier_id, currency)"
_SQL = (
    f"SELECT {PACKED} AS packed, cashier_id, currency, COUNT(*) AS n, SUM(amount) AS amount, "  # noqa: S608
    f"SUM({REFUNDED}) AS refunded FROM receipts INDEXED BY receipts_report_groups "
    f"WHERE shop_id = ? AND {PACKED} >= ? AND {PACKED} < ? "
    f"AND {COUNTED} >= ? AND {COUNTED} < ? {{cashier}}"
    "GROUP BY packed, cashier_id, currency"
)


def block_of(moment: float) -> int:
    days, rest = divmod(int(moment) - SHIFT, DAY)
    return days * 2 + (rest >= 3600)


def unpack(row: Any) -> ReportGroup:
    packed, kind = divmod(int(row["packed"]), 3)
    packed, fiscal = divmod(packed, 2)
    packed, channel = divmod(packed, C_BASE)
    block, status = divmod(packed, S_BASE)
    days, second = divmod(block, 2)
    return ReportGroup(
        STATUS_AT[status],
        row["currency"],
        CHANNEL_AT[channel],
        int(row["cashier_id"]),
        bool(fiscal),
        KINDS[kind],
        (SHIFT + days * DAY) // 3600 + second,
        int(row["n"]),
        int(row["amount"]),
        int(row["refunded"]),
    )


async def report_groups(
    db: SqliteEngine, shop_id: int, start: datetime, end: datetime, cashier_id: int | None
) -> list[ReportGroup]:
    """The receipts counted in [start, end): the blocks it touches are a range of the index;
    the exact window is checked on each receipt too (a window need not start a block)."""
    first, last = ts(start), ts(end)
    if last <= first:
        return []
    blocks = (block_of(first) * UNIT, (block_of(last) + 1) * UNIT)
    params: list[Any] = [shop_id, *blocks, first, last]
    cashier = ""
    if cashier_id is not None:
        # `+ 0`: a plain equality makes SQLite sort the groups again instead of reading
        # them in the index's order (the test of the plan checks both)
        cashier = "AND cashier_id + 0 = ? "
        params.append(cashier_id)
    rows = await db.all(_SQL.format(cashier=cashier), params)
    return [unpack(row) for row in rows]
