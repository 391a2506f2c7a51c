"""TurboSMS JSON API: sending a payment link by SMS (../shared/reference/turbosms.md)."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway answered and did not send (bad token, unknown sender, bad number...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"SMS not sent: {reason}")
        self.reason = reason


class SmsUnavailable(SmsError):
    """Not sent: no connection to the gateway, or it answered 5xx or with a body that is not
    JSON (see SmsMaybeSent for the cases where it may have been sent after all)."""


class SmsMaybeSent(SmsUnavailable):
    """The request went out and no readable answer came back (a timeout, a dropped
    connection, a 2xx body that is not JSON): the gateway may have sent the SMS, so it must
    not be sent again without a person deciding to."""


class TurboSmsClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, timeout: float = 15) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        # A connect timeout of its own, so that running out of time before the request
        # could go out (ConnectionTimeoutError) is told apart from after (TimeoutError).
        self._timeout = aiohttp.ClientTimeout(total=timeout, connect=timeout / 3)

    async def _post(self, path: str, token: str, body: dict[str, Any] | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            async with self._session.post(
                self._base + path, json=body or {}, headers=headers, timeout=self._timeout
            ) as resp:
                status, raw = resp.status, await resp.read()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            raise SmsUnavailable(type(exc).__name__) from exc  # it never reached the gateway
        except TimeoutError as exc:
            raise SmsMaybeSent("timeout") from exc
        except aiohttp.ClientError as exc:  # e.g. the connection dropped while waiting
            raise SmsMaybeSent(type(exc).__name__) from exc
        if status >= 500:
            raise SmsUnavailable(f"HTTP {status}")
        try:
            answer = json.loads(raw, parse_float=Decimal)
        except ValueError as exc:
            if status < 400:
                raise SmsMaybeSent("body is not JSON") from exc
            raise SmsUnavailable("body is not JSON") from exc
        if status >= 400 or not isinstance(answer, dict):
            reason = answer.get("response_status") if isinstance(answer, dict) else None
            raise SmsError(str(reason or f"HTTP {status}"))
        return answer

    async def balance(self, token: str) -> Decimal:
        """Cheap call that proves a token works."""
        answer = await self._post("/user/balance.json", token, None)
        result = answer.get("response_result")
        if not isinstance(result, dict) or "balance" not in result:
            raise SmsError(str(answer.get("response_status") or "no balance in answer"))
        return Decimal(str(result["balance"]))

    async def send(self, token: str, sender: str, phone: str, text: str) -> str:
        """Send one SMS; return the gateway's message id or raise SmsError."""
        body = {"recipients": [phone], "sms": {"sender": sender, "text": text}}
        answer = await self._post("/message/send.json", token, body)
        results = answer.get("response_result")
        first = results[0] if isinstance(results, list) and results else None
        if not isinstance(first, dict) or not first.get("message_id"):
            reason = (first or {}).get("response_status") if isinstance(first, dict) else None
            raise SmsError(str(reason or answer.get("response_status") or "no message id"))
        return str(first["message_id"])
