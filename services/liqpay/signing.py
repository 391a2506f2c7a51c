"""LiqPay's signatures: base64(H(private + data + private)) over the base64 `data` string
exactly as sent; H is SHA-1 for API version 3, SHA3-256 for 7. See ../shared/reference/liqpay.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

SUPPORTED_VERSIONS = (3, 7)
DEFAULT_VERSION = 3


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
