"""A local stand-in for the TurboSMS JSON API (/work/shared/reference/turbosms.md).

`POST /message/send.json` and `GET|POST /user/balance.json`, authorised by
`Authorization: Bearer <token>` (or `?token=`). A token not in `tokens` gets HTTP 401 with
TurboSMS-shaped JSON. Numbers that are not 12 digits starting with 380 are refused per
recipient (no message_id), and a sender not registered for the token is refused.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

from tests.doubles.server import LocalServer


@dataclass
class SentSms:
    recipients: list[str]
    sender: str
    text: str
    token: str
    message_ids: list[str | None]
    at: float = field(default_factory=time.time)


@dataclass
class _Account:
    balance: Decimal
    senders: set[str] | None  # None: any alpha name is accepted


class FakeTurboSMS(LocalServer[tuple[str, str, Any]]):  # (path, token, body)
    def __init__(self) -> None:
        super().__init__()
        self.tokens: dict[str, _Account] = {}
        self.sent: list[SentSms] = []
        self.down = False
        self.delay = 0.0
        self._failures: list[tuple[int, Any]] = []
        self._seq = itertools.count(1)

    def make_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/message/send.json", self._send)
        app.router.add_route("*", "/user/balance.json", self._balance)
        return app

    def add_token(
        self, token: str, *, balance: Decimal | float = 100, senders: set[str] | None = None
    ) -> None:
        """Accept `token`; `senders` limits the alpha names it may use (None: any)."""
        self.tokens[token] = _Account(Decimal(str(balance)), senders)

    def fail_next(self, status: int = 500, body: Any = None, *, times: int = 1) -> None:
        """The next `times` requests get `status` (dict body: JSON; str or None: text)."""
        self._failures.extend([(status, body)] * times)

    def sent_to(self, phone: str) -> list[SentSms]:
        return [s for s in self.sent if phone in s.recipients]

    async def wait_for_sms(self, phone: str, timeout: float = 10) -> SentSms:
        deadline = time.monotonic() + timeout
        while True:
            found = self.sent_to(phone)
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no SMS to {phone} within {timeout} s; sent: "
                    f"{[(s.recipients, s.text) for s in self.sent]}"
                )
            await asyncio.sleep(0.05)

    # server

    async def _prelude(self, request: web.Request) -> tuple[str, _Account] | web.Response:
        if self.down:
            return web.Response(status=503, text="<html>503 Service Unavailable</html>")
        if self.delay:
            await asyncio.sleep(self.delay)
        if self._failures:
            status, body = self._failures.pop(0)
            if isinstance(body, dict):
                return web.json_response(body, status=status)
            return web.Response(status=status, text=body or f"<html>{status}</html>")
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        token = token or request.query.get("token", "")
        account = self.tokens.get(token)
        if account is None:
            code, status_text = (103, "REQUIRED_TOKEN") if not token else (104, "INVALID_TOKEN")
            return web.json_response(
                {"response_code": code, "response_status": status_text, "response_result": None},
                status=401,
            )
        return token, account

    async def _balance(self, request: web.Request) -> web.Response:
        pre = await self._prelude(request)
        if isinstance(pre, web.Response):
            self.requests.append(("/user/balance.json", "", None))
            return pre
        token, account = pre
        self.requests.append(("/user/balance.json", token, None))
        return web.json_response(
            {
                "response_code": 0,
                "response_status": "OK",
                "response_result": {"balance": float(account.balance)},
            }
        )

    async def _send(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        pre = await self._prelude(request)
        if isinstance(pre, web.Response):
            self.requests.append(("/message/send.json", "", body))
            return pre
        token, account = pre
        self.requests.append(("/message/send.json", token, body))
        if not isinstance(body, dict):
            return _fail(400, 201, "REQUIRED_CONTENT")
        recipients = body.get("recipients")
        sms = body.get("sms")
        if not isinstance(recipients, list) or not recipients:
            return _fail(400, 202, "REQUIRED_RECIPIENTS")
        if not isinstance(sms, dict) or not str(sms.get("text") or ""):
            return _fail(400, 205, "REQUIRED_SMS_TEXT")
        sender = str(sms.get("sender") or "")
        if not sender:
            return _fail(400, 204, "REQUIRED_SMS_SENDER")
        if account.senders is not None and sender not in account.senders:
            return _fail(400, 206, "INVALID_SMS_SENDER")
        if account.balance <= 0:
            return _fail(400, 303, "NOT_ENOUGH_MONEY")
        results: list[dict[str, Any]] = []
        ids: list[str | None] = []
        for phone in recipients:
            phone = str(phone)
            if phone.isdigit() and len(phone) == 12 and phone.startswith("380"):
                message_id = str(uuid.UUID(int=next(self._seq)))
                account.balance -= Decimal("0.8")
                results.append(
                    {
                        "phone": phone,
                        "response_code": 0,
                        "message_id": message_id,
                        "response_status": "OK",
                    }
                )
                ids.append(message_id)
            else:
                results.append(
                    {
                        "phone": phone,
                        "response_code": 406,
                        "message_id": None,
                        "response_status": "NOT_ALLOWED_RECIPIENT_COUNTRY",
                    }
                )
                ids.append(None)
        self.sent.append(
            SentSms([str(r) for r in recipients], sender, str(sms["text"]), token, ids)
        )
        return web.json_response(
            {"response_code": 0, "response_status": "OK", "response_result": results}
        )


def _fail(http_status: int, code: int, status: str) -> web.Response:
    return web.json_response(
        {"response_code": code, "response_status": status, "response_result": None},
        status=http_status,
    )
