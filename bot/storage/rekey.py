"""`coachbot db rotate-key`: re-encrypt every encrypted column with the newest key.

Apart from crypto so that the column type knows nothing of the schema that uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Text, select, type_coerce, update

from bot.storage.crypto import (
    ROTATE_BATCH,
    EncryptedText,
    EncryptionKeyError,
    decrypt,
    encrypt,
    has_keys,
    is_current,
)
from bot.storage.schema import metadata

__all__ = ["encrypted_columns", "rotate"]


def encrypted_columns() -> list[tuple[str, str]]:
    """(table, column) for every encrypted column, in table order."""
    return [(table.name, column.name) for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, EncryptedText)]


def rotate(db: Engine, *, batch: int = ROTATE_BATCH) -> dict[str, int]:
    """Re-encrypt every encrypted column with the newest key (plain text included); returns rows written per
    "table.column". Safe beside a running bot: a row is only written if it still holds what was read, so a
    value the bot changed meanwhile (already with the newest key, if the bot has the new keys) is left alone."""
    if not has_keys():
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
                    if is_current(stored):
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
