"""Rows read back as models: one mapper per model, shared by every engine (SQL stays per engine).

A row is read by column name (sqlite3.Row and asyncpg.Record both are). The engines' rows
differ only in how a timestamp comes back: SQLite stores epoch seconds, PostgreSQL returns an
aware datetime. Each engine passes that in as its `Codec`. Everything else reads the same:
booleans through bool() (SQLite has 0/1), job payloads as JSON text, keys as bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from storage.models.catalogue import CatalogueItem, tax_codes_from
from storage.models.fiscal import FiscalMode, FiscalSettings, FiscalState
from storage.models.jobs import Job, JobState
from storage.models.lines import ReceiptLine, SaleLine
from storage.models.receipts import (
    Channel,
    EventSource,
    PaymentMismatch,
    Receipt,
    ReceiptEvent,
    ReceiptStatus,
)
from storage.models.refunds import Refund, RefundState
from storage.models.reports import ExportRow, LineExportRow, ReportRow, TopItem
from storage.models.settings import ShopSettings
from storage.models.shops import Member, Role


class Row(Protocol):
    def __getitem__(self, column: str, /) -> Any: ...


@dataclass(frozen=True)
class Codec:
    """How an engine's timestamp columns read back."""

    moment: Callable[[Any], datetime]  # a stored timestamp -> a timezone-aware UTC datetime

    def moment_or_none(self, value: Any) -> datetime | None:
        return None if value is None else self.moment(value)


def receipt_from(row: Row, codec: Codec) -> Receipt:
    return Receipt(
        id=row["id"],
        shop_id=row["shop_id"],
        number=row["number"],
        cashier_id=row["cashier_id"],
        amount=row["amount"],
        currency=row["currency"],
        description=row["description"],
        channel=Channel(row["channel"]),
        contact=row["contact"],
        order_id=row["order_id"],
        public_key=row["public_key"],
        link=row["link"],
        invoice_token=row["invoice_token"],
        status=ReceiptStatus(row["status"]),
        liqpay_status=row["liqpay_status"],
        flagged=row["flagged"],
        expires_at=codec.moment(row["expires_at"]),
        created_at=codec.moment(row["created_at"]),
        paid_at=codec.moment_or_none(row["paid_at"]),
        payment_id=row["payment_id"],
        card_mask=row["card_mask"],
        card_chat_id=row["card_chat_id"],
        card_message_id=row["card_message_id"],
        mismatch=_mismatch(row),
        issuing_until=codec.moment_or_none(row["issuing_until"]),
        payment_rrn=row["payment_rrn"],
        payment_auth_code=row["payment_auth_code"],
        payment_bank=row["payment_bank"],
        payment_system=row["payment_system"],
        fiscal_state=_fiscal_state(row["fiscal_state"]),
        fiscal_code=row["fiscal_code"],
        fiscal_date=codec.moment_or_none(row["fiscal_date"]),
        fiscal_url=row["fiscal_url"],
        fiscal_error=row["fiscal_error"],
        fiscal_attempt=row["fiscal_attempt"],
        refunded_amount=row["refunded_amount"],
    )


def _mismatch(row: Row) -> PaymentMismatch | None:
    facts = (row["flag_amount"], row["flag_currency"], row["flag_payment_id"])
    if row["flagged"] is None or facts == (None, None, None):
        return None
    return PaymentMismatch(*facts)


def _fiscal_state(value: str | None) -> FiscalState | None:
    return None if value is None else FiscalState(value)


def event_from(row: Row, codec: Codec) -> ReceiptEvent:
    return ReceiptEvent(
        receipt_id=row["receipt_id"],
        at=codec.moment(row["at"]),
        source=EventSource(row["source"]),
        from_status=ReceiptStatus(row["from_status"]) if row["from_status"] else None,
        to_status=ReceiptStatus(row["to_status"]),
        liqpay_status=row["liqpay_status"],
        detail=row["detail"],
        fiscal_from=_fiscal_state(row["fiscal_from"]),
        fiscal_to=_fiscal_state(row["fiscal_to"]),
    )


def refund_from(row: Row, codec: Codec) -> Refund:
    return Refund(
        id=row["id"],
        receipt_id=row["receipt_id"],
        amount=row["amount"],
        state=RefundState(row["state"]),
        idempotency_key=row["idempotency_key"],
        requested_by=row["requested_by"],
        refunded_before=row["refunded_before"],
        error=row["error"],
        created_at=codec.moment(row["created_at"]),
        updated_at=codec.moment(row["updated_at"]),
    )


def job_from(row: Row, codec: Codec) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        payload=dict(json.loads(row["payload"])),
        run_at=codec.moment(row["run_at"]),
        group_key=row["group_key"],
        dedupe_key=row["dedupe_key"],
        receipt_id=row["receipt_id"],
        state=JobState(row["state"]),
        attempts=row["attempts"],
        created_at=codec.moment(row["created_at"]),
        claimed_at=codec.moment_or_none(row["claimed_at"]),
        lease_owner=row["lease_owner"],
        lease_until=codec.moment_or_none(row["lease_until"]),
        finished_at=codec.moment_or_none(row["finished_at"]),
        last_error=row["last_error"],
    )


