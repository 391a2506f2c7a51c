"""Encryption of stored secrets (LiqPay private keys, SMS tokens) with Fernet."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

log = logging.getLogger(__name__)

KEY_FILE_NAME = "secret.key"


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._mac_key = hashlib.sha256(b"fingerprint:" + key).digest()

    def fingerprint(self, secret: str) -> str:
        """A keyed hash that tells one secret from another (e.g. which register a license key
        is) without keeping it: HMAC-SHA256 under a key derived from this box's key."""
        return hmac.new(self._mac_key, secret.encode(), hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(token).decode()
        except InvalidToken as exc:
            raise SecretKeyMismatch from exc

    def __repr__(self) -> str:
        return "SecretBox(***)"


class SecretKeyMismatch(Exception):
    """A stored secret can't be decrypted: SECRET_KEY changed since it was saved."""

    def __init__(self) -> None:
        super().__init__("stored secret cannot be decrypted with the current SECRET_KEY")


def fernet_key_from_setting(secret: str) -> bytes:
    """A Fernet key as is; any other string is stretched into one with SHA-256."""
    raw = secret.strip().encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (binascii.Error, ValueError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest())


def load_or_create_key(directory: Path) -> bytes:
    """Read the key file beside the database, creating it (mode 0600) on first start."""
    path = directory / KEY_FILE_NAME
    if path.exists():
        return path.read_bytes().strip()
    directory.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    log.info("Generated a new secret key file at %s (mode 0600); keep it with the database", path)
    return key


def make_secret_box(secret_key: str | None, database_dir: Path) -> SecretBox:
    if secret_key:
        return SecretBox(fernet_key_from_setting(secret_key))
    return SecretBox(load_or_create_key(database_dir))
