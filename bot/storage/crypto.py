"""Encryption at rest for the columns that hold people's own words (see docs/SECURITY.md).

A column typed `EncryptedText` is TEXT in the database. With a key ring installed, every value written to it
is a Fernet token behind a version marker (`fernet:`); without one it is written as plain text, so the demo
needs no set-up. Reading accepts both, so rows written before a key was set still read; `coachbot db
rotate-key` then encrypts them, and re-encrypts older tokens with the newest key.

The key ring is process-wide: the first key encrypts, every key decrypts. Keys are never logged and never
appear in an error message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, Text, select, type_coerce, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.config import ConfigError

ENCRYPTED = "fernet:"  # then a Fernet token (url-safe base64, so never a colon in it)
PLAIN = "plain:"  # plain text that would otherwise look like one of these markers
ROTATE_BATCH = 500

WRONG_KEY = ("cannot decrypt stored data: the encryption key doesn't match; check security.encryption_keys "
             "(or COACHBOT_ENCRYPTION_KEYS)")
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


def _current(stored: str) -> bool:
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


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) for every encrypted column, in table order."""
    from bot.storage.schema import metadata

    return [(table.name, column.name) for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, EncryptedText)]


def rotate(db: Engine, *, batch: int = ROTATE_BATCH) -> dict[str, int]:
    """Re-encrypt every encrypted column with the newest key (plain text included); returns rows written per
    "table.column". Safe beside a running bot: a row is only written if it still holds what was read, so a
    value the bot changed meanwhile (already with the newest key, if the bot has the new keys) is left alone."""
    from bot.storage.schema import metadata

    if _ring is None:
        raise EncryptionKeyError("no encryption key is configured, so there is nothing to encrypt with; put the "
                                 "new key first in security.encryption_keys (make one with `coachbot db new-key`)")
    written: dict[str, int] = {}
    for table_name, column_name in encrypted_columns():
        table = metadata.tables[table_name]
        raw = type_coerce(table.c[column_name], Text)  # the stored text, not decrypted
        key = table.c.id
        count, last = 0, None
        while True:
            query = select(key, raw).where(raw.is_not(None)).order_by(key).limit(batch)
            if last is not None:
                query = query.where(key > last)
            with db.begin() as conn:
                rows: Sequence[Any] = conn.execute(query).all()
                for row_id, stored in rows:
                    if _current(stored):
                        continue
                    fresh = encrypt(decrypt(stored))
                    changed = conn.execute(update(table).where(key == row_id, raw == stored)
                                           .values({column_name: type_coerce(fresh, Text)}))
                    count += changed.rowcount
            if len(rows) < batch:
                break
            last = rows[-1][0]
        written[f"{table_name}.{column_name}"] = count
    if db.dialect.name == "sqlite":
        # The old values' pages (zeroed in the file by secure_delete) may still be in the write-ahead log.
        with db.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return written
