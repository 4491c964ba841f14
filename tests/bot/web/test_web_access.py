"""Sign-in links and sessions in the database: a link claimed once, a session kept open by use, and the daily
retention job deleting links and sessions a day after they stopped working."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.storage import schema as t
from bot.storage import store
from bot.storage.db import open_engine, upgrade
from bot.storage.web_access import (
    create_link,
    end_session,
    open_session,
    purge_web_access,
    redeem_link,
    session_coach,
)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)


def test_links_work_once_sessions_follow_use_and_old_ones_are_deleted(db_url: str) -> None:
    db = open_engine(db_url)
    upgrade(db)
    with db.begin() as conn:
        coach = store.add_coach(conn, name="Alex Coach", at=NOW)
        token = create_link(conn, coach_id=coach.id, at=NOW)
        unused = create_link(conn, coach_id=coach.id, at=NOW)
        assert redeem_link(conn, token=token, at=NOW + timedelta(minutes=9)) == coach.id
        assert redeem_link(conn, token=token, at=NOW + timedelta(minutes=9)) is None
        assert redeem_link(conn, token=unused, at=NOW + timedelta(minutes=10)) is None
        kept = open_session(conn, coach_id=coach.id, at=NOW)
        ended = open_session(conn, coach_id=coach.id, at=NOW)
        idle = open_session(conn, coach_id=coach.id, at=NOW)
        assert end_session(conn, token=ended, at=NOW) and not end_session(conn, token=ended, at=NOW)
        assert session_coach(conn, token=ended, at=NOW, idle=IDLE) is None
        later = NOW + timedelta(days=1, minutes=20)
        for step in range(0, 24 * 60 + 21, 20):  # kept in use every 20 minutes for a day
            assert session_coach(conn, token=kept, at=NOW + timedelta(minutes=step), idle=IDLE) == coach.id
        assert session_coach(conn, token=idle, at=later, idle=IDLE) is None
        assert purge_web_access(conn, now=later + IDLE, idle=IDLE) == 4  # both links, the ended and the idle one
        assert conn.execute(select(func.count()).select_from(t.web_signin_links)).scalar_one() == 0
        assert session_coach(conn, token=kept, at=later + IDLE - timedelta(minutes=1), idle=IDLE) == coach.id
    db.dispose()
