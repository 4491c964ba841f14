"""What should happen when, for one coachee: pure calendar arithmetic, in the coachee's own time zone.

Leads like "three days before the session" are wall-clock arithmetic, so a 10:00 session's questions come
at 10:00 local three days before, even across a clock change. Durations after an event (the post-session
questions two hours after it) are elapsed time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from bot.config import ScheduleConfig
from bot.storage.records import Session

JobKind = Literal["pre_session", "reminder", "digest", "post_session", "checkin", "caseload", "retention",
                  "group_prep", "group_reflect", "group_digest", "group_commit", "group_close"]
JobStatus = Literal["pending", "running", "done", "dropped"]
OutcomeStatus = Literal["done", "dropped", "later"]
UPCOMING = ("planned", "moved")
AROUND_SESSION = timedelta(hours=48)
NIGHT_STARTS, MORNING = time(21, 0), time(8, 0)
RETENTION_AT = time(3, 0)  # the daily retention job, in the service's default time zone


class PlannedJob(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: JobKind
    due_at: datetime
    coachee_id: int | None = None
    coach_id: int | None = None
    session_id: int | None = None
    group_session_id: int | None = None

    @property
    def key(self) -> str:
        """The same job planned twice has the same key, so planning again never doubles it."""
        if self.group_session_id is not None:  # once per person and group session, whenever a re-plan puts it
            return f"{self.kind}:{self.coachee_id or ''}:{self.coach_id or ''}:group:{self.group_session_id}"
        return (f"{self.kind}:{self.coachee_id or ''}:{self.coach_id or ''}:{self.session_id or ''}:"
                f"{self.due_at.astimezone(UTC):%Y%m%dT%H%M}")


class JobOutcome(BaseModel):
    """How a job went, as the scheduler records it: done, dropped, or again `later` at `due_at`."""

    model_config = ConfigDict(frozen=True)

    status: OutcomeStatus
    note: str | None = None
    due_at: datetime | None = None


def job_done(note: str | None = None) -> JobOutcome:
    return JobOutcome(status="done", note=note)


def job_dropped(note: str) -> JobOutcome:
    return JobOutcome(status="dropped", note=note)


def schedule_for(schedule: ScheduleConfig, *, checkin_time: str | None, checkin_every_days: int | None
                 ) -> ScheduleConfig | None:
    """The service's schedule with the coachee's own check-in choices; None when they chose no check-ins."""
    if checkin_every_days == 0:
        return None
    changes: dict[str, object] = {}
    if checkin_time:
        hour, minute = checkin_time.split(":")
        changes["checkin_time"] = time(int(hour), int(minute))
    if checkin_every_days:
        changes["checkin_every"] = timedelta(days=checkin_every_days)
    return schedule.model_copy(update=changes)


def wall_shift(moment: datetime, zone: ZoneInfo, delta: timedelta) -> datetime:
    """`moment` moved by `delta` on the local wall clock, back in UTC."""
    local = moment.astimezone(zone).replace(tzinfo=None) + delta
    return local.replace(tzinfo=zone).astimezone(UTC)


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def pre_session_flow(session: Session, sessions: Sequence[Session]) -> str:
    """Session 1 sets goals; every later session, the last included, starts from how things have gone."""
    live = [s for s in sessions if s.status != "cancelled"]
    first = min((s.number for s in live), default=session.number)
    return "pre_session" if session.number == first else "follow_up"


def post_session_flow(session: Session, sessions: Sequence[Session]) -> str:
    """After a session, the actions until the next one; after the last, the review of the whole programme."""
    live = [s for s in sessions if s.status != "cancelled"]
    last = max((s.number for s in live), default=session.number)
    return "final_review" if session.number >= last else "post_session"


def job_flow(kind: JobKind, session: Session | None, sessions: Sequence[Session]) -> str | None:
    """The flow a coachee's job will start (None for jobs that start none, such as the coach's digest)."""
    if kind == "checkin":
        return "checkin"
    if session is None:
        return None
    if kind in ("pre_session", "reminder"):
        return pre_session_flow(session, sessions)
    if kind == "post_session":
        return post_session_flow(session, sessions)
    return None


def session_jobs(
    sessions: Sequence[Session], *, coachee_id: int, schedule: ScheduleConfig, zone: ZoneInfo
) -> list[PlannedJob]:
    """Before each upcoming session: the questions, one reminder, the coach's digest; after it, actions."""
    jobs: list[PlannedJob] = []
    for session in sessions:
        if session.status not in UPCOMING:
            continue
        questions = wall_shift(session.at, zone, -schedule.pre_session_lead)
        common = {"coachee_id": coachee_id, "session_id": session.id}
        jobs += [
            PlannedJob(kind="pre_session", due_at=questions, **common),
            PlannedJob(kind="reminder", due_at=questions + (session.at - questions) / 2, **common),
            PlannedJob(kind="digest", due_at=wall_shift(session.at, zone, -schedule.digest_lead), **common),
            PlannedJob(kind="post_session", due_at=session.at + schedule.post_session_delay, **common),
        ]
    return jobs


