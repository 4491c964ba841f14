"""Storage: migrations match the schema, times stay UTC, and lost updates are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.storage import store
from bot.storage.db import current_revision, open_engine, upgrade
from bot.storage.schema import metadata
from bot.types import ConversationKey


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # a second start-up is a no-op
    assert current_revision(engine) is not None
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    assert {"coaches", "coachees", "invites", "conversations", "answers", "scale_readings", "inbound_receipts",
            "outbox", "safety_events", "sessions", "identities"} <= set(inspect(engine).get_table_names())


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db_url: str) -> None:
    engine = open_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_times_come_back_aware_and_in_utc(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    paris = timezone(timedelta(hours=1))
    with engine.begin() as conn:
        coach = store.add_coach(conn, name="C", at=datetime(2026, 11, 20, 10, 0, tzinfo=paris))
        coachee = store.add_coachee(conn, coach_id=coach.id, name="E", at=datetime.now(UTC))
        store.add_session(conn, coachee_id=coachee.id, at=datetime(2026, 12, 1, 10, 0, tzinfo=paris),
                          timezone="Europe/Paris", number=None)
        (session,) = store.list_sessions(conn, coachee_id=coachee.id)
    assert session.at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert session.number == 1


def test_a_lost_update_is_an_error_not_a_silent_overwrite(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    key = ConversationKey(transport="memory", user="u", chat="u")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        created = store.create_conversation(conn, key, coachee_id=None, at=now)
        store.save_conversation(conn, created, at=now)
        with pytest.raises(store.StaleConversation):
            store.save_conversation(conn, created, at=now)


def test_invites_are_single_use_and_expire(db_url: str) -> None:
    engine = open_engine(db_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        coach = store.add_coach(conn, name="C", at=now)
        code = store.create_invite(conn, coach_id=coach.id, at=now, valid_for=timedelta(days=14))
        old = store.create_invite(conn, coach_id=coach.id, at=now - timedelta(days=15), valid_for=timedelta(days=14))
        assert len(code) >= 16
        assert store.redeem_invite(conn, code=code, at=now) == coach.id
        assert store.redeem_invite(conn, code=code, at=now) is None
        assert store.redeem_invite(conn, code=old, at=now) is None
