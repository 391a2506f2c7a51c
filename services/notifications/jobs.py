"""Which notifications a receipt's change causes, as jobs for the outbox sender, and the
signal that wakes the sender."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from enum import StrEnum

from storage.models.jobs import NewJob
from storage.models.receipts import Receipt

NOTIFY = "notify"  # the job kind; payload {"chat_id": int, "kind": NotificationKind}


class NotificationKind(StrEnum):
    """The values are stored in job payloads: never change one."""

    PAID = "paid"
    PAID_LATE = "paid_late"  # money arrived after the receipt was cancelled, expired or failed
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    # money given back (services/refunds/ledger.py): payload {"amount": this refund's
    # kopecks, "total": the refunded sum now}; to the issuing cashier and the owners
    REFUND = "refund"
    REFUND_FAILED = "refund_failed"  # {"amount", "problem"}: to the owner who asked, not refunded
    # {"amount", "days"}: to the owner who asked; LiqPay has not told the outcome for days
    REFUND_UNKNOWN = "refund_unknown"
    FISCAL_RETURN_DONE = "fiscal_return_done"  # {"total", "code"}: the return receipt
    FISCAL_RETURN_FAILED = "fiscal_return_failed"  # {"total", "message"}
    MISMATCH = "mismatch"  # paid amount or currency differs from the receipt's
    CARD = "card"  # re-render the receipt card where it was shown
    KEYS_UNREADABLE = "keys_unreadable"  # to owners: SECRET_KEY changed, enter the keys again
    # what became of an invoice the person confirmed, with its card, when they could not be
    # shown it at the time (Telegram refused, or the process died while making it)
    OUTCOME = "outcome"
    # fiscal receipts (services/fiscal/sales.py), to owners
    FISCAL_DONE = "fiscal_done"  # registered: the fiscal number and a link
    FISCAL_FAILED = "fiscal_failed"  # the tax service refused: the registrar's words, Retry
    FISCAL_DOWN = "fiscal_down"  # the registrar does not answer; retrying by itself, Retry
    # {"reason"}: a late receipt registered now, not dated at its payment, and why
    # (services/fiscal/offline.py NotDated)
    FISCAL_NOT_DATED = "fiscal_not_dated"
    # {"days", "end"}: the cashier's signing key expires in `days` (at ISO `end`), to owners
    FISCAL_KEY_EXPIRING = "fiscal_key_expiring"
    FISCAL_EMAIL_FAILED = "fiscal_email_failed"  # the customer's e-mail copy was not sent
    # shop notices without a receipt (payload carries what they say)
    FISCAL_SHIFT_CLOSED = "fiscal_shift_closed"  # {"count", "amount"}: the day's total
    FISCAL_UNREADABLE = "fiscal_unreadable"  # SECRET_KEY changed: enter the credentials again
    REMINDER = "reminder"  # to the cashier: the card of an invoice that expires soon
    DIGEST = "digest"  # the end-of-day summary; no receipt, its figures are in the payload
    # {"result"}: to owners, the day's reconciliation when something was off or fixed
    RECONCILE = "reconcile"


def chat_group(chat_id: int) -> str:
    """A chat's notifications go out one at a time and in order."""
    return f"chat:{chat_id}"


def card_group(chat_id: int) -> str:
    """A chat's card edits go out one at a time and in order, but not behind its notices:
    an edit adds no message to the chat, so the chat's 1 message/s does not hold it."""
    return f"cards:{chat_id}"


def notify_job(
    chat_id: int, kind: str, *, dedupe_key: str | None = None, **facts: object
) -> NewJob:
    """A notification to one chat (its receipt is the one whose change causes it);
    `dedupe_key`: said once, however often it is asked for; `facts` go in the payload."""
    payload = {"chat_id": chat_id, "kind": kind, **facts}
    group = card_group(chat_id) if kind == NotificationKind.CARD else chat_group(chat_id)
    return NewJob(NOTIFY, payload, group_key=group, dedupe_key=dedupe_key)


class OutboxSignal:
    """Set after a transaction that wrote notifications; the sender waits on it."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, max_wait: float) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), max_wait)
        except TimeoutError:
            pass
        self._event.clear()


def recipients(
    receipt: Receipt,
    kind: str,
    owners: Collection[int],
    members: Collection[int],
    *,
    owners_only: bool = False,
) -> list[NewJob]:
    """The cashier who issued the receipt (while still in the shop) and every owner, once
    each, plus an update of the receipt's card (only that, for kind CARD)."""
    chats: list[int] = []
    if kind != NotificationKind.CARD:
        if not owners_only and receipt.cashier_id in members:
            chats.append(receipt.cashier_id)
        chats += [owner for owner in owners if owner not in chats]
    result = [notify_job(chat, kind) for chat in chats]
    card_chat = receipt.card_chat_id
    if card_chat is not None and card_chat in members and receipt.card_message_id is not None:
        result.append(notify_job(card_chat, NotificationKind.CARD))
    return result
