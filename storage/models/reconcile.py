from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class ReconcileRecord:
    """The last reconciliation of one shop's Kyiv day: what it found, as the services'
    plain JSON object (services/reconcile/model.py reads and writes it)."""

    shop_id: int
    day: date
    result: dict[str, Any]
    checked_at: datetime
