"""Credential encryption at rest: Fernet under AISPEND_SECRET_KEY, several keys for rotation.

Keys are given newest first; decryption tries each (MultiFernet), encryption uses the newest.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from warehouse.errors import UserError


class SecretKeyError(UserError):
    pass


def generate_key() -> str:
    return Fernet.generate_key().decode()


def _fernet(keys: Sequence[str]) -> MultiFernet:
    if not keys:
        raise SecretKeyError(
            "AISPEND_SECRET_KEY is not set; run `aispend init` or set it to a Fernet key"
        )
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise SecretKeyError(
            "AISPEND_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from exc


def encrypt(keys: Sequence[str], plaintext: str) -> str:
    return _fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt(keys: Sequence[str], token: str) -> str:
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretKeyError(
            "a stored credential cannot be decrypted with the configured AISPEND_SECRET_KEY"
        ) from exc


def rotate(keys: Sequence[str], token: str) -> str:
    """Re-encrypt a token under the newest key."""
    try:
        return _fernet(keys).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretKeyError(
            "a stored credential cannot be decrypted with any configured key"
        ) from exc


MASK = "••••"


def mask(value: str) -> str:
    """The only readable form of a secret outside the connector call: ••••last4 (short ones: ••••)."""
    return MASK + value[-4:] if len(value) >= 8 else MASK
