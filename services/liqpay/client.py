"""Async LiqPay client: server calls and checkout links over one shared aiohttp session.

See ../shared/reference/liqpay.md; signing is in signing.py, the answers in answers.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from pydantic import ValidationError

from services.core.money import to_wire
from services.liqpay.answers import (
    CancelAnswer,
    InvoiceAnswer,
    LiqPayAnswer,
    RefundAnswer,
    StatusAnswer,
)
from services.liqpay.reports import Archive, ms, parse_archive
from services.liqpay.signing import Credentials, encode_data, sign
from services.liqpay.statuses import FAILED_STATUSES, PaymentState, payment_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InvoiceGoods:
    """One line of an invoice's `goods` (what the customer reads on LiqPay's page): LiqPay
    multiplies `amount` (the unit price) by `count`, so price × quantity is a whole number of
    kopecks here (services/invoices/goods.py makes sure)."""

    price: int  # kopecks per unit
    quantity: int  # thousandths
    unit: str  # LiqPay's unit name
    name: str

    def wire(self) -> dict[str, Any]:
        whole, part = divmod(self.quantity, 1000)
        count: int | str = whole if part == 0 else f"{whole}.{part:03d}".rstrip("0")
        return {"amount": to_wire(self.price), "count": count, "unit": self.unit, "name": self.name}


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


def expiry_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


_AnswerT = TypeVar("_AnswerT", bound=LiqPayAnswer)


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
        goods: Sequence[InvoiceGoods] = (),
    ) -> InvoiceAnswer:
        """Ask LiqPay to deliver an invoice (with its `goods` lines when given: they add up
        to `amount`). Never retried: a repeat of the same order_id is refused by LiqPay as a
        duplicate; after an unavailable error ask `status` instead."""
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
            goods=[line.wire() for line in goods] or None,
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

    async def reports(self, creds: Credentials, *, since: datetime, until: datetime) -> Archive:
        """The payments archive over [since, until] (services/liqpay/reports.py); read-only,
        so retried like `status`. LiqPayUnavailable also for an answer that is not sane as
        a whole (a row that is not is skipped and counted in `Archive.unreadable`)."""
        payload = self._payload(creds, "reports", date_from=ms(since), date_to=ms(until))
        for attempt in range(1, self._status_attempts + 1):
            try:
                answer = await self._call(creds, payload)
            except LiqPayUnavailable:
                if attempt == self._status_attempts:
                    raise
                await asyncio.sleep(self._retry_delay * attempt)
            else:
                try:
                    return parse_archive(answer)
                except ValueError as exc:
                    raise LiqPayUnavailable(str(exc)) from None
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
        if answer.result == "error" or answer.status in FAILED_STATUSES:
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
