"""The calendar: each coachee's and coach's next jobs, written in the caller's transaction.

Planning needs no engine, so the engine can be built with it as a listener (a session booked, a time zone
given) and the scheduler, which runs the jobs, with it as a part.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from sqlalchemy import Engine as Database

from bot.config import Config, ScheduleConfig
from bot.planning import (
    RETENTION_AT,
    PlannedJob,
    next_checkin,
    next_daily,
    next_monday,
    schedule_for,
    session_jobs,
)
from bot.storage import jobs as job_store
from bot.storage import store

COACHEE_KINDS = ("pre_session", "reminder", "digest", "post_session", "checkin")


class Planner:
    def __init__(self, *, db: Database, config: Config, clock: Callable[[], datetime],
                 lease: timedelta = timedelta(minutes=10)) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self.lease = lease
        """A job claimed longer ago than this is due again; jobs missed by less are still planned."""

    def zone_of(self, conn: Connection, coachee_id: int) -> ZoneInfo:
        coachee = store.get_coachee(conn, coachee_id)
        return ZoneInfo(coachee.timezone or self.config.schedule.default_timezone)

    def checkin_schedule(self, conn: Connection, coachee_id: int) -> ScheduleConfig | None:
        """The schedule with this coachee's own check-in time and frequency; None if they chose none."""
        coachee = store.get_coachee(conn, coachee_id)
        return schedule_for(self.config.schedule, checkin_time=coachee.checkin_time,
                            checkin_every_days=coachee.checkin_every_days)

    def plan_coachee(self, conn: Connection, coachee_id: int, *, now: datetime) -> None:
        """Everything coming for this coachee, from their sessions; safe to call after any change."""
        zone = self.zone_of(conn, coachee_id)
        sessions = store.list_sessions(conn, coachee_id=coachee_id)
        schedule = self.config.schedule
        planned = [job for job in session_jobs(sessions, coachee_id=coachee_id, schedule=schedule, zone=zone)
                   if job.kind == "post_session" or job.due_at > now - self.lease]
        checkins = self.checkin_schedule(conn, coachee_id)
        checkin = next_checkin(sessions, after=now, schedule=checkins, zone=zone) if checkins else None
        if checkin is not None:
            planned.append(PlannedJob(kind="checkin", due_at=checkin, coachee_id=coachee_id))
        job_store.replace_pending(conn, coachee_id=coachee_id, kinds=COACHEE_KINDS, jobs=planned)

    def plan_coach(self, conn: Connection, coach_id: int, *, now: datetime) -> None:
        zone = ZoneInfo(self.config.schedule.default_timezone)
        monday = next_monday(now, clock=self.config.schedule.caseload_time, zone=zone)
        job_store.add_jobs(conn, [PlannedJob(kind="caseload", due_at=monday, coach_id=coach_id)])

    def plan_retention(self, conn: Connection, *, now: datetime) -> None:
        """The next daily retention purge: one job for the whole service, keyed by its date."""
        zone = ZoneInfo(self.config.schedule.default_timezone)
        job_store.add_jobs(conn, [PlannedJob(kind="retention", due_at=next_daily(now, clock=RETENTION_AT, zone=zone))])

    def plan_all(self) -> None:
        """At start-up: make sure every coach and coachee has their next jobs, and the service its daily retention
        purge (idempotent)."""
        now = self.clock()
        with self.db.begin() as conn:
            self.plan_retention(conn, now=now)
            for coach in store.list_coaches(conn):
                self.plan_coach(conn, coach.id, now=now)
            planned = job_store.coachees_with_pending(conn, kinds=COACHEE_KINDS)
            for coachee in store.list_coachees(conn):
                if coachee.status != "stopped" and coachee.id not in planned:
                    self.plan_coachee(conn, coachee.id, now=now)

    def plan_next_checkin(self, conn: Connection, coachee_id: int, *, after: datetime) -> None:
        zone = self.zone_of(conn, coachee_id)
        sessions = store.list_sessions(conn, coachee_id=coachee_id)
        checkins = self.checkin_schedule(conn, coachee_id)
        nxt = next_checkin(sessions, after=after, schedule=checkins, zone=zone) if checkins else None
        if nxt is not None:
            job_store.add_jobs(conn, [PlannedJob(kind="checkin", due_at=nxt, coachee_id=coachee_id)])
