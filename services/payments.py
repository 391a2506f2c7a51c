"""LiqPay callbacks: verify first, then apply through the receipt state machine."""

from __future__ import annotations

import logging
from enum import StrEnum

from services.crypto import SecretKeyMismatch
from services.liqpay import SignatureError, decode_data, verify
from services.logthrottle import LogThrottle
from services.receipts import PaymentReport, ReceiptService
from storage.models import EventSource, ReceiptStatus

log = logging.getLogger(__name__)


class CallbackOutcome(StrEnum):
    APPLIED = "applied"  # this callback moved (or flagged) the receipt
    UNCHANGED = "unchanged"  # genuine, but a repeat or an older status
    REJECTED = "rejected"  # malformed, forged, or not ours: nothing changed
    # Can't be checked now (the shop's stored keys can't be read since SECRET_KEY changed):
    # nothing changed, the owner is told, and the poller applies it once keys are entered.
    DEFERRED = "deferred"


class CallbackService:
    def __init__(self, receipts: ReceiptService) -> None:
        self.receipts = receipts
        self.store = receipts.store
        # A flood of forged callbacks writes a line per source and reason a minute, not one
        # per request.
        self.rejections = LogThrottle(log)

    def _reject(self, source: str, reason: str, detail: str = "") -> CallbackOutcome:
        self.rejections.log(
            (source, reason), "LiqPay callback from %s rejected: %s%s", source, reason, detail
        )
        return CallbackOutcome.REJECTED

    async def handle(
        self, data: str | None, signature: str | None, source: str = "unknown"
    ) -> CallbackOutcome:
        """`source` is where the request came from (the remote address), for the log."""
        if not data or not signature:
            return self._reject(source, "missing data or signature")
        try:
            claimed = decode_data(data)  # untrusted: only to find whose key to check with
        except SignatureError:
            return self._reject(source, "data is not base64 JSON")
        order_id, public_key = claimed.get("order_id"), claimed.get("public_key")
        if not isinstance(order_id, str) or not isinstance(public_key, str):
            return self._reject(source, "no order_id or public_key")
        found = await self.store.receipt_with_settings(order_id)
        receipt, settings = found if found else (None, None)
        if receipt is None or settings is None or settings.public_key != public_key:
            return self._reject(source, "order or key is not ours")
        if settings.private_key_enc is None:
            return self._reject(source, "the shop has no private key for it")
        try:
            private_key = self.receipts.private_key(settings.private_key_enc)
        except SecretKeyMismatch:
            await self.receipts.keys_unreadable(receipt, settings.private_key_enc)
            return CallbackOutcome.DEFERRED
        try:
            payload = verify(private_key.get_secret_value(), data, signature, claimed)
        except SignatureError as exc:
            return self._reject(source, "bad signature", f" (receipt {receipt.id}: {exc})")
        try:
            report = PaymentReport.from_payload(payload)
        except ValueError as exc:
            return self._reject(source, "malformed payload", f" (receipt {receipt.id}: {exc})")
        result = await self.receipts.apply(receipt, report, EventSource.CALLBACK)
        if not result.applied:
            return CallbackOutcome.UNCHANGED
        if not result.flagged:  # (a flag logs itself)
            log.info(
                "Receipt %s: %s -> %s by callback (%s)",
                receipt.id,
                receipt.status.value,
                result.receipt.status.value,
                report.status,
            )
        return CallbackOutcome.APPLIED


__all__ = ["CallbackOutcome", "CallbackService", "ReceiptStatus"]
