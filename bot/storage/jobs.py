"""The scheduler's rows: planned idempotently, claimed atomically, finished in the work's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.planning import JobKind, JobStatus, PlannedJob
from bot.storage import schema as t


class JobRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: JobKind
    coachee_id: int | None
    coach_id: int | None
    session_id: int | None
    group_session_id: int | None = None
    due_at: datetime
    status: JobStatus
    claim: str | None
    note: str | None


def _values(job: PlannedJob) -> dict[str, object]:
    return {"kind": job.kind, "coachee_id": job.coachee_id, "coach_id": job.coach_id, "session_id": job.session_id,
            "group_session_id": job.group_session_id, "due_at": job.due_at, "status": "pending", "key": job.key}


def add_jobs(conn: Connection, jobs: Sequence[PlannedJob]) -> None:
    """Insert what isn't there yet: a job with the same key (pending, done or dropped) is left alone."""
    if not jobs:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(t.jobs).on_conflict_do_nothing(index_elements=["key"]),
                 [_values(job) for job in jobs])


def replace_pending(conn: Connection, *, coachee_id: int, kinds: Sequence[str], jobs: Sequence[PlannedJob]) -> None:
    """Re-plan a coachee: pending jobs of these kinds go, the new plan comes in (done ones stay done)."""
    conn.execute(delete(t.jobs).where(t.jobs.c.coachee_id == coachee_id, t.jobs.c.status == "pending",
                                      t.jobs.c.kind.in_(list(kinds))))
    add_jobs(conn, jobs)


def claim_due(conn: Connection, *, now: datetime, claim: str, limit: int) -> list[JobRow]:
    """Take up to `limit` due jobs for this worker in one statement; another worker can't take the same ones.

    PostgreSQL skips rows another worker has locked; SQLite runs one writer at a time, so the single UPDATE
    is atomic there too.
    """
    due = (select(t.jobs.c.id).where(t.jobs.c.status == "pending", t.jobs.c.due_at <= now)
           .order_by(t.jobs.c.due_at, t.jobs.c.id).limit(limit))
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    conn.execute(update(t.jobs).where(t.jobs.c.id.in_(due.scalar_subquery()))
                 .values(status="running", claim=claim, claimed_at=now))
    rows = conn.execute(select(t.jobs).where(t.jobs.c.claim == claim, t.jobs.c.status == "running")
                        .order_by(t.jobs.c.due_at, t.jobs.c.id)).mappings()
    return [JobRow.model_validate(dict(r)) for r in rows]


def requeue_stale(conn: Connection, *, claimed_before: datetime) -> int:
    """A worker that died holding jobs: after the lease they are due again (their work never committed)."""
    result = conn.execute(update(t.jobs).where(t.jobs.c.status == "running", t.jobs.c.claimed_at < claimed_before)
                          .values(status="pending", claim=None, claimed_at=None))
    return int(result.rowcount)


def finish(conn: Connection, job_id: int, *, claim: str, status: JobStatus, note: str | None, at: datetime) -> bool:
    """Mark done (or dropped) if this worker still holds the job; False means another worker took it over."""
    result = conn.execute(update(t.jobs).where(t.jobs.c.id == job_id, t.jobs.c.claim == claim,
                                               t.jobs.c.status == "running")
                          .values(status=status, note=(note or "")[:200] or None, done_at=at))
    return result.rowcount == 1


def postpone(conn: Connection, job_id: int, *, claim: str, due_at: datetime, note: str) -> None:
    conn.execute(update(t.jobs).where(t.jobs.c.id == job_id, t.jobs.c.claim == claim)
                 .values(status="pending", claim=None, claimed_at=None, due_at=due_at, note=note[:200]))


def pending_for(conn: Connection, *, coachee_id: int) -> list[JobRow]:
    rows = conn.execute(select(t.jobs).where(t.jobs.c.coachee_id == coachee_id, t.jobs.c.status == "pending")
                        .order_by(t.jobs.c.due_at, t.jobs.c.id)).mappings()
    return [JobRow.model_validate(dict(r)) for r in rows]


def jobs_of(conn: Connection, *, coachee_id: int | None = None, coach_id: int | None = None) -> list[JobRow]:
    query = select(t.jobs).order_by(t.jobs.c.due_at, t.jobs.c.id)
    if coachee_id is not None:
        query = query.where(t.jobs.c.coachee_id == coachee_id)
    if coach_id is not None:
        query = query.where(t.jobs.c.coach_id == coach_id)
    return [JobRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def next_due(conn: Connection) -> datetime | None:
    return conn.execute(select(t.jobs.c.due_at).where(t.jobs.c.status == "pending")
                        .order_by(t.jobs.c.due_at).limit(1)).scalar_one_or_none()


def coachees_with_pending(conn: Connection, *, kinds: Sequence[str]) -> set[int]:
    """Everyone who already has something of these kinds coming: one query, however large the caseload."""
    rows = conn.execute(select(t.jobs.c.coachee_id).where(t.jobs.c.status == "pending", t.jobs.c.kind.in_(list(kinds)),
                                                          t.jobs.c.coachee_id.is_not(None)).distinct())
    return {int(r[0]) for r in rows}
