"""Peer coaching groups in the database: groups, members and the rotation's sessions, on the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, delete, func, insert, select, update

from bot.planning import PlannedJob
from bot.storage import schema as t
from bot.storage.jobs import add_jobs
from bot.storage.records import Record
from bot.storage.store import NotFound

RunColumn = Literal["prep_run", "commit_run", "feedback_run"]
GroupSessionStatus = Literal["planned", "done", "cancelled"]


class Group(Record):
    id: int
    coach_id: int
    name: str
    every_days: int
    start_at: datetime
    timezone: str
    created_at: datetime


class Member(Record):
    group_id: int
    coachee_id: int
    joined_at: datetime
    agreed_at: datetime | None
    left_at: datetime | None
    join_run: str | None

    @property
    def active(self) -> bool:
        return self.left_at is None

    @property
    def in_rotation(self) -> bool:
        """Members take part once they have agreed to the ground rules, until they leave."""
        return self.left_at is None and self.agreed_at is not None


class GroupSession(Record):
    id: int
    group_id: int
    number: int
    at: datetime
    presenter_id: int | None
    feedback_from_id: int | None
    status: GroupSessionStatus
    prep_run: str | None
    commit_run: str | None
    feedback_run: str | None


# groups

def add_group(conn: Connection, *, coach_id: int, name: str, every_days: int, start_at: datetime, timezone: str,
              at: datetime) -> Group:
    new_id = conn.execute(insert(t.groups).values(
        coach_id=coach_id, name=name, every_days=every_days, start_at=start_at, timezone=timezone, created_at=at,
    ).returning(t.groups.c.id)).scalar_one()
    return get_group(conn, new_id)


def get_group(conn: Connection, group_id: int) -> Group:
    row = conn.execute(select(t.groups).where(t.groups.c.id == group_id)).mappings().first()
    if row is None:
        raise NotFound(f"no group with id {group_id}")
    return Group.model_validate(dict(row))


def lock_group(conn: Connection, group_id: int) -> None:
    """On PostgreSQL, one change to a group's members and plan at a time, until this transaction ends: two members
    agreeing at once are planned one after the other, never from two stale views. SQLite has one writer anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(t.groups.c.id).where(t.groups.c.id == group_id).with_for_update())


def list_groups(conn: Connection, *, coach_id: int | None = None) -> list[Group]:
    query = select(t.groups).order_by(t.groups.c.id)
    if coach_id is not None:
        query = query.where(t.groups.c.coach_id == coach_id)
    return [Group.model_validate(dict(r)) for r in conn.execute(query).mappings()]


# members

_MEMBER_COLUMNS = (t.group_members.c.group_id, t.group_members.c.coachee_id, t.group_members.c.joined_at,
                   t.group_members.c.agreed_at, t.group_members.c.left_at, t.group_members.c.join_run)


def get_member(conn: Connection, *, group_id: int, coachee_id: int) -> Member | None:
    m = t.group_members
    row = conn.execute(select(*_MEMBER_COLUMNS).where(m.c.group_id == group_id, m.c.coachee_id == coachee_id)
                       ).mappings().first()
    return None if row is None else Member.model_validate(dict(row))


def add_member(conn: Connection, *, group_id: int, coachee_id: int, at: datetime) -> Member:
    """A new member, or one who left coming back: either way they agree to the ground rules afresh."""
    m = t.group_members
    existing = get_member(conn, group_id=group_id, coachee_id=coachee_id)
    if existing is None:
        conn.execute(insert(m).values(group_id=group_id, coachee_id=coachee_id, joined_at=at))
    elif not existing.active:
        conn.execute(update(m).where(m.c.group_id == group_id, m.c.coachee_id == coachee_id).values(
            joined_at=at, agreed_at=None, agreed_order=None, left_at=None, join_run=None))
    member = get_member(conn, group_id=group_id, coachee_id=coachee_id)
    assert member is not None
    return member


def members_of(conn: Connection, group_id: int) -> list[Member]:
    """Current members: those in the rotation in the order they agreed, then those yet to agree, by joining."""
    m = t.group_members
    rows = conn.execute(select(*_MEMBER_COLUMNS).where(m.c.group_id == group_id, m.c.left_at.is_(None))
                        .order_by(m.c.agreed_order.is_(None), m.c.agreed_order, m.c.id)).mappings()
    return [Member.model_validate(dict(r)) for r in rows]


