"""The scheduler: pre-session questions, reminders, digests, post-session actions, check-ins, the
Monday caseload and the daily retention purge, as rows in the database.

Each job is claimed in one statement and its work is written in the same transaction that marks it done,
so it runs exactly once across restarts and workers. A worker that dies mid-job leaves it claimed but
uncommitted; after the lease it is due again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection
from sqlalchemy import Engine as Database

from bot.caseload import send_caseload
from bot.config import Config, ScheduleConfig
from bot.digest import send_digest
from bot.engine import Engine, PromptRefused
from bot.groups import GROUP_KINDS, Groups
from bot.planning import (
    RETENTION_AT,
    UPCOMING,
    PlannedJob,
    checkin_allowed,
    morning_if_night,
    next_checkin,
    next_daily,
    next_monday,
    pre_session_flow,
    schedule_for,
    session_jobs,
)
from bot.storage import jobs as job_store
from bot.storage import store
from bot.storage.erasure import purge_expired
from bot.storage.jobs import JobRow
from bot.storage.records import Session
from bot.types import ConversationKey

log = logging.getLogger(__name__)

COACHEE_KINDS = ("pre_session", "reminder", "digest", "post_session", "checkin")
TO_COACHEE = frozenset({"pre_session", "reminder", "post_session", "checkin"})


class Outcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str  # done | dropped | later
    note: str | None = None
    due_at: datetime | None = None  # for "later"


def _done(note: str | None = None) -> Outcome:
    return Outcome(status="done", note=note)


def _dropped(note: str) -> Outcome:
    return Outcome(status="dropped", note=note)


class Scheduler:
    def __init__(
        self,
        *,
        db: Database,
        engine: Engine,
        config: Config,
        clock: Callable[[], datetime],
        batch: int = 100,
        lease: timedelta = timedelta(minutes=10),
    ) -> None:
        self.db = db
        self.engine = engine
        self.config = config
        self.clock = clock
        self.batch = batch
        self.lease = lease

    # planning

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

    # running

    async def run(self, stop: asyncio.Event, *, idle_wait: float = 30.0) -> None:
        """Run due jobs until `stop`; sleeps until the next job is due (at most `idle_wait`)."""
        while not stop.is_set():
            try:
                await self.run_due()
                with self.db.connect() as conn:
                    nxt = job_store.next_due(conn)
            except Exception:
                log.exception("scheduler pass failed; will try again")
                nxt = None
            wait = idle_wait if nxt is None else min(idle_wait, max(0.05, (nxt - self.clock()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)

    async def run_due(self) -> int:
        """Claim and run one batch of due jobs. Returns how many were claimed."""
        now = self.clock()
        claim = uuid.uuid4().hex
        with self.db.begin() as conn:
            stale = job_store.requeue_stale(conn, claimed_before=now - self.lease)
            if stale:
                log.warning("%d jobs held by a worker that stopped are due again", stale)
        with self.db.begin() as conn:
            due = job_store.claim_due(conn, now=now, claim=claim, limit=self.batch)
        for job in due:
            await self._run(job, claim)
        if due and self.engine.on_outbox is not None:
            self.engine.on_outbox()
        return len(due)

    async def _run(self, job: JobRow, claim: str) -> None:
        key: ConversationKey | None = None
        try:
            if job.coachee_id is not None:
                key = self.engine.address(job.coachee_id)
        except (PromptRefused, store.NotFound) as exc:
            self._finish(job, claim, _dropped(str(exc)))
            return
        async with self._locked(key):
            now = self.clock()
            try:
                with self.db.begin() as conn:
                    if key is not None:
                        store.lock_conversation(conn, key)  # other workers' turns for this person wait
                    outcome = self._work(conn, job, key, now)
                    self._record(conn, job, claim, outcome, now)
            except PromptRefused as exc:
                self._finish(job, claim, _dropped(str(exc)))
            except store.StaleConversation:
                self._finish(job, claim, Outcome(status="later", note="conversation busy; again shortly",
                                                 due_at=now + timedelta(seconds=1)))
            except Exception:
                log.exception("job %s (%s) failed; it will be tried again", job.id, job.kind)
                self._finish(job, claim, Outcome(status="later", note="failed; retrying",
                                                 due_at=now + timedelta(minutes=5)))
        if job.kind == "checkin" and job.coachee_id is not None:
            with self.db.begin() as conn:  # whatever became of this one, plan the next
                self._plan_next_checkin(conn, job.coachee_id, after=max(job.due_at, now))
        if job.kind == "caseload" and job.coach_id is not None:
            with self.db.begin() as conn:
                self.plan_coach(conn, job.coach_id, now=max(job.due_at, now) + timedelta(minutes=1))
        if job.kind == "retention":
            with self.db.begin() as conn:
                self.plan_retention(conn, now=max(job.due_at, now) + timedelta(minutes=1))

    @asynccontextmanager
    async def _locked(self, key: ConversationKey | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        async with self.engine.locked(key):
            yield

    def _finish(self, job: JobRow, claim: str, outcome: Outcome) -> None:
        with self.db.begin() as conn:
            self._record(conn, job, claim, outcome, self.clock())

    def _record(self, conn: Connection, job: JobRow, claim: str, outcome: Outcome, now: datetime) -> None:
        if outcome.status == "later" and outcome.due_at is not None:
            job_store.postpone(conn, job.id, claim=claim, due_at=outcome.due_at, note=outcome.note or "")
            return
        if not job_store.finish(conn, job.id, claim=claim, status=outcome.status, note=outcome.note, at=now):
            raise RuntimeError(f"job {job.id} was taken over by another worker")
        if outcome.status == "dropped":
            log.info("job %s (%s) dropped: %s", job.id, job.kind, outcome.note)

    def _plan_next_checkin(self, conn: Connection, coachee_id: int, *, after: datetime) -> None:
        zone = self.zone_of(conn, coachee_id)
        sessions = store.list_sessions(conn, coachee_id=coachee_id)
        checkins = self.checkin_schedule(conn, coachee_id)
        nxt = next_checkin(sessions, after=after, schedule=checkins, zone=zone) if checkins else None
        if nxt is not None:
            job_store.add_jobs(conn, [PlannedJob(kind="checkin", due_at=nxt, coachee_id=coachee_id)])

    # the work of each kind, inside the job's transaction

    def _work(self, conn: Connection, job: JobRow, key: ConversationKey | None, now: datetime) -> Outcome:
        if job.kind in GROUP_KINDS:  # peer coaching groups: their own work, in this same transaction
            return Outcome.model_validate(Groups(self.engine).run_job(conn, job, key, now).model_dump())
        if job.kind == "caseload":
            return self._caseload(conn, job, now)
        if job.kind == "retention":
            return self._retention(conn, now)
        assert job.coachee_id is not None and key is not None
        coachee = store.get_coachee(conn, job.coachee_id)
        zone = ZoneInfo(coachee.timezone or self.config.schedule.default_timezone)
        if job.kind in TO_COACHEE:
            morning = morning_if_night(now, zone)
            if morning is not None:
                return Outcome(status="later", note="night: waiting for the morning", due_at=morning)
        if job.kind == "checkin":
            return self._checkin(conn, job.coachee_id, key, now, zone)
        session = store.get_session(conn, job.session_id) if job.session_id is not None else None
        if session is None:
            return _dropped("its session is gone")
        sessions = store.list_sessions(conn, coachee_id=job.coachee_id)
        if job.kind == "post_session":
            return self._post_session(conn, session, key, now)
        if session.status not in UPCOMING:
            return _dropped(f"session {session.number} is {session.status}")
        if now >= session.at:
            return _dropped(f"session {session.number} has already started")
        flow = pre_session_flow(session, sessions)
        if job.kind == "pre_session":
            self.engine.start_flow_in(conn, coachee_id=job.coachee_id, flow=flow, key=key, now=now)
            return _done(flow)
        if job.kind == "reminder":
            reminded = self.engine.remind_in(conn, coachee_id=job.coachee_id, flow=flow, key=key, now=now)
            return _done("reminded") if reminded else _dropped("answered already")
        return self._digest(conn, job, now)

    def _checkin(self, conn: Connection, coachee_id: int, key: ConversationKey, now: datetime,
                 zone: ZoneInfo) -> Outcome:
        sessions = store.list_sessions(conn, coachee_id=coachee_id)
        checkins = self.checkin_schedule(conn, coachee_id)
        if checkins is None:
            return _dropped("the coachee turned check-ins off")
        reason = checkin_allowed(now, sessions, schedule=checkins, zone=zone)
        if reason is not None and reason != "weekend":
            return _dropped(reason)
        self.engine.start_flow_in(conn, coachee_id=coachee_id, flow="checkin", key=key, now=now)
        return _done()

    def _post_session(self, conn: Connection, session: Session, key: ConversationKey, now: datetime) -> Outcome:
        if session.status not in UPCOMING:
            return _dropped(f"session {session.number} is {session.status}")
        store.update_session(conn, session.id, status="done")
        self.engine.start_flow_in(conn, coachee_id=session.coachee_id, flow="post_session", key=key, now=now)
        return _done()

    def _digest(self, conn: Connection, job: JobRow, now: datetime) -> Outcome:
        assert job.coachee_id is not None
        sent = send_digest(conn, coachee_id=job.coachee_id, flows=self.engine.flows.registry, now=now,
                           default_timezone=self.config.schedule.default_timezone, session_id=job.session_id)
        return _done() if sent is not None else _dropped("the coach has no chat to send the digest to")

    def _retention(self, conn: Connection, now: datetime) -> Outcome:
        done = purge_expired(conn, now=now, retention=self.config.privacy.retention_after)
        return _done(f"free text deleted for {done.coachees} coachees whose programme ended "
                     f"({done.answers} answers, {done.actions} actions, {done.conversations} conversations, "
                     f"{done.outbox} messages)")

    def _caseload(self, conn: Connection, job: JobRow, now: datetime) -> Outcome:
        assert job.coach_id is not None
        sent = send_caseload(conn, coach_id=job.coach_id, now=now,
                             default_timezone=self.config.schedule.default_timezone)
        return _done() if sent is not None else _dropped("no chat for this coach")
