"""Telegram's initData, signed as Telegram signs it (for the tests' Mini App calls)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import urlencode

TOKEN = "42:TEST-token-abcdefghijklmnopqrstu"


def sign_init_data(
    user_id: int,
    auth_date: datetime,
    *,
    token: str = TOKEN,
    language: str = "uk",
    extra: dict[str, str] | None = None,
) -> str:
    user = {"id": user_id, "first_name": f"User {user_id}", "language_code": language}
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "query_id": "AAE-test",
        "user": json.dumps(user, separators=(",", ":")),
        **(extra or {}),
    }
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
