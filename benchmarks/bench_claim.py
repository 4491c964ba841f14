"""Claiming due jobs with 100,000 coachees scheduled: one batch found and claimed by `jobs.claim_due` (target: 50 ms).

The database is the real schema (migrations) on a SQLite file, as the bot runs by default. Every coachee is
in a programme of four fortnightly sessions on a weekday half-hour between 09:00 and 17:00; programmes
began on weekdays over the last eight weeks, so some coachees are at the start, some near the end and some
finished. Their jobs are what the scheduler plans (`planning.session_jobs` for the sessions,
`planning.next_checkin` for the weekly check-ins, a Monday caseload per coach): the ones due before the
scheduler's last pass are done (history stays in the table), the rest pending. "Now" is a Monday at
10:00:30, so the 10:00 check-ins, the questions three days before Thursday's 10:00 sessions and the digests
for Tuesday's come due at once: a realistic burst, about 45,000 jobs or 2 % of the table.

Each timed claim is what `Scheduler.run_due` does for its batch of 100: one transaction around
`claim_due`, committed. Between claims the batch is marked done (untimed), as the scheduler's work would,
so each claim finds the next 100. The median and p95 of the timed claims are reported.

Rows are written with executemany in one transaction; sessions and jobs are planned once per distinct
calendar (start day, slot) and copied for every coachee on it, which is what planning would give them.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy import Engine as Database

from bot.config import ScheduleConfig
from bot.planning import PlannedJob, next_checkin, next_monday, session_jobs
from bot.storage import jobs as job_store
from bot.storage import schema as t
from bot.storage.db import open_engine, upgrade
from bot.storage.records import Session
from bot.storage.schema import UTCDateTime

TARGET_MS = 50.0
TARGETS = {"due_claim_ms_100k": ("<=", TARGET_MS), "due_claim_p95_ms_100k": ("<=", TARGET_MS)}
ZONE = "Europe/London"
NOW = datetime(2026, 11, 23, 10, 0, 30, tzinfo=ZoneInfo(ZONE))  # a Monday, just after 10:00
LAST_PASS = NOW - timedelta(minutes=1)  # what came due before this was run already
BATCH = 100  # the scheduler's batch
SESSIONS = 4
EVERY = timedelta(days=14)
SLOTS = [clock_time(9 + half // 2, 30 * (half % 2)) for half in range(17)]  # 09:00 ... 17:00
COACHEES_PER_COACH = 100
CHUNK = 50_000  # rows per executemany


@dataclass(frozen=True)
class Calendar:
    """One coachee's plan, without ids: (number, at, status) per session, and (kind, due_at, session number,
    status) per job."""

    sessions: tuple[tuple[int, datetime, str], ...]
    jobs: tuple[tuple[str, datetime, int | None, str], ...]


def _start_days() -> list[date]:
    """The weekdays of the eight weeks before NOW: when the programmes began."""
    first = NOW.date() - timedelta(days=56)
    days = [first + timedelta(days=n) for n in range(56)]
    return [d for d in days if d.weekday() < 5]


def _status(due: datetime) -> str:
    return "done" if due <= LAST_PASS else "pending"


def calendar(start: date, slot: clock_time, schedule: ScheduleConfig) -> Calendar:
    """What the scheduler plans for a coachee whose first session is `start` at `slot`, as of NOW."""
    zone = ZoneInfo(ZONE)
    sessions = [Session(id=number, coachee_id=1, number=number, timezone=ZONE,
                        at=datetime.combine(start + (number - 1) * EVERY, slot, tzinfo=zone).astimezone(UTC),
                        status="done" if datetime.combine(start + (number - 1) * EVERY, slot, tzinfo=zone) < NOW
                        else "planned")
                for number in range(1, SESSIONS + 1)]
    planned = session_jobs([s.model_copy(update={"status": "planned"}) for s in sessions], coachee_id=1,
                           schedule=schedule, zone=zone)
    jobs = [(job.kind, job.due_at, job.session_id, _status(job.due_at)) for job in planned]
    after = sessions[0].at
    while (checkin := next_checkin(sessions, after=after, schedule=schedule, zone=zone)) is not None:
        jobs.append(("checkin", checkin, None, _status(checkin)))
        if _status(checkin) == "pending":
            break  # one check-in ahead: the next is planned once this one has run
        after = checkin
    return Calendar(sessions=tuple((s.number, s.at, s.status) for s in sessions), jobs=tuple(jobs))


def _chunks(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    chunk: list[tuple[object, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_many(conn: Connection, table: Table, columns: Sequence[str], rows: Iterator[tuple[object, ...]]) -> None:
    """executemany straight to the driver: the values are already in the form SQLAlchemy would store."""
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    for chunk in _chunks(rows):
        conn.exec_driver_sql(sql, chunk)


def _key_template(kind: str, due_at: datetime, *, session: bool) -> str:
    """`PlannedJob.key` with the ids left as {c} and {s}, so the planner's own format is used for every row."""
    coachee, session_id = 900_000_001, 900_000_002
    key = PlannedJob.model_validate({"kind": kind, "due_at": due_at, "coachee_id": coachee,
                                     "session_id": session_id if session else None}).key
    return key.replace(str(coachee), "{c}").replace(str(session_id), "{s}")


