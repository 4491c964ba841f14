"""Files that hold people's data or its key are the operator's alone: created 0600, tightened if found looser.

With no key configured, the embedded SQLite default still encrypts: a key is generated once into a key file next
to the database (`coachbot.db.key`) and used from then on. Losing that file loses what it encrypted, so `coachbot
doctor` says where it is. A configured key (security.encryption_keys) always takes its place.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from bot.config import Config, ConfigError
from bot.storage.crypto import make_key

log = logging.getLogger(__name__)

KEY_SUFFIX = ".key"
PRIVATE = 0o600
WRITER_WAITS = 40


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and for an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


def key_file_for(url: str) -> Path | None:
    """Where the generated key lives: next to the SQLite file. PostgreSQL has no such default."""
    database = sqlite_file(url)
    return None if database is None else database.with_name(database.name + KEY_SUFFIX)


def make_private(path: Path) -> None:
    """Create the file empty and 0600 if it isn't there; take away group and other access if it is."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE))
        return
    except FileExistsError:
        pass
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & 0o700)
        log.warning("%s was readable by others (mode %o); made it private to its owner", path.name, mode)


def _read_key(path: Path) -> str:
    make_private(path)
    key = path.read_text(encoding="ascii").strip()
    for _ in range(WRITER_WAITS):  # another worker starting at the same moment may still be writing it
        if key:
            break
        time.sleep(0.05)
        key = path.read_text(encoding="ascii").strip()
    try:
        Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ConfigError(f"the key file {path} doesn't hold an encryption key; restore it from where you keep its "
                          "copy (without it the encrypted data can't be read)") from None
    return key


def _new_key(path: Path) -> str:
    key = make_key()
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())
    log.warning("no encryption key configured: generated one into %s; keep a copy somewhere safe, losing it loses "
                "the data it encrypts", path)
    return key


def generated_key_file(config: Config) -> Path | None:
    """The key file this config uses: none when keys are configured, generation is off, or it isn't SQLite."""
    if config.security.encryption_keys or not config.security.generate_key:
        return None
    return key_file_for(config.database.url)


def encryption_keys(config: Config) -> list[str]:
    """The keys to install, newest first: the configured ones, or else the generated key of a SQLite database."""
    configured = [key.get_secret_value() for key in config.security.encryption_keys]
    path = generated_key_file(config)
    if configured or path is None:
        return configured
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return [_new_key(path)]
    except FileExistsError:
        return [_read_key(path)]
