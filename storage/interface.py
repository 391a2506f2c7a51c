"""What services need from a store. SQLite implements it; a PostgreSQL store could too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from storage.models import (
    Channel,
    EventSource,
    InviteOutcome,
    Member,
    NewNotification,
    OutboxItem,
    Receipt,
    ReceiptEvent,
    ReceiptStatus,
    Role,
    ShopSettings,
)


class Store(Protocol):
    async def close(self) -> None: ...
    async def health(self) -> dict[str, Any]: ...

    # users and shops
    async def get_language(self, user_id: int) -> str | None: ...
    async def get_chosen_language(self, user_id: int) -> str | None: ...
    async def set_language(self, user_id: int, language: str) -> None: ...
    async def set_telegram_language(self, user_id: int, language: str) -> None: ...
    async def create_shop(
        self, owner_id: int, owner_name: str, name: str, now: datetime
    ) -> Member: ...
    async def get_member(self, user_id: int) -> Member | None: ...
    async def list_members(self, shop_id: int) -> list[Member]: ...
    async def member_ids(self, shop_id: int, role: Role | None = None) -> list[int]: ...
    async def remove_cashier(self, shop_id: int, user_id: int) -> bool: ...

    # invites
    async def create_invite(
        self, shop_id: int, token: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None: ...
    async def redeem_invite(
        self, token: str, user_id: int, name: str, now: datetime
    ) -> tuple[InviteOutcome, Member | None]: ...

    # settings
    async def get_settings(self, shop_id: int) -> ShopSettings: ...
    async def save_keys(
        self, shop_id: int, public_key: str, private_key_enc: bytes, sandbox: bool
    ) -> None: ...
    async def private_key_for(self, shop_id: int, public_key: str) -> bytes | None: ...
    async def update_settings(self, shop_id: int, **fields: int | str) -> None: ...
    async def save_sms_gateway(self, shop_id: int, token_enc: bytes, sender: str) -> None: ...

    # receipts
    async def create_draft(
        self,
        *,
        shop_id: int,
        cashier_id: int,
        amount: int,
        currency: str,
        description: str | Callable[[int], str],
        channel: Channel,
        contact: str | None,
        idempotency_key: str,
        order_id: Callable[[int], str],
        expires_at: datetime,
        now: datetime,
        public_key: str | None = None,
        issuing_until: datetime | None = None,
    ) -> tuple[Receipt, bool]: ...
    async def delete_draft(self, receipt_id: int, lease: datetime | None = None) -> bool: ...
    async def receipt_by_idempotency_key(self, key: str) -> Receipt | None: ...
    async def take_issue_lease(self, receipt_id: int, now: datetime, until: datetime) -> bool: ...
    async def move_issue_lease(self, receipt_id: int, held: datetime, until: datetime) -> bool: ...
    async def release_issue_lease(
        self,
        receipt_id: int,
        held: datetime,
        now: datetime,
        notifications: Sequence[NewNotification] = (),
    ) -> bool: ...
    async def leased_receipts(self, limit: int, cashier_id: int | None = None) -> list[Receipt]: ...
    async def get_receipt(self, receipt_id: int) -> Receipt | None: ...
    async def receipt_with_settings(self, order_id: str) -> tuple[Receipt, ShopSettings] | None: ...
    async def transition(
        self,
        receipt_id: int,
        *,
        expected: Sequence[ReceiptStatus],
        new: ReceiptStatus,
        source: EventSource,
        now: datetime,
        changes: dict[str, Any] | None = None,
        liqpay_status: str | None = None,
        detail: str | None = None,
        notifications: Sequence[NewNotification] = (),
    ) -> Receipt | None: ...
    async def flag(
        self,
        receipt_id: int,
        *,
        reason: str,
        source: EventSource,
        now: datetime,
        liqpay_status: str | None,
        notifications: Sequence[NewNotification] = (),
    ) -> bool: ...
    async def list_pending(
        self, shop_id: int, cashier_id: int | None, offset: int, limit: int
    ) -> tuple[list[Receipt], int]: ...
    async def due_for_check(self, now: datetime, limit: int) -> list[Receipt]: ...
    async def mark_checked(
        self, receipt_id: int, now: datetime, next_check_at: datetime
    ) -> None: ...
    async def set_card_message(self, receipt_id: int, chat_id: int, message_id: int) -> None: ...
    async def events(self, receipt_id: int) -> list[ReceiptEvent]: ...

    # outbox
    async def due_notifications(self, now: datetime, limit: int) -> list[OutboxItem]: ...
    async def mark_sent(self, item_id: int, now: datetime) -> None: ...
    async def postpone(self, item_id: int, error: str, until: datetime) -> None: ...
    async def mark_dead(self, item_id: int, error: str) -> None: ...
