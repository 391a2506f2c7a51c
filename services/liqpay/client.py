"""Async LiqPay client: signing, server calls, checkout links and the status map.

See ../shared/reference/liqpay.md. The signature is base64(H(private + data + private)) over
the base64 `data` string exactly as sent; H is SHA-1 for API version 3, SHA3-256 for 7.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from services.core.money import from_wire, to_wire

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = (3, 7)
DEFAULT_VERSION = 3


class LiqPayError(Exception):
    """Base of every error this client raises."""


class LiqPayUnavailable(LiqPayError):
    """Timeout, connection error, 5xx or an answer that is not LiqPay's JSON."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"LiqPay unavailable: {reason}")
        self.reason = reason


class LiqPayRefused(LiqPayError):
    """LiqPay answered and said no."""

    def __init__(self, err_code: str, err_description: str = "") -> None:
        super().__init__(f"LiqPay refused: {err_code}")
        self.err_code = err_code
        self.err_description = err_description


class PaymentNotFound(LiqPayRefused):
    """`status` for an order LiqPay has not seen (a link not opened yet)."""


class SignatureError(ValueError):
    """Callback data that is not signed by the key we hold, or is not base64 JSON."""


@dataclass(frozen=True)
class Credentials:
    public_key: str
    private_key: SecretStr = field(repr=False)
    version: int = DEFAULT_VERSION

    @property
    def sandbox(self) -> bool:
        return self.public_key.startswith("sandbox_")


def _digest(version: int, payload: bytes) -> bytes:
    if version == 7:
        return hashlib.sha3_256(payload).digest()
    if version == 3:
        return hashlib.sha1(payload, usedforsecurity=False).digest()
    raise ValueError(f"unsupported LiqPay API version {version}")


def sign(private_key: str, data: str, version: int = DEFAULT_VERSION) -> str:
    raw = (private_key + data + private_key).encode()
    return base64.b64encode(_digest(version, raw)).decode()


def encode_data(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload, ensure_ascii=False).encode()).decode()


def decode_data(data: str) -> dict[str, Any]:
    """base64 JSON object to dict, amounts kept exact as Decimal."""
    try:
        decoded = json.loads(base64.b64decode(data, validate=True), parse_float=Decimal)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SignatureError("data is not base64 JSON") from exc  # RecursionError: deep nesting
    if not isinstance(decoded, dict):
        raise SignatureError("data is not a JSON object")
    return decoded


def payload_version(payload: dict[str, Any]) -> int:
    try:
        version = int(str(payload.get("version", DEFAULT_VERSION)))
    except ValueError as exc:
        raise SignatureError("version is not a number") from exc
    if version not in SUPPORTED_VERSIONS:
        raise SignatureError(f"unsupported version {version}")
    return version


