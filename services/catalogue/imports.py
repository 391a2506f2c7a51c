"""An import (a CSV file or the register's goods) as a preview: which items are new, which
change, which lines are refused and why. Nothing is written until the owner confirms, and
then all of it in one transaction, or none when any line was refused."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from services.catalogue.csv_files import CsvRow
from services.catalogue.rules import ItemError, Problem, check_item, new_code
from storage.models.catalogue import CatalogueItem, ItemFields


@dataclass(frozen=True)
class RowError:
    line: int
    problem: Problem


@dataclass(frozen=True)
class ImportPreview:
    token: str  # applying it twice (a double tap of Confirm) applies it once
    new: list[ItemFields] = field(default_factory=list)
    changed: list[ItemFields] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def items(self) -> list[ItemFields]:
        return self.new + self.changed

    @property
    def applicable(self) -> bool:
        return not self.errors and bool(self.items)


def _free_code(taken: set[str]) -> str:
    while (code := new_code()) in taken:
        pass
    return code


def preview(
    rows: Iterable[CsvRow],
    existing: Iterable[CatalogueItem],
    allowed_taxes: Collection[int] | None,
) -> ImportPreview:
    """Rows are matched to the shop's items by code; a row without one, by barcode, else
    it is a new item with a generated code."""
    by_code: Mapping[str, CatalogueItem] = {item.code: item for item in existing}
    by_barcode = {item.barcode: item for item in by_code.values() if item.barcode}
    taken = set(by_code)
    seen: dict[str, int] = {}
    new: list[ItemFields] = []
    changed: list[ItemFields] = []
    unchanged = 0
    errors: list[RowError] = []
    for row in rows:
        try:
            fallback = None
            if not row.text.code.strip() and row.text.barcode.strip() in by_barcode:
                fallback = by_barcode[row.text.barcode.strip()].code
            item = check_item(row.text, allowed_taxes, fallback or _free_code(taken))
        except ItemError as exc:
            errors.append(RowError(row.line, exc.problem))
            continue
        if item.code in seen:
            errors.append(RowError(row.line, Problem.CODE_TWICE))
            continue
        seen[item.code] = row.line
        taken.add(item.code)
        before = by_code.get(item.code)
        if before is None:
            new.append(item)
        elif before.fields != item or before.archived:
            changed.append(item)
        else:
            unchanged += 1
    return ImportPreview(
        token=secrets.token_urlsafe(12),
        new=new,
        changed=changed,
        unchanged=unchanged,
        errors=errors,
    )