def member_from(row: Row) -> Member:
    return Member(
        shop_id=row["shop_id"],
        shop_name=row["shop_name"],
        user_id=row["user_id"],
        role=Role(row["role"]),
        name=row["name"],
    )


def shop_settings_from(row: Row) -> ShopSettings:
    return ShopSettings(
        shop_id=row["shop_id"],
        public_key=row["public_key"],
        private_key_enc=row["private_key_enc"],
        api_version=row["api_version"],
        invoice_lifetime=row["invoice_lifetime"],
        currency=row["currency"],
        sms_token_enc=row["sms_token_enc"],
        sms_sender=row["sms_sender"],
        remind_cashier=bool(row["remind_cashier"]),
        remind_customer=bool(row["remind_customer"]),
        remind_lead=row["remind_lead"],
        digest=bool(row["digest"]),
        digest_at=row["digest_at"],
        default_goods_name=row["default_goods_name"],
        goods_name_from_purpose=bool(row["goods_name_from_purpose"]),
    )


def fiscal_settings_from(row: Row, codec: Codec) -> FiscalSettings:
    return FiscalSettings(
        shop_id=row["shop_id"],
        enabled=bool(row["enabled"]),
        mode=FiscalMode(row["mode"]),
        license_key_enc=_bytes(row["license_key_enc"]),
        pin_enc=_bytes(row["pin_enc"]),
        token_enc=_bytes(row["token_enc"]),
        payment_label=row["payment_label"],
        tax_code=row["tax_code"],
        tax_label=row["tax_label"],
        close_shift_at=row["close_shift_at"],
        certificate_end=codec.moment_or_none(row["certificate_end"]),
        certificate_checked_at=codec.moment_or_none(row["certificate_checked_at"]),
    )


def _bytes(value: bytes | None) -> bytes | None:
    return None if value is None else bytes(value)


def report_row_from(row: Row, codec: Codec) -> ReportRow:
    return ReportRow(
        status=ReceiptStatus(row["status"]),
        amount=row["amount"],
        refunded=row["refunded"],
        currency=row["currency"],
        channel=Channel(row["channel"]),
        cashier_id=row["cashier_id"],
        created_at=codec.moment(row["created_at"]),
        paid_at=codec.moment_or_none(row["paid_at"]),
        fiscal_registered=bool(row["fiscal_registered"]),
    )


def export_row_from(row: Row, codec: Codec) -> ExportRow:
    return ExportRow(
        number=row["number"],
        created_at=codec.moment(row["created_at"]),
        paid_at=codec.moment_or_none(row["paid_at"]),
        cashier=row["cashier"],
        amount=row["amount"],
        currency=row["currency"],
        description=row["description"],
        channel=Channel(row["channel"]),
        contact=row["contact"],
        status=ReceiptStatus(row["status"]),
        payment_id=row["payment_id"],
        fiscal_number=row["fiscal_number"],
        refunded=row["refunded"],
    )


def catalogue_item_from(row: Row, codec: Codec) -> CatalogueItem:
    return CatalogueItem(
        id=row["id"],
        shop_id=row["shop_id"],
        code=row["code"],
        name=row["name"],
        price=row["price"],
        unit=row["unit"],
        tax_codes=tax_codes_from(row["tax_codes"]),
        barcode=row["barcode"],
        uktzed=row["uktzed"],
        archived=bool(row["archived"]),
        created_at=codec.moment(row["created_at"]),
        updated_at=codec.moment(row["updated_at"]),
    )


def receipt_line_from(row: Row) -> ReceiptLine:
    return ReceiptLine(
        receipt_id=row["receipt_id"],
        position=row["position"],
        line=SaleLine(
            code=row["code"],
            name=row["name"],
            unit=row["unit"],
            quantity=row["quantity"],
            price=row["price"],
            tax_codes=tax_codes_from(row["tax_codes"]),
            barcode=row["barcode"],
            uktzed=row["uktzed"],
            item_id=row["item_id"],
        ),
        returned=row["returned"],
    )


LINE_COLUMNS = (
    "receipt_id, position, item_id, code, name, unit, quantity, price, tax_codes, barcode, uktzed"
)


def line_values(receipt_id: object, position: int, line: SaleLine) -> tuple[object, ...]:
    """A line's values in LINE_COLUMNS' order."""
    return (
        receipt_id, position, line.item_id, line.code, line.name, line.unit, line.quantity,
        line.price, ",".join(str(c) for c in line.tax_codes), line.barcode, line.uktzed,
    )  # fmt: skip


def top_item_from(row: Row) -> TopItem:
    return TopItem(
        code=row["code"],
        name=row["name"],
        unit=row["unit"],
        quantity=int(row["quantity"]),
        total=int(row["total"]),
    )


def line_export_row_from(row: Row, codec: Codec) -> LineExportRow:
    return LineExportRow(
        number=row["number"],
        created_at=codec.moment(row["created_at"]),
        position=row["position"],
        code=row["code"],
        name=row["name"],
        unit=row["unit"],
        quantity=row["quantity"],
        price=row["price"],
        total=int(row["total"]),
    )