def verify(
    private_key: str, data: str, signature: str, decoded: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Check `signature` over `data` in constant time and return the decoded payload.

    The hash is chosen by the payload's `version`; a signature made with another hash fails.
    The payload is parsed only to learn the version (pass `decoded` if it already was);
    nothing in it is trusted before the comparison succeeds.
    """
    payload = decode_data(data) if decoded is None else decoded
    expected = sign(private_key, data, payload_version(payload))
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise SignatureError("signature mismatch")
    return payload


def expiry_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")

    result: str | None = None
    status: str | None = None
    err_code: str | None = None
    err_description: str | None = None


class InvoiceAnswer(_Answer):
    href: str | None = None
    id: int | str | None = None
    token: str | None = None
    order_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


class CancelAnswer(_Answer):
    invoice_id: int | str | None = None


class StatusAnswer(_Answer):
    order_id: str | None = None
    payment_id: int | str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    sender_card_mask2: str | None = None
    sender_card_bank: str | None = None
    sender_card_type: str | None = None
    rrn_debit: int | str | None = None
    authcode_debit: int | str | None = None
    paytype: str | None = None
    create_date: int | None = None
    end_date: int | None = None

    refund_amount: Decimal | None = None  # cumulative refunded sum, after a refund
    refund_date_last: int | str | None = None

    @property
    def paid_at(self) -> datetime | None:
        stamp = self.end_date or self.create_date
        return datetime.fromtimestamp(stamp / 1000, UTC) if stamp else None

    @property
    def refunded_kopecks(self) -> int:
        return payload_refunded_kopecks({"refund_amount": self.refund_amount})

    @property
    def refunded_at(self) -> datetime | None:
        return payload_refunded_at({"refund_date_last": self.refund_date_last})


class RefundAnswer(_Answer):
    """`status` "reversed": the money went back. A partial refund may be answered `success`
    with `refund_amount` instead (see `covers`). Anything else that is not a refusal (e.g.
    `wait_reserve`) is still under way: learn the outcome from `status` or the callback."""

    action: str | None = None
    payment_id: int | str | None = None
    wait_amount: bool | None = None  # paid out of the shop's future incoming payments
    refund_amount: Decimal | None = None  # not documented here: read as the cumulative sum

    @property
    def refunded(self) -> bool:
        return self.status == "reversed"

    def covers(self, total: int) -> bool:
        """An `ok` answer of a settled payment whose `refund_amount` reaches `total` kopecks
        (the refunded sum this refund makes): the refund is done. Read as the cumulative
        sum, a `refund_amount` that is this refund's alone covers only a first refund; any
        other answer leaves the outcome to `status`."""
        if self.result != "ok" or payment_state(self.status) is not PaymentState.PAID:
            return False
        try:
            return self.refunded_kopecks >= total > 0
        except ValueError:
            return False

    @property
    def refunded_kopecks(self) -> int:
        return payload_refunded_kopecks({"refund_amount": self.refund_amount})


def payload_refunded_kopecks(payload: Mapping[str, Any]) -> int:
    """The cumulative refunded sum a status answer or a callback carries (0 when none).
    Raises ValueError for a `refund_amount` that is not an amount."""
    value = payload.get("refund_amount")
    return 0 if value is None or value == "" else from_wire(value)


def payload_refunded_at(payload: Mapping[str, Any]) -> datetime | None:
    """When the last refund was made, from `refund_date_last` in milliseconds (its format is
    not documented: anything else gives None)."""
    value = payload.get("refund_date_last")
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        return None
    try:
        stamp = int(str(value))
    except ValueError:
        return None
    return datetime.fromtimestamp(stamp / 1000, UTC) if stamp > 0 else None


_AnswerT = TypeVar("_AnswerT", bound=_Answer)


class PaymentState(StrEnum):
    AWAITING = "awaiting"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


_PAID = {"success", "sandbox", "wait_compensation", "wait_accept"}
_FAILED = {"failure", "error"}
_REFUNDED = {"reversed"}
_AWAITING = {
    "invoice_wait", "processing", "prepared", "cash_wait", "hold_wait", "wait_secure",
    "wait_reserve", "wait_lc", "wait_card", "wait_qr", "wait_sender", "try_again",
}  # fmt: skip


def payment_state(status: str | None) -> PaymentState:
    """Map a LiqPay payment status to a receipt state; unknown ones count as awaiting."""
    if status in _PAID:
        return PaymentState.PAID
    if status in _FAILED:
        return PaymentState.FAILED
    if status in _REFUNDED:
        return PaymentState.REFUNDED
    if status not in _AWAITING and not (status or "").endswith("_verify"):
        log.warning("Unknown LiqPay status %r: treated as awaiting", status)
    return PaymentState.AWAITING


def _is_refusal(answer: dict[str, Any]) -> bool:
    if answer.get("payment_id") is not None:
        return False  # a payment that failed carries err_code too: it is a status, not a refusal
    return answer.get("result") == "error" or (
        answer.get("err_code") is not None and answer.get("status") in (None, "error")
    )


class LiqPayClient:
    """One instance per process over one shared aiohttp session; keys come per call."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: str,
        *,
        timeout: float = 15.0,
        status_attempts: int = 3,
        retry_delay: float = 0.5,
    ) -> None:
        self._session = session
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._status_attempts = status_attempts
        self._retry_delay = retry_delay

    @property
    def call_timeout(self) -> float:
        """Seconds one request may take at most."""
        return float(self._timeout.total or 0)

    @property
    def longest_call(self) -> float:
        """Seconds one method may take at most: `status` with its retries and pauses."""
        attempts = self._status_attempts
        pauses = self._retry_delay * attempts * (attempts - 1) / 2
        return self.call_timeout * attempts + pauses

    @property
    def request_url(self) -> str:
        return self._api_url + "request"

    @property
    def checkout_base(self) -> str:
        return self._api_url + "3/checkout"

    @staticmethod
    def _payload(creds: Credentials, action: str, **fields: Any) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "version": creds.version,
            "public_key": creds.public_key,
            "action": action,
        }
        payload.update({k: v for k, v in fields.items() if v is not None})
        return payload

    @staticmethod
    def signed_form(creds: Credentials, payload: dict[str, Any]) -> dict[str, str]:
        data = encode_data(payload)
        return {
            "data": data,
            "signature": sign(creds.private_key.get_secret_value(), data, creds.version),
        }

    async def _call(self, creds: Credentials, payload: dict[str, Any]) -> dict[str, Any]:
        form = self.signed_form(creds, payload)
        try:
            async with self._session.post(
                self.request_url, data=form, timeout=self._timeout
            ) as resp:
                body = await resp.read()
                status = resp.status
        except TimeoutError as exc:
            raise LiqPayUnavailable("timeout") from exc
        except aiohttp.ClientError as exc:
            raise LiqPayUnavailable(type(exc).__name__) from exc
        if status >= 500:
            raise LiqPayUnavailable(f"HTTP {status}")
        try:
            answer = json.loads(body, parse_float=Decimal)
        except ValueError as exc:
            raise LiqPayUnavailable(f"HTTP {status}, body is not JSON") from exc
        if not isinstance(answer, dict):
            raise LiqPayUnavailable(f"HTTP {status}, body is not a JSON object")
        if _is_refusal(answer):
            code = str(answer.get("err_code") or "unknown")
            description = str(answer.get("err_description") or "")
            exc_type = PaymentNotFound if code == "payment_not_found" else LiqPayRefused
            raise exc_type(code, description)
        if status >= 400:
            raise LiqPayUnavailable(f"HTTP {status}")
        return answer

    async def invoice_send(
        self,
        creds: Credentials,
        *,
        order_id: str,
        amount: int,
        currency: str,
        description: str,
        expires_at: datetime,
        email: str | None = None,
        phone: str | None = None,
        server_url: str | None = None,
        language: str | None = None,
    ) -> InvoiceAnswer:
        """Ask LiqPay to deliver an invoice. Never retried: a repeat of the same order_id is
        refused by LiqPay as a duplicate; after an unavailable error ask `status` instead."""
        if (email is None) == (phone is None):
            raise ValueError("exactly one of email or phone")
        payload = self._payload(
            creds,
            "invoice_send",
            amount=to_wire(amount),
            currency=currency,
            description=description,
            order_id=order_id,
            email=email,
            phone=phone,
            expired_date=expiry_text(expires_at),
            server_url=server_url,
            language=language,
        )
        answer = await self._call(creds, payload)
        return _parse(InvoiceAnswer, answer)

    async def invoice_cancel(self, creds: Credentials, order_id: str) -> CancelAnswer:
        answer = await self._call(creds, self._payload(creds, "invoice_cancel", order_id=order_id))
        return _parse(CancelAnswer, answer)

    async def status(self, creds: Credentials, order_id: str) -> StatusAnswer:
        """Idempotent, so retried on unavailability. Raises PaymentNotFound for unseen orders."""
        payload = self._payload(creds, "status", order_id=order_id)
        for attempt in range(1, self._status_attempts + 1):
            try:
                answer = await self._call(creds, payload)
            except LiqPayUnavailable:
                if attempt == self._status_attempts:
                    raise
                await asyncio.sleep(self._retry_delay * attempt)
            else:
                return _parse(StatusAnswer, answer)
        raise AssertionError("unreachable")

    async def refund(self, creds: Credentials, *, order_id: str, amount: int) -> RefundAnswer:
        """Give `amount` kopecks of a paid order back to the customer's card (all of it or a
        part; the amount is always sent, since an omitted one means "everything").

        Sent exactly once, never retried: after LiqPayUnavailable (a timeout above all) the
        refund may have been made, so ask `status` and compare its `refund_amount` with what
        was refunded before deciding to send another. LiqPayRefused means LiqPay made no
        refund: an over-refund, an unpaid order, a failure answer."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValueError("a refund is a positive number of kopecks")
        payload = self._payload(creds, "refund", order_id=order_id, amount=to_wire(amount))
        answer = _parse(RefundAnswer, await self._call(creds, payload))
        if answer.refunded:
            return answer  # whatever else it says, the money went back: never look again
        if answer.result == "error" or answer.status in _FAILED:
            raise LiqPayRefused(
                answer.err_code or answer.status or "unknown", answer.err_description or ""
            )
        if payment_state(answer.status) is PaymentState.PAID:  # a partial refund, maybe
            log.info("LiqPay refund of %s answered %r", order_id, answer.status)
        else:
            log.warning("LiqPay refund of %s answered %r: not final yet", order_id, answer.status)
        return answer

    def checkout_url(
        self,
        creds: Credentials,
        *,
        order_id: str,
        amount: int,
        currency: str,
        description: str,
        expires_at: datetime,
        server_url: str | None = None,
        language: str | None = None,
    ) -> str:
        payload = self._payload(
            creds,
            "pay",
            amount=to_wire(amount),
            currency=currency,
            description=description,
            order_id=order_id,
            expired_date=expiry_text(expires_at),
            server_url=server_url,
            language=language,
        )
        return self.checkout_base + "?" + urlencode(self.signed_form(creds, payload))


def _parse(model: type[_AnswerT], answer: dict[str, Any]) -> _AnswerT:
    try:
        return model.model_validate(answer)
    except ValidationError as exc:
        raise LiqPayUnavailable("answer has an unexpected shape") from exc
