from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.models.common import UNSET, Unset, assigned_fields


@dataclass(frozen=True)
class ShopSettings:
    shop_id: int
    public_key: str | None
    private_key_enc: bytes | None
    api_version: int
    invoice_lifetime: int  # seconds
    currency: str
    sms_token_enc: bytes | None
    sms_sender: str | None
    # reminders (services/reminders/service.py), each off by default
    remind_cashier: bool = False
    remind_customer: bool = False
    remind_lead: int = 3600  # seconds before an invoice expires
    digest: bool = False
    digest_at: int = 20 * 60  # minutes after Kyiv midnight
    # the goods name of an "amount only" receipt (services/goods/names.py): None = the owner
    # has not chosen (a fallback group name is printed); from_purpose: the payment's purpose
    # names the goods when the cashier typed one
    default_goods_name: str | None = None
    goods_name_from_purpose: bool = False

    @property
    def has_sms(self) -> bool:
        return bool(self.sms_token_enc and self.sms_sender)


@dataclass(frozen=True)
class SettingsChanges:
    """The shop settings an owner changes; fields left UNSET stay as they are."""

    api_version: int | Unset = UNSET
    invoice_lifetime: int | Unset = UNSET  # seconds
    currency: str | Unset = UNSET
    remind_cashier: bool | Unset = UNSET
    remind_customer: bool | Unset = UNSET
    remind_lead: int | Unset = UNSET  # seconds
    digest: bool | Unset = UNSET
    digest_at: int | Unset = UNSET  # minutes after Kyiv midnight
    default_goods_name: str | Unset | None = UNSET
    goods_name_from_purpose: bool | Unset = UNSET

    def assigned(self) -> dict[str, Any]:
        return assigned_fields(self)
