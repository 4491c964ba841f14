"""Encryption at rest for the columns that hold people's own words (see docs/SECURITY.md).

A column typed `EncryptedText` is TEXT in the database. With a key ring installed, every value written to it
is a Fernet token behind a version marker (`fernet:`); without one it is written as plain text, so the demo
needs no set-up. Reading accepts both, so rows written before a key was set still read; `coachbot db
rotate-key` then encrypts them, and re-encrypts older tokens with the newest key.

The key ring is process-wide: the first key encrypts, every key decrypts. Keys are never logged and never
appear in an error message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.config import ConfigError

ENCRYPTED = "fernet:"  # then a Fernet token (url-safe base64, so never a colon in it)
PLAIN = "plain:"  # plain text that would otherwise look like one of these markers
ROTATE_BATCH = 500

# not said: the operator's errors
WRONG_KEY = ("cannot decrypt stored data: the encryption key doesn't match; check security.encryption_keys "
             "(or COACHBOT_ENCRYPTION_KEYS)")
# not said: the operator's errors
NO_KEY = ("cannot decrypt stored data: it is encrypted but no encryption key is configured; set "
          "security.encryption_keys (or COACHBOT_ENCRYPTION_KEYS)")


class EncryptionKeyError(ConfigError):
    """Stored data can't be read with the configured keys: the operator's to fix, so one clear line."""


@dataclass(frozen=True)
class KeyRing:
    newest: Fernet
    all: MultiFernet
    count: int

    def __repr__(self) -> str:  # never the keys
        return f"KeyRing({self.count} keys)"


_ring: KeyRing | None = None


def make_key() -> str:
    """A fresh random key, as the text that goes in security.encryption_keys."""
    return Fernet.generate_key().decode("ascii")


def install_keys(keys: Iterable[str]) -> None:
    """Set the process-wide key ring, newest key first; no keys at all means values are stored as plain text."""
    global _ring
    fernets = [Fernet(k.encode("ascii")) for k in keys]
    _ring = KeyRing(newest=fernets[0], all=MultiFernet(fernets), count=len(fernets)) if fernets else None


def encrypt(value: str) -> str:
    """What goes into the column: a marked token with a key ring, otherwise the text itself."""
    if _ring is None:
        return PLAIN + value if value.startswith((ENCRYPTED, PLAIN)) else value
    return ENCRYPTED + _ring.newest.encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    """What the column holds, back as text: a token is decrypted with any key; anything else is plain text."""
    if stored.startswith(PLAIN):
        return stored.removeprefix(PLAIN)
    if not stored.startswith(ENCRYPTED):
        return stored  # written before encryption was switched on
    if _ring is None:
        raise EncryptionKeyError(NO_KEY)
    try:
        return _ring.all.decrypt(stored.removeprefix(ENCRYPTED).encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise EncryptionKeyError(WRONG_KEY) from None


def has_keys() -> bool:
    """A key ring is installed, so there is something to encrypt with."""
    return _ring is not None


def is_current(stored: str) -> bool:
    """Already encrypted with the newest key: nothing for a rotation to do."""
    if _ring is None or not stored.startswith(ENCRYPTED):
        return False
    try:
        _ring.newest.decrypt(stored.removeprefix(ENCRYPTED).encode("ascii"))
    except InvalidToken:
        return False
    return True


class EncryptedText(TypeDecorator[str]):
    """TEXT in the database; encrypted with the installed key ring on the way in, decrypted on the way out.

    Tokens are random, so never compare such a column with a value in SQL: equality can't match.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(str(value))
