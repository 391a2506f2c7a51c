"""LiqPay callbacks: verify first, then apply through the receipt state machine."""

from __future__ import annotations

import logging
from enum import StrEnum

from services.core.crypto import SecretKeyMismatch
from services.core.logthrottle import LogThrottle
from services.liqpay.signing import SignatureError, decode_data, verify
from services.receipts.state import PaymentReport, ReceiptService
from storage.models.receipts import EventSource, ReceiptStatus

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
        receipt = await self.receipts.repo.by_order_id(order_id)
        if receipt is None:
            return self._reject(source, "order or key is not ours")
        # The pair the receipt's invoice was made with. A remembered pair that fails is read
        # afresh once: the owner may have saved it again meanwhile.
        for fresh in (False, True):
            pair = await self.receipts.signing_key(receipt, fresh=fresh)
            if pair is None or pair[0] != public_key:
                return self._reject(source, "order or key is not ours")
            try:
                private_key = self.receipts.private_key(pair[1])
            except SecretKeyMismatch:
                await self.receipts.keys_unreadable(receipt, pair[1])
                return CallbackOutcome.DEFERRED
            try:
                payload = verify(private_key.get_secret_value(), data, signature, claimed)
                break
            except SignatureError as exc:
                if fresh:
                    return self._reject(source, "bad signature", f" (receipt {receipt.id}: {exc})")
        else:  # pragma: no cover (the loop ends by break or return)
            raise AssertionError
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
