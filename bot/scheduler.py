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

from sqlalchemy import Connection
from sqlalchemy import Engine as Database

from bot.caseload import send_caseload
from bot.config import Config
from bot.digest import send_digest
from bot.engine import Engine
from bot.groups import GROUP_KINDS, Groups
from bot.listeners import PromptRefused
from bot.planner import Planner
from bot.planning import (
    UPCOMING,
    JobOutcome,
    checkin_allowed,
    job_done,
    job_dropped,
    morning_if_night,
    post_session_flow,
    pre_session_flow,
)
from bot.storage import jobs as job_store
from bot.storage import store
from bot.storage.erasure import purge_expired, purge_strangers
from bot.storage.jobs import JobRow
from bot.storage.records import Session
from bot.storage.web_access import purge_web_access
from bot.types import ConversationKey

log = logging.getLogger(__name__)

TO_COACHEE = frozenset({"pre_session", "reminder", "post_session", "checkin"})


class Scheduler:
    def __init__(
        self,
        *,
        db: Database,
        engine: Engine,
        planner: Planner,
        groups: Groups,
        config: Config,
        clock: Callable[[], datetime],
        batch: int = 100,
        claimed: Callable[[list[str]], None] = lambda _kinds: None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.planner = planner
        self.groups = groups
        self.config = config
        self.clock = clock
        self.batch = batch
        self.lease = planner.lease
        self.claimed = claimed
        """Told the kinds of each batch of jobs claimed (the metrics count them)."""

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
        self.claimed([job.kind for job in due])
        for job in due:
            await self._run(job, claim)
        if due:
            self.engine.listeners.outbox_written()
        return len(due)

    async def _run(self, job: JobRow, claim: str) -> None:
        key: ConversationKey | None = None
        try:
            if job.coachee_id is not None:
                key = self.engine.address(job.coachee_id)
        except (PromptRefused, store.NotFound) as exc:
            self._finish(job, claim, job_dropped(str(exc)))
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
                self._finish(job, claim, job_dropped(str(exc)))
            except store.StaleConversation:
                self._finish(job, claim, JobOutcome(status="later", note="conversation busy; again shortly",
                                                 due_at=now + timedelta(seconds=1)))
            except Exception:
                log.exception("job %s (%s) failed; it will be tried again", job.id, job.kind,
                              extra={"job_id": job.id, "job_kind": job.kind})
                self._finish(job, claim, JobOutcome(status="later", note="failed; retrying",
                                                 due_at=now + timedelta(minutes=5)))
        if job.kind == "checkin" and job.coachee_id is not None:
            with self.db.begin() as conn:  # whatever became of this one, plan the next
                self.planner.plan_next_checkin(conn, job.coachee_id, after=max(job.due_at, now))
        if job.kind == "caseload" and job.coach_id is not None:
            with self.db.begin() as conn:
                self.planner.plan_coach(conn, job.coach_id, now=max(job.due_at, now) + timedelta(minutes=1))
        if job.kind == "retention":
            with self.db.begin() as conn:
                self.planner.plan_retention(conn, now=max(job.due_at, now) + timedelta(minutes=1))

    @asynccontextmanager
    async def _locked(self, key: ConversationKey | None) -> AsyncIterator[None]:
        if key is None:
            yield
            return
        async with self.engine.locked(key):
            yield

    def _finish(self, job: JobRow, claim: str, outcome: JobOutcome) -> None:
        with self.db.begin() as conn:
            self._record(conn, job, claim, outcome, self.clock())

    def _record(self, conn: Connection, job: JobRow, claim: str, outcome: JobOutcome, now: datetime) -> None:
        if outcome.status == "later":
            job_store.postpone(conn, job.id, claim=claim, due_at=outcome.due_at or now, note=outcome.note or "")
            return
        if not job_store.finish(conn, job.id, claim=claim, status=outcome.status, note=outcome.note, at=now):
            raise RuntimeError(f"job {job.id} was taken over by another worker")
        if outcome.status == "dropped":
            log.info("job %s (%s) dropped: %s", job.id, job.kind, outcome.note,
                     extra={"job_id": job.id, "job_kind": job.kind})

    # the work of each kind, inside the job's transaction

    def _work(self, conn: Connection, job: JobRow, key: ConversationKey | None, now: datetime) -> JobOutcome:
        if job.kind in GROUP_KINDS:  # peer coaching groups: their own work, in this same transaction
            return self.groups.run_job(conn, job, key, now, starter=self.engine)
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
                return JobOutcome(status="later", note="night: waiting for the morning", due_at=morning)
        if job.kind == "checkin":
            return self._checkin(conn, job.coachee_id, key, now, zone)
        session = store.get_session(conn, job.session_id) if job.session_id is not None else None
        if session is None:
            return job_dropped("its session is gone")
        sessions = store.list_sessions(conn, coachee_id=job.coachee_id)
        if job.kind == "post_session":
            return self._post_session(conn, session, key, now, flow=post_session_flow(session, sessions))
        if session.status not in UPCOMING:
            return job_dropped(f"session {session.number} is {session.status}")
        if now >= session.at:
            return job_dropped(f"session {session.number} has already started")
        flow = pre_session_flow(session, sessions)
        if job.kind == "pre_session":
            self.engine.start_flow_in(conn, coachee_id=job.coachee_id, flow=flow, key=key, now=now)
            return job_done(flow)
        if job.kind == "reminder":
            reminded = self.engine.remind_in(conn, coachee_id=job.coachee_id, flow=flow, key=key, now=now)
            return job_done("reminded") if reminded else job_dropped("answered already")
        return self._digest(conn, job, now)

    def _checkin(self, conn: Connection, coachee_id: int, key: ConversationKey, now: datetime,
                 zone: ZoneInfo) -> JobOutcome:
        sessions = store.list_sessions(conn, coachee_id=coachee_id)
        checkins = self.planner.checkin_schedule(conn, coachee_id)
        if checkins is None:
            return job_dropped("the coachee turned check-ins off")
        reason = checkin_allowed(now, sessions, schedule=checkins, zone=zone)
        if reason is not None and reason != "weekend":
            return job_dropped(reason)
        self.engine.start_flow_in(conn, coachee_id=coachee_id, flow="checkin", key=key, now=now)
        return job_done()

    def _post_session(self, conn: Connection, session: Session, key: ConversationKey, now: datetime, *,
                      flow: str) -> JobOutcome:
        if session.status not in UPCOMING:
            return job_dropped(f"session {session.number} is {session.status}")
        store.update_session(conn, session.id, status="done")
        self.engine.start_flow_in(conn, coachee_id=session.coachee_id, flow=flow, key=key, now=now)
        return job_done(flow)

    def _digest(self, conn: Connection, job: JobRow, now: datetime) -> JobOutcome:
        assert job.coachee_id is not None
        sent = send_digest(conn, coachee_id=job.coachee_id, flows=self.engine.flows.registry, now=now,
                           default_timezone=self.config.schedule.default_timezone, session_id=job.session_id,
                           words=self.engine.wording.digest)
        return job_done() if sent is not None else job_dropped("the coach has no chat to send the digest to")

    def _retention(self, conn: Connection, now: datetime) -> JobOutcome:
        done = purge_expired(conn, now=now, retention=self.config.privacy.retention_after)
        strangers = purge_strangers(conn, now=now, kept_for=self.config.privacy.strangers_kept_for)
        web = purge_web_access(conn, now=now, idle=self.config.web.session_idle)
        return job_done(f"free text deleted for {done.coachees} coachees whose programme ended "
                     f"({done.answers} answers, {done.actions} actions, {done.conversations} conversations, "
                     f"{done.outbox} messages); {strangers.conversations} strangers' conversations deleted "
                     f"({strangers.outbox} messages); {web} old web sign-in links and sessions deleted")

    def _caseload(self, conn: Connection, job: JobRow, now: datetime) -> JobOutcome:
        assert job.coach_id is not None
        sent = send_caseload(conn, coach_id=job.coach_id, now=now,
                             default_timezone=self.config.schedule.default_timezone, words=self.engine.wording.caseload)
        return job_done() if sent is not None else job_dropped("no chat for this coach")
