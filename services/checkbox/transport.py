"""Checkbox over HTTP: headers, the per-call timeout, typed errors, and one reused token per
credentials (a cashier holds at most 10 live tokens, so a sale never signs in by itself
unless Checkbox says the token is invalid).

X-License-Key goes with every call: required on some, harmless on the rest, and which ones
need it is not settled for all.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import aiohttp

from services.checkbox import wire
from services.fiscal.registrar import (
    FiscalCredentials,
    FiscalRefused,
    FiscalUnavailable,
    RefusalReason,
)

log = logging.getLogger(__name__)

CLIENT_NAME = "liqpay-invoice-bot"
_NO_ANSWER = object()


def package_version() -> str:
    try:
        return version("liqpay-invoice-bot")
    except PackageNotFoundError:
        return "0"


def credentials_key(creds: FiscalCredentials) -> str:
    """What the token cache is keyed by: a hash, so no secret sits in a dict key or a log."""
    raw = creds.license_key.get_secret_value() + "\0" + creds.pin_code.get_secret_value()
    return hashlib.sha256(raw.encode()).hexdigest()


def keyed_lock(locks: dict[str, asyncio.Lock], key: str) -> asyncio.Lock:
    return locks.setdefault(key, asyncio.Lock())


class CheckboxTransport:
    """Calls Checkbox; `authed` signs in when no token is cached and, once, when the cached
    token is refused."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: str,
        *,
        timeout: float,
        client_name: str = CLIENT_NAME,
        client_version: str | None = None,
    ) -> None:
        self._session = session
        self.base = api_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._headers = {
            "X-Client-Name": client_name,
            "X-Client-Version": client_version or package_version(),
        }
        self._tokens: dict[str, str] = {}
        self._token_locks: dict[str, asyncio.Lock] = {}

    async def request(
        self,
        method: str,
        path: str,
        creds: FiscalCredentials,
        *,
        token: str | None = None,
        body: Any = None,
        signing_in: bool = False,
        raw: bool = False,
    ) -> Any:
        headers = dict(self._headers)
        headers["X-License-Key"] = creds.license_key.get_secret_value()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            async with self._session.request(
                method,
                self.base + path,
                json=body,
                headers=headers,
                timeout=self._timeout,
            ) as resp:
                status, content = resp.status, await resp.read()
        except TimeoutError as exc:
            raise FiscalUnavailable("timeout") from exc
        except aiohttp.ClientError as exc:
            raise FiscalUnavailable(type(exc).__name__) from exc
        if status >= 500 or status in (408, 429):
            raise FiscalUnavailable(f"HTTP {status}")
        if raw and status < 400:
            return content
        try:
            answer = json.loads(content, parse_float=Decimal) if content else _NO_ANSWER
        except ValueError as exc:
            raise FiscalUnavailable(f"HTTP {status}, body is not JSON") from exc
        if status >= 400:
            message = wire.error_message(answer)
            reason = wire.refusal_reason(status, message, signing_in=signing_in)
            raise FiscalRefused(reason, message, status)
        if answer is _NO_ANSWER:
            raise FiscalUnavailable(f"HTTP {status}, empty body")
        return answer

    # sign-in

    async def _sign_in(self, creds: FiscalCredentials, key: str) -> str:
        answer = await self.request(
            "POST",
            "/api/v1/cashier/signinPinCode",
            creds,
            body={"pin_code": creds.pin_code.get_secret_value()},
            signing_in=True,
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise FiscalUnavailable("sign-in answer without a token")
        self._tokens[key] = token
        log.info("Signed in to Checkbox (credentials %s)", key[:8])
        return token

    async def _token(self, creds: FiscalCredentials, rejected: str | None = None) -> str:
        key = credentials_key(creds)
        async with keyed_lock(self._token_locks, key):
            token = self._tokens.get(key)
            if token is not None and token != rejected:
                return token
            self._tokens.pop(key, None)
            return await self._sign_in(creds, key)

    async def authed(
        self, method: str, path: str, creds: FiscalCredentials, body: Any = None
    ) -> Any:
        token = await self._token(creds)
        try:
            return await self.request(method, path, creds, token=token, body=body)
        except FiscalRefused as exc:
            if exc.reason is not RefusalReason.INVALID_TOKEN:
                raise
            log.info("Checkbox refused the token (HTTP %s): signing in again", exc.http_status)
        token = await self._token(creds, rejected=token)
        return await self.request(method, path, creds, token=token, body=body)

    def token(self, creds: FiscalCredentials) -> str | None:
        """The token in use for these credentials (to keep it for restarts and replicas)."""
        return self._tokens.get(credentials_key(creds))

    def seed_token(self, creds: FiscalCredentials, token: str) -> None:
        """Use a token kept from before (a restart, another replica) instead of signing in;
        one already in use here wins. A stale one is replaced on Checkbox's first refusal."""
        self._tokens.setdefault(credentials_key(creds), token)

    async def sign_in_now(self, creds: FiscalCredentials) -> None:
        """Sign in even with a token cached (the owner is checking the credentials)."""
        key = credentials_key(creds)
        async with keyed_lock(self._token_locks, key):
            await self._sign_in(creds, key)
