"""LiqPay callbacks: verify first, then apply through the receipt state machine."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from services.liqpay import SignatureError, decode_data, verify
from services.receipts import PaymentReport, ReceiptService
from storage.models import EventSource, Receipt, ReceiptStatus

log = logging.getLogger(__name__)


class CallbackOutcome(StrEnum):
    APPLIED = "applied"  # the receipt moved (or was flagged)
    UNCHANGED = "unchanged"  # genuine, but a repeat or an older status
    REJECTED = "rejected"  # malformed, forged, or not ours: nothing changed


class CallbackService:
    def __init__(self, receipts: ReceiptService) -> None:
        self.receipts = receipts

    async def handle(self, data: str | None, signature: str | None) -> CallbackOutcome:
        if not data or not signature:
            log.warning("LiqPay callback rejected: missing data or signature")
            return CallbackOutcome.REJECTED
        try:
            claimed = decode_data(data)  # untrusted: only to find whose key to check with
        except SignatureError:
            log.warning("LiqPay callback rejected: data is not base64 JSON")
            return CallbackOutcome.REJECTED
        order_id, public_key = claimed.get("order_id"), claimed.get("public_key")
        if not isinstance(order_id, str) or not isinstance(public_key, str):
            log.warning("LiqPay callback rejected: no order_id or public_key")
            return CallbackOutcome.REJECTED
        receipt = await self.receipts.repo.by_order_id(order_id)
        if receipt is None:
            log.warning("LiqPay callback rejected: order or key is not ours")
            return CallbackOutcome.REJECTED
        try:
            payload = await self._verified(receipt, public_key, data, signature, claimed)
        except SignatureError as exc:
            log.warning("LiqPay callback rejected for receipt %s: %s", receipt.id, exc)
            return CallbackOutcome.REJECTED
        try:
            report = PaymentReport.from_payload(payload)
        except ValueError:
            log.warning("LiqPay callback for receipt %s has a malformed amount", receipt.id)
            return CallbackOutcome.REJECTED
        before = (receipt.status, receipt.flagged)
        after = await self.receipts.apply_report(receipt, report, EventSource.CALLBACK)
        if (after.status, after.flagged) == before:
            return CallbackOutcome.UNCHANGED
        log.info(
            "Receipt %s: %s -> %s by callback (%s)",
            receipt.id,
            before[0].value,
            after.status.value,
            report.status,
        )
        return CallbackOutcome.APPLIED

    async def _verified(
        self, receipt: Receipt, public_key: str, data: str, signature: str, claimed: dict[str, Any]
    ) -> dict[str, Any]:
        """The payload, once signed with the key pair the receipt's invoice was made with. A
        remembered pair that fails is read afresh once (the owner may have saved it again)."""
        for fresh in (False, True):
            pair = await self.receipts.signing_key(receipt, fresh=fresh)
            if pair is None or pair[0] != public_key:
                raise SignatureError("order or key is not ours")
            try:
                private_key = self.receipts.private_key(pair[1])
                return verify(private_key.get_secret_value(), data, signature, claimed)
            except SignatureError:
                if fresh:
                    raise
        raise AssertionError("unreachable")


__all__ = ["CallbackOutcome", "CallbackService", "ReceiptStatus"]
