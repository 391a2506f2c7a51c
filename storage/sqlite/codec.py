"""Values as SQLite stores them: times are UTC epoch seconds (REAL), read back to the
microsecond (a REAL near today's epoch is exact to about a quarter of one)."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.rows import Codec


def ts(moment: datetime) -> float:
    return moment.timestamp()


def ts_or_none(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(round(value, 6), UTC)


CODEC = Codec(moment=dt)
