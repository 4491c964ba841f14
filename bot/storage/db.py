"""Opening the database: engine, SQLite pragmas, and Alembic migrations applied at start-up."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bot.storage.keyfile import make_private

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Deleted rows are overwritten with zeros, so an erased person's text does not linger in freed pages.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def open_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the SQLAlchemy engine; SQLite gets WAL, foreign keys, a busy timeout and secure_delete."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            make_private(path)  # SQLite gives its -wal and -shm files the database file's mode
        engine = create_engine(url, echo=echo, hide_parameters=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: a failed statement's error (which the engine logs) must not carry an answer's text.
    return create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True)


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config is an ini file: a literal % (an encoded password, options=-csearch_path%3D...) must be %%.
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


@functools.cache
def _heads() -> frozenset[str]:
    """The migrations' head revisions; the scripts don't change while the process runs."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())


def upgrade(engine: Engine) -> None:
    """Bring the schema up to date. Safe to call at every start: it does nothing when current."""
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        if frozenset(MigrationContext.configure(conn).get_current_heads()) == _heads():
            return  # the usual start-up: already at head, so skip loading and running Alembic's environment
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def at_head(engine: Engine) -> bool:
    """Whether the schema is at the latest migration (readiness: a worker on an old schema must not serve)."""
    with engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads()) == _heads()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


__all__ = ["NullPool", "at_head", "current_revision", "open_engine", "upgrade"]
