"""The reads behind readiness and the metrics: counts and ages by transport and kind, never a person.

Every query here groups or counts; none returns an id, a name or a message, so nothing read here can put
personal data into a metric or a readiness body.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, func, select, text

from bot.storage import schema as t
from bot.storage.store import HOLD_ACTIONS

__all__ = ["DeadLetters", "HoldsOpen", "JobCounts", "OutboxDepth", "alerts_pending", "dead_letters", "holds_open",
           "jobs_waiting", "outbox_depth", "ping"]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True)


class OutboxDepth(_Row):
    """Undelivered rows on one transport, and when the oldest of them was written."""

    transport: str
    pending: int
    oldest: datetime | None


class DeadLetters(_Row):
    transport: str
    kind: str
    count: int


class JobCounts(_Row):
    """One kind of job: how many are due and unclaimed now, and how many a worker holds."""

    kind: str
    due: int
    claimed: int


class HoldsOpen(_Row):
    """Coachees on a safety hold, and when the oldest such hold began (None: no hold, or no event shows when)."""

    count: int
    oldest: datetime | None


def ping(conn: Connection, *, within: float) -> None:
    """Raise unless the database answers and could take a write now, waiting at most `within` seconds.

    SQLite answers reads while another process holds its write lock, and every turn writes, so there the
    probe takes the write lock for a moment (and gives it straight back) instead of only reading."""
    if conn.dialect.name != "sqlite":
        conn.execute(text(f"SET LOCAL statement_timeout = {max(1, int(within * 1000))}"))
        conn.execute(text("SELECT 1"))
        conn.rollback()
        return
    before = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    conn.exec_driver_sql(f"PRAGMA busy_timeout={max(1, int(within * 1000))}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(before)}")


def outbox_depth(conn: Connection) -> list[OutboxDepth]:
    o = t.outbox
    rows = conn.execute(select(o.c.transport, func.count(), func.min(o.c.created_at))
                        .where(o.c.status == "pending").group_by(o.c.transport).order_by(o.c.transport))
    return [OutboxDepth(transport=r[0], pending=int(r[1]), oldest=r[2]) for r in rows]


def dead_letters(conn: Connection) -> list[DeadLetters]:
    o = t.outbox
    rows = conn.execute(select(o.c.transport, o.c.kind, func.count()).where(o.c.status == "dead")
                        .group_by(o.c.transport, o.c.kind).order_by(o.c.transport, o.c.kind))
    return [DeadLetters(transport=r[0], kind=r[1], count=int(r[2])) for r in rows]


def jobs_waiting(conn: Connection, *, now: datetime) -> list[JobCounts]:
    j = t.jobs
    due: dict[str, int] = {str(kind): int(n) for kind, n in conn.execute(
        select(j.c.kind, func.count()).where(j.c.status == "pending", j.c.due_at <= now).group_by(j.c.kind))}
    claimed: dict[str, int] = {str(kind): int(n) for kind, n in conn.execute(
        select(j.c.kind, func.count()).where(j.c.status == "running").group_by(j.c.kind))}
    return [JobCounts(kind=kind, due=int(due.get(kind, 0)), claimed=int(claimed.get(kind, 0)))
            for kind in sorted(due.keys() | claimed.keys())]


def holds_open(conn: Connection) -> HoldsOpen:
    """A hold began at the coachee's latest crisis or emergency event; the coach lifting it ends it."""
    c, e = t.coachees, t.safety_events
    began = (select(e.c.coachee_id, func.max(e.c.at).label("began")).where(e.c.action.in_(HOLD_ACTIONS))
             .group_by(e.c.coachee_id).subquery())
    row = conn.execute(select(func.count(), func.min(began.c.began))
                       .select_from(c.outerjoin(began, began.c.coachee_id == c.c.id))
                       .where(c.c.status == "hold")).one()
    return HoldsOpen(count=int(row[0]), oldest=row[1])


def alerts_pending(conn: Connection) -> int:
    """Safety alerts to coaches written but not yet delivered."""
    o = t.outbox
    return int(conn.execute(select(func.count()).where(o.c.kind == "alert", o.c.status == "pending")).scalar_one())
