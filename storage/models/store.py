from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StoreHealth:
    """What /healthz may show: no shop's data or volume."""

    engine: str
    schema_version: int
    jobs_pending: int  # due and not leased: the backlog