def memberships_of(conn: Connection, coachee_id: int) -> list[Member]:
    m = t.group_members
    rows = conn.execute(select(*_MEMBER_COLUMNS).where(m.c.coachee_id == coachee_id, m.c.left_at.is_(None))
                        .order_by(m.c.id)).mappings()
    return [Member.model_validate(dict(r)) for r in rows]


def set_join_run(conn: Connection, *, group_id: int, coachee_id: int, run_id: str) -> None:
    m = t.group_members
    conn.execute(update(m).where(m.c.group_id == group_id, m.c.coachee_id == coachee_id).values(join_run=run_id))


def member_by_join_run(conn: Connection, *, coachee_id: int, run_id: str) -> Member | None:
    m = t.group_members
    row = conn.execute(select(*_MEMBER_COLUMNS).where(m.c.coachee_id == coachee_id, m.c.join_run == run_id,
                                                      m.c.left_at.is_(None))).mappings().first()
    return None if row is None else Member.model_validate(dict(row))


def agree(conn: Connection, *, group_id: int, coachee_id: int, at: datetime) -> bool:
    """Record their agreement to the ground rules; False if they had agreed already (or have left)."""
    m = t.group_members
    last = conn.execute(select(func.max(m.c.agreed_order)).where(m.c.group_id == group_id)).scalar()
    done = conn.execute(update(m).where(m.c.group_id == group_id, m.c.coachee_id == coachee_id,
                                        m.c.agreed_at.is_(None), m.c.left_at.is_(None))
                        .values(agreed_at=at, agreed_order=(last or 0) + 1))
    return bool(done.rowcount)


def leave(conn: Connection, *, group_id: int, coachee_id: int, at: datetime) -> bool:
    m = t.group_members
    done = conn.execute(update(m).where(m.c.group_id == group_id, m.c.coachee_id == coachee_id,
                                        m.c.left_at.is_(None)).values(left_at=at))
    return bool(done.rowcount)


# sessions

def sessions_of(conn: Connection, group_id: int, *, with_cancelled: bool = False) -> list[GroupSession]:
    s = t.group_sessions
    query = select(s).where(s.c.group_id == group_id).order_by(s.c.number)
    if not with_cancelled:
        query = query.where(s.c.status != "cancelled")
    return [GroupSession.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def find_session(conn: Connection, session_id: int) -> GroupSession | None:
    row = conn.execute(select(t.group_sessions).where(t.group_sessions.c.id == session_id)).mappings().first()
    return None if row is None else GroupSession.model_validate(dict(row))


def session_by_run(conn: Connection, column: RunColumn, run_id: str) -> GroupSession | None:
    s = t.group_sessions
    row = conn.execute(select(s).where(s.c[column] == run_id)).mappings().first()
    return None if row is None else GroupSession.model_validate(dict(row))


def add_session(conn: Connection, *, group_id: int, number: int, at: datetime, presenter_id: int | None,
                feedback_from_id: int | None) -> None:
    conn.execute(insert(t.group_sessions).values(
        group_id=group_id, number=number, at=at, presenter_id=presenter_id, feedback_from_id=feedback_from_id,
        status="planned"))


def update_session(conn: Connection, session_id: int, **values: object) -> None:
    conn.execute(update(t.group_sessions).where(t.group_sessions.c.id == session_id).values(**values))


def set_run(conn: Connection, session_id: int, column: RunColumn, run_id: str) -> None:
    update_session(conn, session_id, **{column: run_id})


# jobs

def replace_pending_jobs(conn: Connection, *, group_id: int, jobs: Sequence[PlannedJob]) -> None:
    """Re-plan a group: its pending jobs go, the new plan comes in. Jobs done stay done, and their keys (one per
    person and session) keep a re-plan from sending the same thing twice."""
    mine = select(t.group_sessions.c.id).where(t.group_sessions.c.group_id == group_id).scalar_subquery()
    conn.execute(delete(t.jobs).where(t.jobs.c.status == "pending", t.jobs.c.group_session_id.in_(mine)))
    add_jobs(conn, jobs)
