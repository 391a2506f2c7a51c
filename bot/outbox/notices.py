"""What the outbox sends for each kind of notification: a renderer per kind, registered by
the feature that owns the kind (its `register_notices`), looked up by the sender."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup

from services.notifications.jobs import NotificationKind
from storage.models.lines import SaleLine
from storage.models.receipts import Receipt
from storage.protocols.receipts import ReceiptRepository

log = logging.getLogger(__name__)


class Lookups(Protocol):
    """What a renderer may ask the sender about (read from the store at sending time)."""

    async def is_owner(self, chat_id: int, receipt: Receipt) -> bool:
        """Whether the chat is an owner of the receipt's shop (the Refund button is theirs)."""

    async def registering(self, receipt: Receipt) -> bool:
        """Whether the fiscal worker has the receipt's registration in hand."""

    async def goods(self, receipt: Receipt) -> list[SaleLine]:
        """The goods lines the receipt shows (none for one made before lines, or amount
        only: it reads as before)."""


@dataclass(frozen=True)
class NoticeRequest:
    """One notification job to render: to `chat_id`, in `locale`, with the job's payload
    (`kind`: a NotificationKind's value, or an unknown kind's for the fallback)."""

    kind: str
    chat_id: int
    payload: Mapping[str, Any]
    locale: str
    now: datetime
    lookups: Lookups


@dataclass(frozen=True)
class ReceiptNoticeRequest(NoticeRequest):
    """A notification about a receipt, read afresh when it is sent."""

    receipt: Receipt


@dataclass(frozen=True)
class MessageRef:
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class Notice:
    """What goes to Telegram. `edit`: that message is edited instead of sending one;
    `is_card`: the message becomes the receipt's card (kept current by the outbox) when it
    goes to the issuing cashier or the receipt has no card yet."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None
    edit: MessageRef | None = None
    is_card: bool = False


# None: nothing to say (any more): the job is done without a message
ShopRenderer = Callable[[NoticeRequest], Awaitable[Notice | None]]
ReceiptRenderer = Callable[[ReceiptNoticeRequest], Awaitable[Notice | None]]


class NoticeRegistry:
    """Kind → renderer. A kind is about a shop (its job has no receipt, the payload carries
    what it says) or about a receipt; registered once."""

    def __init__(self) -> None:
        self._shop: dict[NotificationKind, ShopRenderer] = {}
        self._receipt: dict[NotificationKind, ReceiptRenderer] = {}
        self._fallback: ReceiptRenderer | None = None

    def about_shop(self, kind: NotificationKind, render: ShopRenderer) -> None:
        self._check_new(kind)
        self._shop[kind] = render

    def about_receipt(self, kind: NotificationKind, render: ReceiptRenderer) -> None:
        self._check_new(kind)
        self._receipt[kind] = render

    def for_unknown_kinds(self, render: ReceiptRenderer) -> None:
        """What a job of a kind no feature renders (a newer version's) says about its
        receipt: a generic notice rather than none."""
        if self._fallback is not None:
            raise ValueError("a renderer for unknown kinds is registered already")
        self._fallback = render

    def renderers(
        self, kind: NotificationKind | None
    ) -> tuple[ShopRenderer | None, ReceiptRenderer | None]:
        """The kind's renderer, about a shop or about a receipt (None, None: unknown)."""
        if kind is None:
            return None, None
        return self._shop.get(kind), self._receipt.get(kind)

    @property
    def fallback(self) -> ReceiptRenderer | None:
        return self._fallback

    def kinds(self) -> frozenset[NotificationKind]:
        return frozenset(self._shop) | frozenset(self._receipt)

    def _check_new(self, kind: NotificationKind) -> None:
        if kind in self._shop or kind in self._receipt:
            raise ValueError(f"notification kind {kind} has a renderer already")


async def send_notice(
    bot: Bot,
    receipts: ReceiptRepository,
    chat_id: int,
    notice: Notice,
    receipt: Receipt | None,
) -> bool:
    """Send the notice to the chat (or edit the message it names); a new card of the
    receipt's is recorded as its card. True when a new message was sent."""
    if notice.edit is not None:
        await bot.edit_message_text(
            chat_id=notice.edit.chat_id,
            message_id=notice.edit.message_id,
            text=notice.text,
            reply_markup=notice.keyboard,
        )
        return False
    sent = await bot.send_message(chat_id, notice.text, reply_markup=notice.keyboard)
    if not notice.is_card or receipt is None:
        return True
    # it becomes the card the outbox keeps current when it goes to the issuing cashier
    if receipt.card_message_id is None or chat_id == receipt.cashier_id:
        try:  # it is sent: a failure here must not send it again
            await receipts.set_card_message(receipt.id, chat_id, sent.message_id)
        except Exception:
            log.exception("Receipt %s: its new card was not recorded", receipt.id)
    return True


def known_kind(value: object) -> NotificationKind | None:
    """The kind a job's payload names (a plain string as stored), None for an unknown one."""
    try:
        return NotificationKind(str(value))
    except ValueError:
        return None
