"""A second invoice for the same sale. Before an invoice is confirmed, an unpaid one of the
shop for the same amount to the same customer, made in the last half hour, is pointed out:
the cashier then shows it or issues another (bot/). Nothing is ever refused.

The same customer is the same contact as the bot normalises it (services/core/contacts.py), an
e-mail also regardless of letter case (mail servers ignore it in practice, and a needless
warning costs a tap where a missed one costs a double charge); a phone number is the same
customer by SMS and by Privat24. A link has no contact: it is never a duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.core.clock import Clock
from services.core.contacts import ContactError, normalize_email, normalize_phone
from services.receipts.transitions import PENDING, can_access
from storage.models.receipts import Channel, Receipt
from storage.models.shops import Member
from storage.protocols.receipt_queries import ReceiptQueries

DUPLICATE_WINDOW = timedelta(minutes=30)
CANDIDATES = 50  # same amount, same half hour, any contact: more than a shop ever has


@dataclass(frozen=True)
class EarlierInvoice:
    receipt: Receipt
    # the person may see its card (their own, or the owner's look); a cashier is told of
    # another cashier's invoice only what the warning says
    visible: bool


def customer_key(channel: Channel, contact: str | None) -> str | None:
    """What makes two invoices' contacts the same customer; None for none (a link)."""
    if contact is None or channel is Channel.LINK:
        return None
    if channel is Channel.EMAIL:
        try:
            return "mail:" + normalize_email(contact).casefold()
        except ContactError:  # stored before today's rules: compared as it is
            return "mail:" + contact.strip().casefold()
    try:
        return "tel:" + normalize_phone(contact)
    except ContactError:
        return "tel:" + contact.strip()


class DuplicateCheck:
    def __init__(self, queries: ReceiptQueries, clock: Clock) -> None:
        self.queries = queries
        self.clock = clock

    async def earlier_unpaid(
        self, member: Member, amount: int, currency: str, channel: Channel, contact: str | None
    ) -> EarlierInvoice | None:
        """The shop's newest unpaid invoice of the last half hour for this amount to this
        customer (one the person may see, if any is), or None."""
        key = customer_key(channel, contact)
        if key is None:
            return None
        now = self.clock()
        recent = await self.queries.recent_with_amount(
            member.shop_id,
            amount,
            currency,
            statuses=PENDING,
            created_since=now - DUPLICATE_WINDOW,
            expires_after=now,
            limit=CANDIDATES,
        )
        same = [r for r in recent if customer_key(r.channel, r.contact) == key]
        if not same:
            return None
        visible = [r for r in same if can_access(member, r)]
        if visible:
            return EarlierInvoice(visible[0], visible=True)
        return EarlierInvoice(same[0], visible=False)