def seed(conn: Connection, coachees: int, *, schedule: ScheduleConfig | None = None) -> int:
    """Coaches, `coachees` onboarded coachees with their sessions, and every job planned for them; returns how
    many jobs are due at NOW."""
    schedule = schedule or ScheduleConfig(default_timezone=ZONE)
    when = UTCDateTime().bind_processor(conn.dialect) or (lambda value: value)
    created = NOW - timedelta(days=70)
    coaches = max(1, -(-coachees // COACHEES_PER_COACH))
    conn.execute(insert(t.coaches), [{"id": n, "name": f"Coach {n}", "created_at": created}
                                     for n in range(1, coaches + 1)])
    stamp = when(created)
    _insert_many(conn, t.coachees, ("id", "coach_id", "name", "status", "timezone", "consent_store", "consent_share",
                                    "created_at"),
                 ((n, 1 + (n - 1) // COACHEES_PER_COACH, f"Coachee {n}", "active", ZONE, 1, 1, stamp)
                  for n in range(1, coachees + 1)))
    days = _start_days()
    # Per calendar, rows ready to store: sessions (number, at, status), jobs (kind, due_at, number, status, key).
    plans: dict[tuple[date, clock_time], tuple[list[tuple[int, object, str]],
                                                list[tuple[str, object, int | None, str, str]]]] = {}
    for day in days:
        for slot in SLOTS:
            plan = calendar(day, slot, schedule)
            plans[(day, slot)] = (
                [(number, when(at), status) for number, at, status in plan.sessions],
                [(kind, when(due), number, status, _key_template(kind, due, session=number is not None))
                 for kind, due, number, status in plan.jobs])

    def plan_of(coachee_id: int) -> tuple[list[tuple[int, object, str]],
                                          list[tuple[str, object, int | None, str, str]]]:
        n = coachee_id * 7919  # spread coachees over the calendars, not in runs of neighbours
        return plans[(days[n % len(days)], SLOTS[(n // len(days)) % len(SLOTS)])]

    _insert_many(conn, t.sessions, ("id", "coachee_id", "number", "at", "timezone", "status"),
                 (((c - 1) * SESSIONS + number, c, number, at, ZONE, status)
                  for c in range(1, coachees + 1) for number, at, status in plan_of(c)[0]))

    def job_rows() -> Iterator[tuple[object, ...]]:
        for c in range(1, coachees + 1):
            for kind, due, number, status, key in plan_of(c)[1]:
                session_id = None if number is None else (c - 1) * SESSIONS + number
                yield kind, c, None, session_id, due, status, key.format(c=c, s=session_id or ""), \
                    due if status == "done" else None
        monday = next_monday(LAST_PASS, clock=schedule.caseload_time, zone=ZoneInfo(ZONE))
        for coach_id in range(1, coaches + 1):
            key = PlannedJob(kind="caseload", due_at=monday, coach_id=coach_id).key
            yield "caseload", None, coach_id, None, when(monday), "pending", key, None

    _insert_many(conn, t.jobs, ("kind", "coachee_id", "coach_id", "session_id", "due_at", "status", "key", "done_at"),
                 job_rows())
    return int(conn.execute(select(func.count()).select_from(t.jobs).where(
        t.jobs.c.status == "pending", t.jobs.c.due_at <= NOW)).scalar_one())


def time_claims(db: Database, *, claims: int, warmup: int = 2) -> list[float]:
    """Milliseconds per claimed batch: one transaction around `claim_due`, as `Scheduler.run_due` runs it."""
    timings: list[float] = []
    for n in range(warmup + claims):
        claim = uuid.uuid4().hex
        start = time.perf_counter_ns()
        with db.begin() as conn:
            batch = job_store.claim_due(conn, now=NOW, claim=claim, limit=BATCH)
        elapsed = (time.perf_counter_ns() - start) / 1e6
        if not batch:
            raise RuntimeError("no due jobs left to claim: seed more coachees or time fewer claims")
        if n >= warmup:
            timings.append(elapsed)
        with db.begin() as conn:  # the batch's work is done (not timed), so the next claim finds the next 100
            for job in batch:
                job_store.finish(conn, job.id, claim=claim, status="done", note=None, at=NOW)
    return timings


def run(*, coachees: int = 100_000, claims: int = 30, workdir: Path | None = None) -> dict[str, float]:
    """Seed `coachees` coachees' calendars, then time `claims` claims of one batch; milliseconds."""
    with tempfile.TemporaryDirectory(prefix="bench-claim-", dir=workdir) as tmp:
        db = open_engine(f"sqlite:///{Path(tmp) / 'claim.db'}")
        try:
            upgrade(db)
            start = time.perf_counter()
            with db.begin() as conn:
                due = seed(conn, coachees)
            with db.connect() as conn:
                total = int(conn.execute(select(func.count()).select_from(t.jobs)).scalar_one())
            seeded = time.perf_counter() - start
            timings = time_claims(db, claims=claims)
        finally:
            db.dispose()
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return {
        "due_claim_ms_100k": round(statistics.median(timings), 2),
        "due_claim_p95_ms_100k": round(p95, 2),
        "due_claim_jobs": total,
        "due_claim_due_jobs": due,
        "due_claim_seed_s": round(seeded, 1),
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(coachees=int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