# not said: why a check-in didn't go, as the scheduler's job note for an operator
_NO_CHECKIN = {"none": "no sessions booked", "before": "before the programme starts",
               "after": "after the programme ends", "near": "within 48 hours of a session"}


def checkin_allowed(moment: datetime, sessions: Sequence[Session], *, schedule: ScheduleConfig,
                    zone: ZoneInfo) -> str | None:
    """Why a check-in can't go at `moment` (None if it can): weekends, near a session, outside the programme."""
    live = sorted((s for s in sessions if s.status != "cancelled"), key=lambda s: s.at)
    if not live:
        return _NO_CHECKIN["none"]
    if moment <= live[0].at:
        return _NO_CHECKIN["before"]
    if moment >= live[-1].at:
        return _NO_CHECKIN["after"]
    if not schedule.checkin_weekends and moment.astimezone(zone).weekday() >= 5:
        return "weekend"
    if any(abs(moment - s.at) < AROUND_SESSION for s in live):
        return _NO_CHECKIN["near"]
    return None


def next_checkin(
    sessions: Sequence[Session], *, after: datetime, schedule: ScheduleConfig, zone: ZoneInfo
) -> datetime | None:
    """The next check-in after `after`: every `checkin_every` (in whole days) from half a step after the first
    session, at `checkin_time` local, skipping those `checkin_allowed` refuses (a weekend one moves to Monday)."""
    live = sorted((s for s in sessions if s.status != "cancelled"), key=lambda s: s.at)
    if not live or after >= live[-1].at:
        return None
    step = timedelta(days=max(1, schedule.checkin_every.days))
    first_day = live[0].at.astimezone(zone).date()
    # Half a step after the first session, so check-ins fall between sessions rather than on them.
    day = first_day + timedelta(days=max(1, step.days // 2))
    while True:
        moment = at_local(day, schedule.checkin_time, zone)
        if moment >= live[-1].at:
            return None
        if moment > after:
            reason = checkin_allowed(moment, live, schedule=schedule, zone=zone)
            if reason == "weekend":
                monday = day + timedelta(days=7 - day.weekday())
                moved = at_local(monday, schedule.checkin_time, zone)
                if checkin_allowed(moved, live, schedule=schedule, zone=zone) is None:
                    return moved
            elif reason is None:
                return moment
        day += step


def next_monday(after: datetime, *, clock: time, zone: ZoneInfo) -> datetime:
    """The first Monday at `clock` local strictly after `after`."""
    day = after.astimezone(zone).date()
    while True:
        if day.weekday() == 0:
            moment = at_local(day, clock, zone)
            if moment > after:
                return moment
        day += timedelta(days=1)


def next_daily(after: datetime, *, clock: time, zone: ZoneInfo) -> datetime:
    """The first `clock` local strictly after `after`: one a day, so a daily job's key is its date."""
    day = after.astimezone(zone).date()
    while True:
        moment = at_local(day, clock, zone)
        if moment > after:
            return moment
        day += timedelta(days=1)


def morning_if_night(moment: datetime, zone: ZoneInfo) -> datetime | None:
    """A message due at night waits for the morning; None when it's daytime already."""
    local = moment.astimezone(zone)
    if MORNING <= local.time() < NIGHT_STARTS:
        return None
    day = local.date() if local.time() < MORNING else local.date() + timedelta(days=1)
    return at_local(day, MORNING, zone)
