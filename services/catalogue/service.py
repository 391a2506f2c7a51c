"""The catalogue for a member: the owner adds, edits, archives and imports; anyone in the
shop searches and exports. No aiogram here; reasons are codes the bot translates."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from services.catalogue.csv_files import CsvError, CsvRow, read_rows, write_csv
from services.catalogue.imports import ImportPreview, preview
from services.catalogue.rules import (
    ItemError,
    ItemText,
    Problem,
    check_barcode,
    check_code,
    check_item,
    check_name,
    check_price,
    check_tax_codes,
    check_uktzed,
    check_unit,
    new_code,
    tax_text,
)
from services.core.clock import Clock
from services.fiscal.registrar import FiscalCredentials, FiscalError, RegisterGood, TaxRate
from services.fiscal.setup import NotSetUp
from storage.models.catalogue import CatalogueItem, ItemFields, SearchPage
from storage.models.common import IntegrityViolation
from storage.models.shops import Member
from storage.protocols.catalogue import CatalogueRepository

log = logging.getLogger(__name__)

PAGE = 8  # search results per page
CODE_ATTEMPTS = 5


class Register(Protocol):
    async def tax_rates(self, creds: FiscalCredentials) -> list[TaxRate]: ...

    async def goods(self, creds: FiscalCredentials) -> list[RegisterGood]: ...


class RegisterAccess(Protocol):
    async def credentials(self, shop_id: int) -> FiscalCredentials:
        """Raises NotSetUp when the shop has no fiscal registrar set up."""
        ...


class NoRegister(Exception):
    """The shop has no fiscal registrar set up (or it does not answer)."""


EDITABLE = ("name", "price", "unit", "tax", "barcode", "uktzed", "code")


def _require_owner(member: Member) -> None:
    if not member.is_owner:
        raise PermissionError("only an owner changes the catalogue")


class CatalogueService:
    def __init__(
        self,
        items: CatalogueRepository,
        register: Register,
        access: RegisterAccess,
        clock: Clock,
    ) -> None:
        self.items = items
        self.register = register
        self.access = access
        self.clock = clock

    async def _credentials(self, shop_id: int) -> FiscalCredentials | None:
        try:
            return await self.access.credentials(shop_id)
        except NotSetUp:  # none, or they can't be read: the same to the catalogue
            return None

    async def has_register(self, shop_id: int) -> bool:
        return await self._credentials(shop_id) is not None

    async def allowed_taxes(self, shop_id: int) -> set[int] | None:
        """The register's tax codes; None (any code) when there is no register or it does
        not answer now."""
        creds = await self._credentials(shop_id)
        if creds is None:
            return None
        try:
            return {rate.code for rate in await self.register.tax_rates(creds)}
        except FiscalError:
            return None

    async def add(self, owner: Member, text: ItemText) -> CatalogueItem:
        """Raises ItemError: a field refused, or the code taken."""
        _require_owner(owner)
        item = check_item(text, await self.allowed_taxes(owner.shop_id))
        generated = not text.code.strip()
        for _ in range(CODE_ATTEMPTS):
            try:
                return await self.items.add(owner.shop_id, item, self.clock())
            except IntegrityViolation:
                if not generated:
                    raise ItemError(Problem.CODE_TAKEN) from None
                item = replace(item, code=new_code())
        raise ItemError(Problem.CODE_TAKEN)

    async def get(self, member: Member, item_id: int) -> CatalogueItem | None:
        return await self.items.get(member.shop_id, item_id)

    async def edit(
        self, owner: Member, item_id: int, field: str, value: str
    ) -> CatalogueItem | None:
        """One field as typed; None when there is no such item. Raises ItemError."""
        _require_owner(owner)
        item = await self.items.get(owner.shop_id, item_id)
        if item is None:
            return None
        fields = item.fields
        if field == "name":
            fields = replace(fields, name=check_name(value))
        elif field == "price":
            fields = replace(fields, price=check_price(value))
        elif field == "unit":
            fields = replace(fields, unit=check_unit(value).value)
        elif field == "tax":
            allowed = await self.allowed_taxes(owner.shop_id)
            fields = replace(fields, tax_codes=check_tax_codes(value, allowed))
        elif field == "barcode":
            fields = replace(fields, barcode=check_barcode(value))
        elif field == "uktzed":
            fields = replace(fields, uktzed=check_uktzed(value))
        elif field == "code":
            fields = replace(fields, code=check_code(value) or item.code)
        else:
            raise ValueError(f"no field {field!r}")
        try:
            return await self.items.edit(owner.shop_id, item_id, fields, self.clock())
        except IntegrityViolation:
            raise ItemError(Problem.CODE_TAKEN) from None

    async def set_archived(
        self, owner: Member, item_id: int, archived: bool
    ) -> CatalogueItem | None:
        _require_owner(owner)
        return await self.items.set_archived(owner.shop_id, item_id, archived, self.clock())

    async def search(self, member: Member, text: str, page: int = 0) -> SearchPage:
        return await self.items.search(
            member.shop_id,
            text,
            limit=PAGE,
            offset=max(page, 0) * PAGE,
            include_archived=member.is_owner,
        )

    async def count(self, member: Member) -> int:
        return await self.items.count(member.shop_id)

    async def export_csv(self, member: Member) -> bytes:
        return write_csv(await self.items.all_items(member.shop_id, include_archived=False))

    async def preview_csv(self, owner: Member, data: bytes) -> ImportPreview:
        """Raises CsvError when the file can't be read at all."""
        _require_owner(owner)
        rows = read_rows(data)
        return await self._preview(owner, rows)

    async def preview_register(self, owner: Member) -> ImportPreview:
        """The register's goods as an import; raises NoRegister."""
        _require_owner(owner)
        creds = await self._credentials(owner.shop_id)
        if creds is None:
            raise NoRegister
        try:
            goods = await self.register.goods(creds)
        except FiscalError as exc:
            raise NoRegister from exc
        return await self._preview(owner, [good_row(n, g) for n, g in enumerate(goods, 1)])

    async def _preview(self, owner: Member, rows: Sequence[CsvRow]) -> ImportPreview:
        existing = await self.items.all_items(owner.shop_id)
        return preview(rows, existing, await self.allowed_taxes(owner.shop_id))

    async def apply(self, owner: Member, token: str, items: Sequence[ItemFields]) -> bool:
        """All the items in one transaction; False when this token was applied before."""
        _require_owner(owner)
        applied = await self.items.apply_import(owner.shop_id, token, items, self.clock())
        if applied:
            log.info("Shop %s: %s catalogue items imported", owner.shop_id, len(items))
        return applied


def good_row(number: int, good: RegisterGood) -> CsvRow:
    """A register's good as an import row; `number` its place in the register's list. A
    good with no price (0) is sold at a price set at sale."""
    price = "" if good.price <= 0 else f"{good.price // 100},{good.price % 100:02d}"
    return CsvRow(
        number,
        ItemText(
            name=good.name,
            price=price,
            unit="kg" if good.is_weight else "",
            tax=tax_text(good.tax_codes),
            barcode=good.barcode or "",
            uktzed=good.uktzed or "",
            code=good.code,
        ),
    )


__all__ = ["CatalogueService", "CsvError", "ImportPreview", "ItemError", "NoRegister"]
