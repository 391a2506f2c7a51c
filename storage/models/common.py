from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import Any, Final


class Unset(Enum):
    """The marker of a change object's field that is left as it is (None sets NULL)."""

    UNSET = "unset"


UNSET: Final = Unset.UNSET


class IntegrityViolation(Exception):
    """A write broke a rule of the schema (an unknown shop, a duplicate key, a CHECK):
    nothing of the operation was written. Engines raise it from their driver's error."""


def assigned_fields(changes: object) -> dict[str, Any]:
    return {
        f.name: getattr(changes, f.name)
        for f in fields(changes)  # type: ignore[arg-type]
        if getattr(changes, f.name) is not UNSET
    }
