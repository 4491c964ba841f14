"""Peer coaching groups: a few colleagues led by a coach, each bringing a challenge once.

A group whose N members agreed to its ground rules meets N+1 times: sessions 1 to N each have a different
presenter, and the last has none. Each session ends with the presenter saying what they will do; from session 2
on, a session opens with the previous presenter's feedback. Between sessions coachbot asks the presenter a few
questions to prepare, sends the coach who leads the group a digest, asks the presenter for their commitments
afterwards, and the previous presenter what they reflected on and put into action before the next session.

A member's answers go only to the coach who leads the group, never to other members, unless the member chooses
to share their commitments. Members talk to coachbot as they do one-to-one, so every message of theirs gets the
same safety screen and routing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.config import Config
from bot.listeners import FlowStarter, PromptRefused
from bot.planning import JobOutcome, PlannedJob, job_done, job_dropped, morning_if_night, wall_shift
from bot.storage import groups as gstore
from bot.storage import outbox as outbox_rows
from bot.storage import store
from bot.storage.groups import Group, GroupSession
from bot.storage.jobs import JobRow
from bot.storage.records import Coach, Coachee, unrouted_coach
from bot.types import ConversationKey, Reply
from bot.wording import GroupWording
from flows.parsing import parse_when
from flows.registry import FlowError
from flows.stepper import FlowRunner, RecordedAnswer, StepResult

log = logging.getLogger(__name__)

JOIN_FLOW, PREP_FLOW, COMMIT_FLOW, REFLECT_FLOW = "group_join", "group_prep", "group_commit", "group_reflect"
AGREE, COMMITMENTS, SHARE = "agree", "commitments", "share_with_group"
GROUP_KINDS = frozenset({"group_prep", "group_reflect", "group_digest", "group_commit", "group_close"})
TO_MEMBER = frozenset({"group_prep", "group_reflect", "group_commit"})
_NEW = re.compile(r"^(?P<name>.+?)(?:\s+every\s+(?P<n>\d{1,3})\s*(?P<unit>weeks?|days?))?"
                  r"(?:\s+(?:from|starting)\s+(?P<when>.+))?$", re.IGNORECASE)


class GroupError(Exception):
    """What was asked of a group can't be done (too few members for a plan, a bad cadence): one plain line."""


class SessionPlan(BaseModel):
    """One session of the rotation as planned: who brings a challenge, and whose feedback opens it."""

    model_config = ConfigDict(frozen=True)

    number: int
    at: datetime
    presenter_id: int | None = None
    feedback_from_id: int | None = None


class Replanned(BaseModel):
    model_config = ConfigDict(frozen=True)

    sessions: tuple[SessionPlan, ...]  # the whole rotation: sessions held, then those to come
    in_rotation: int
    minimum: int

    @property
    def under_minimum(self) -> bool:
        return self.in_rotation < self.minimum


# the rotation: pure

def slot(start: datetime, *, every: timedelta, zone: ZoneInfo, index: int) -> datetime:
    """The `index`th meeting time from `start` (0 is the start), on the local wall clock across clock changes."""
    return wall_shift(start, zone, every * index)


def rotation(
    members: Sequence[int], *, held: Sequence[SessionPlan], start: datetime, every: timedelta, zone: ZoneInfo,
    now: datetime,
) -> list[SessionPlan]:
    """The whole rotation for these members (in the order they agreed to the ground rules).

    Sessions already held never change. The sessions to come go to the members who haven't presented yet, in
    order, then one closing session with no presenter. Each session's feedback comes from the previous session's
    presenter. New sessions keep to the group's cadence from `start`: the first one to come takes the first
    meeting time after `now` and after the last session held, the rest follow one cadence apart.
    """
    held = sorted(held, key=lambda s: s.number)
    if held and held[-1].presenter_id is None:
        return list(held)  # the closing session has been held: the rotation is over
    presented = {s.presenter_id for s in held}
    to_present = [m for m in dict.fromkeys(members) if m not in presented]
    plan = list(held)
    number = (held[-1].number if held else 0) + 1
    index = number - 1
    after = max(now, held[-1].at) if held else now
    for presenter in [*to_present, None]:
        at = slot(start, every=every, zone=zone, index=index)
        while at <= after:
            index += 1
            at = slot(start, every=every, zone=zone, index=index)
        previous = plan[-1].presenter_id if plan else None
        plan.append(SessionPlan(number=number, at=at, presenter_id=presenter, feedback_from_id=previous))
        number, index, after = number + 1, index + 1, at
    return plan


def finished(sessions: Sequence[GroupSession], *, now: datetime) -> bool:
    """The closing session (the one with no presenter) has been held."""
    held = [s for s in sessions if s.status == "done" or (s.status == "planned" and s.at <= now)]
    return bool(held) and held[-1].presenter_id is None


def default_start(now: datetime, *, zone: ZoneInfo, every: timedelta, at: time) -> datetime:
    """With no start given, the first session is one cadence from today, at the service's usual time."""
    day = now.astimezone(zone).date() + timedelta(days=every.days)
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _plan_of(session: GroupSession) -> SessionPlan:
    return SessionPlan(number=session.number, at=session.at, presenter_id=session.presenter_id,
                       feedback_from_id=session.feedback_from_id)


def _held(session: GroupSession, now: datetime) -> bool:
    return session.status == "done" or (session.status == "planned" and session.at <= now)


def _join(lines: Sequence[str]) -> str:
    return "\n".join(lines).strip("\n") + "\n"


class Groups:
    """Peer coaching groups on the engine: the plan, membership, the messages between sessions and the coach's
    chat commands. Everything is written on the caller's connection, in the caller's transaction."""

    def __init__(self, *, config: Config, flows: FlowRunner, words: GroupWording) -> None:
        self.config = config
        self.flows = flows
        self.words = words

    # the plan

    def replan(self, conn: Connection, group: Group, *, now: datetime) -> Replanned:
        """Plan the sessions to come from the members in the rotation now, and their jobs; the sessions held stay.
        Under the minimum, the sessions to come are called off until enough members are in the rotation."""
        gstore.lock_group(conn, group.id)
        zone = ZoneInfo(group.timezone)
        stored = gstore.sessions_of(conn, group.id, with_cancelled=True)
        held = [s for s in stored if _held(s, now)]
        members = [m.coachee_id for m in gstore.members_of(conn, group.id) if m.in_rotation]
        minimum = self.config.groups.min_members
        plan = [_plan_of(s) for s in held]
        if len(members) >= minimum:
            plan = rotation(members, held=plan, start=group.start_at, every=timedelta(days=group.every_days),
                            zone=zone, now=now)
        held_numbers = {s.number for s in held}
        coming = [p for p in plan if p.number not in held_numbers]
        by_number = {s.number: s for s in stored}
        for planned in coming:
            old = by_number.get(planned.number)
            if old is None:
                gstore.add_session(conn, group_id=group.id, number=planned.number, at=planned.at,
                                   presenter_id=planned.presenter_id, feedback_from_id=planned.feedback_from_id)
                continue
            values: dict[str, object] = {"at": planned.at, "presenter_id": planned.presenter_id,
                                         "feedback_from_id": planned.feedback_from_id, "status": "planned"}
            # Runs belong to the person they were sent to: a new presenter prepares afresh.
            if old.presenter_id != planned.presenter_id or old.status == "cancelled":
                values.update(prep_run=None, commit_run=None)
            if old.feedback_from_id != planned.feedback_from_id or old.status == "cancelled":
                values.update(feedback_run=None)
            gstore.update_session(conn, old.id, **values)
        numbers = {p.number for p in coming}
        for session in stored:
            if session.number not in held_numbers | numbers and session.status != "cancelled":
                gstore.update_session(conn, session.id, status="cancelled")
        self._plan_jobs(conn, group, now=now)
        return Replanned(sessions=tuple(plan), in_rotation=len(members), minimum=minimum)

    def _plan_jobs(self, conn: Connection, group: Group, *, now: datetime) -> None:
        """Before each session to come: the presenter's questions, the previous presenter's reflection and the
        coach's digest; after each session: the presenter's commitments (or, after the last, its close)."""
        zone = ZoneInfo(group.timezone)
        schedule = self.config.schedule
        members = {m.coachee_id for m in gstore.members_of(conn, group.id) if m.in_rotation}
        jobs: list[PlannedJob] = []
        for session in gstore.sessions_of(conn, group.id):
            if session.status != "planned":
                continue
            sid = session.id
            if session.at > now:
                ask = max(now, wall_shift(session.at, zone, -schedule.pre_session_lead))
                if session.presenter_id in members:
                    jobs.append(PlannedJob(kind="group_prep", due_at=ask, coachee_id=session.presenter_id,
                                           group_session_id=sid))
                if session.feedback_from_id in members:
                    jobs.append(PlannedJob(kind="group_reflect", due_at=ask, coachee_id=session.feedback_from_id,
                                           group_session_id=sid))
                jobs.append(PlannedJob(kind="group_digest", coach_id=group.coach_id, group_session_id=sid,
                                       due_at=max(now, wall_shift(session.at, zone, -schedule.digest_lead))))
            after = session.at + schedule.post_session_delay
            if session.presenter_id is not None:
                jobs.append(PlannedJob(kind="group_commit", due_at=after, coachee_id=session.presenter_id,
                                       group_session_id=sid))
            else:
                jobs.append(PlannedJob(kind="group_close", due_at=after, coach_id=group.coach_id,
                                       group_session_id=sid))
        gstore.replace_pending_jobs(conn, group_id=group.id, jobs=jobs)

    def plan(self, conn: Connection, group: Group, *, now: datetime) -> list[GroupSession]:
        """The rotation as planned; GroupError when the group has too few members in it to have one."""
        sessions = gstore.sessions_of(conn, group.id)
        in_rotation = sum(1 for m in gstore.members_of(conn, group.id) if m.in_rotation)
        if in_rotation < self.config.groups.min_members and not finished(sessions, now=now):
            raise GroupError(self._short_of(group, in_rotation, held=any(_held(s, now) for s in sessions)))
        return sessions

    def _short_of(self, group: Group, in_rotation: int, *, held: bool) -> str:
        template = self.words.on_hold if held else self.words.under_minimum
        return template.format(group=group.name, agreed=in_rotation, minimum=self.config.groups.min_members)

    def plan_text(self, conn: Connection, group: Group, *, now: datetime) -> str:
        sessions = self.plan(conn, group, now=now)
        zone = ZoneInfo(group.timezone)
        names = self._names(conn, [s.presenter_id for s in sessions] + [s.feedback_from_id for s in sessions])
        lines = []
        for session in sessions:
            who = []
            if session.feedback_from_id is not None:
                who.append(self.words.feedback.format(member=names[session.feedback_from_id]))
            if session.presenter_id is not None:
                who.append(self.words.presents.format(member=names[session.presenter_id]))
            else:
                who.append(self.words.closing)
            done = self.words.done if session.status == "done" else ""
            lines.append(self.words.plan_line.format(number=session.number, when=self._short_when(session.at, zone),
                                                     who="; ".join(who)) + done)
        return self.words.plan.format(group=group.name, days=group.every_days, zone=zone.key, lines="\n".join(lines))

    def _summary(self, conn: Connection, group: Group, replanned: Replanned, *, now: datetime) -> str:
        """What the coach needs to know after a change: the plan from here, or why there is none."""
        sessions = gstore.sessions_of(conn, group.id)
        if replanned.under_minimum and not finished(sessions, now=now):
            return self._short_of(group, replanned.in_rotation, held=any(_held(s, now) for s in sessions))
        return self.plan_text(conn, group, now=now)

    # groups and members

    def create(self, conn: Connection, *, coach_id: int, name: str, every: timedelta | None, start: datetime | None,
               now: datetime) -> Group:
        coach = store.get_coach(conn, coach_id)
        every = every or self.config.groups.every
        if every < timedelta(days=1) or every % timedelta(days=1):
            raise GroupError("give the cadence as a whole number of days, like P14D or P21D")
        for same in gstore.list_groups(conn, coach_id=coach.id):
            if same.name.casefold() == name.casefold():
                raise GroupError(self.words.exists.format(group=same.name))
        zone = ZoneInfo(self.config.schedule.default_timezone)
        if start is None:
            start = default_start(now, zone=zone, every=every, at=self.config.groups.session_time)
        elif start <= now:
            raise GroupError("the first session must be in the future")
        group = gstore.add_group(conn, coach_id=coach.id, name=name, every_days=every.days, start_at=start,
                                 timezone=zone.key, at=now)
        log.info("group %s created for coach %s", group.id, coach.id)
        return group

    def add_member(self, conn: Connection, group: Group, coachee: Coachee, *, now: datetime, starter: FlowStarter,
                   exact_reason: bool = False) -> str:
        """Invite a coachee: they get the ground rules now, and join the rotation once they agree. GroupError, with
        nothing changed, when the ground rules can't go to them now (not onboarded, on hold, no chat). The reason is
        given exactly only to the operator: a coach who leads a group is not told a member is on a safety hold."""
        existing = gstore.get_member(conn, group_id=group.id, coachee_id=coachee.id)
        if existing is not None and existing.in_rotation:
            return self.words.already.format(member=coachee.name, group=group.name)
        again = existing is not None and existing.active
        coach = store.get_coach(conn, group.coach_id)
        intro = self.words.invite.format(name=coachee.first_name, coach=coach.name, group=group.name,
                                         days=group.every_days)
        try:
            run = self._start(conn, coachee.id, JOIN_FLOW, intro=intro, now=now, starter=starter)
        except PromptRefused as exc:
            reason = str(exc) if exact_reason else (
                self.words.not_started if coachee.consent_store is None else self.words.not_now)
            raise GroupError(self.words.not_sent.format(member=coachee.name, group=group.name, reason=reason)) from None
        gstore.add_member(conn, group_id=group.id, coachee_id=coachee.id, at=now)
        if run is not None:
            gstore.set_join_run(conn, group_id=group.id, coachee_id=coachee.id, run_id=run)
        log.info("coachee %s invited to group %s", coachee.id, group.id)
        template = self.words.invited_again if again else self.words.invited
        return template.format(member=coachee.name, group=group.name)

    def remove_member(self, conn: Connection, group: Group, coachee: Coachee, *, now: datetime,
                      tell_coach: bool) -> str:
        """A member leaves: the sessions to come are re-planned without them, and they are told."""
        gstore.lock_group(conn, group.id)
        member = gstore.get_member(conn, group_id=group.id, coachee_id=coachee.id)
        if member is None or not member.active:
            raise GroupError(self.words.not_member.format(member=coachee.name, group=group.name))
        gstore.leave(conn, group_id=group.id, coachee_id=coachee.id, at=now)
        text = self.words.left.format(member=coachee.name, group=group.name)
        if member.in_rotation:
            text += "\n\n" + self._summary(conn, group, self.replan(conn, group, now=now), now=now)
        if coachee.status == "active":
            coach = store.get_coach(conn, group.coach_id)
            self._tell_member(conn, coachee.id, self.words.removed.format(
                name=coachee.first_name, group=group.name, coach=coach.name), about=coachee.id, now=now)
        if tell_coach:
            self._tell_coach(conn, group, text, about=coachee.id, now=now)
        log.info("coachee %s left group %s", coachee.id, group.id)
        return text

    # what members answer (called by the engine after each flow step, in the turn's transaction)

    def after_step(self, conn: Connection, coachee: Coachee, step: StepResult, now: datetime) -> None:
        for answer in step.answers:
            if answer.flow == JOIN_FLOW and answer.question == AGREE:
                self._answered_rules(conn, coachee, answer, now=now)
            elif answer.flow == COMMIT_FLOW and answer.question == SHARE and answer.text == "yes":
                self._share_commitments(conn, coachee, answer.run_id, now=now)

    def _answered_rules(self, conn: Connection, coachee: Coachee, answer: RecordedAnswer, *, now: datetime) -> None:
        member = gstore.member_by_join_run(conn, coachee_id=coachee.id, run_id=answer.run_id)
        if member is None:
            return
        group = gstore.get_group(conn, member.group_id)
        gstore.lock_group(conn, group.id)
        if answer.text != "yes":
            log.info("coachee %s has not agreed to the ground rules of group %s", coachee.id, group.id)
            self._tell_coach(conn, group, self.words.declined.format(member=coachee.name, group=group.name),
                             about=coachee.id, now=now)
            return
        if not gstore.agree(conn, group_id=group.id, coachee_id=coachee.id, at=now):
            return
        log.info("coachee %s agreed to the ground rules of group %s", coachee.id, group.id)
        replanned = self.replan(conn, group, now=now)
        text = self.words.agreed.format(member=coachee.name, group=group.name)
        self._tell_coach(conn, group, text + "\n\n" + self._summary(conn, group, replanned, now=now),
                         about=coachee.id, now=now)

    def _share_commitments(self, conn: Connection, coachee: Coachee, run_id: str, *, now: datetime) -> None:
        """The member chose to let the other members see their commitments: those, and nothing else, go to them."""
        session = gstore.session_by_run(conn, "commit_run", run_id)
        if session is None or session.presenter_id != coachee.id:
            return
        commitments = [text for question, text in store.run_answers(conn, coachee_id=coachee.id, run_id=run_id)
                       if question == COMMITMENTS and text]
        if not commitments:
            return  # not kept (they asked for their answers not to be stored), so there is nothing to pass on
        group = gstore.get_group(conn, session.group_id)
        text = self.words.shared.format(member=coachee.name, group=group.name, commitments=commitments[-1])
        for member in gstore.members_of(conn, group.id):
            others = member.in_rotation and member.coachee_id != coachee.id
            if others and store.get_coachee(conn, member.coachee_id).status == "active":
                self._tell_member(conn, member.coachee_id, text, about=coachee.id, now=now)
        log.info("coachee %s shared their commitments with group %s", coachee.id, group.id)

    # the jobs between sessions (called by the scheduler, in the job's transaction)

    def run_job(self, conn: Connection, job: JobRow, key: ConversationKey | None, now: datetime, *,
                starter: FlowStarter) -> JobOutcome:
        session = gstore.find_session(conn, job.group_session_id) if job.group_session_id is not None else None
        if session is None or session.status == "cancelled":
            return job_dropped("its group session is off")
        group = gstore.get_group(conn, session.group_id)
        if job.kind in TO_MEMBER:
            assert job.coachee_id is not None and key is not None
            coachee = store.get_coachee(conn, job.coachee_id)
            morning = morning_if_night(now, ZoneInfo(coachee.timezone or self.config.schedule.default_timezone))
            if morning is not None:
                return JobOutcome(status="later", note="night: waiting for the morning", due_at=morning)
        if job.kind == "group_close":
            return self._close(conn, group, session, now=now)
        if job.kind == "group_commit":
            assert job.coachee_id is not None and key is not None
            return self._commit(conn, group, session, job.coachee_id, key, now=now, starter=starter)
        if session.status != "planned" or now >= session.at:
            return job_dropped(f"session {session.number} has already started")
        if job.kind == "group_digest":
            return self._send_digest(conn, group, session, now=now)
        assert job.coachee_id is not None and key is not None
        if job.kind == "group_prep":
            return self._prep(conn, group, session, job.coachee_id, key, now=now, starter=starter)
        return self._reflect(conn, group, session, job.coachee_id, key, now=now, starter=starter)

    def _in_rotation(self, conn: Connection, group: Group, coachee_id: int) -> bool:
        member = gstore.get_member(conn, group_id=group.id, coachee_id=coachee_id)
        return member is not None and member.in_rotation

    def _prep(self, conn: Connection, group: Group, session: GroupSession, coachee_id: int, key: ConversationKey,
              *, now: datetime, starter: FlowStarter) -> JobOutcome:
        if session.presenter_id != coachee_id or not self._in_rotation(conn, group, coachee_id):
            return job_dropped("no longer this session's presenter")
        coachee, coach = store.get_coachee(conn, coachee_id), store.get_coach(conn, group.coach_id)
        intro = self.words.prep.format(name=coachee.first_name, group=group.name, coach=coach.name,
                                       when=self._long_when(session.at, coachee, group))
        run = self._start(conn, coachee_id, PREP_FLOW, intro=intro, now=now, key=key, starter=starter)
        if run is not None:
            gstore.set_run(conn, session.id, "prep_run", run)
        return job_done()

    def _reflect(self, conn: Connection, group: Group, session: GroupSession, coachee_id: int, key: ConversationKey,
                 *, now: datetime, starter: FlowStarter) -> JobOutcome:
        if session.feedback_from_id != coachee_id or not self._in_rotation(conn, group, coachee_id):
            return job_dropped("no longer giving this session's feedback")
        coachee = store.get_coachee(conn, coachee_id)
        intro = self.words.reflect.format(name=coachee.first_name, group=group.name,
                                          when=self._long_when(session.at, coachee, group))
        previous = next((s for s in gstore.sessions_of(conn, group.id) if s.number == session.number - 1), None)
        said = self._run_texts(conn, coachee_id, previous.commit_run if previous else None, COMMITMENTS)
        if said:
            intro += " " + self.words.reflect_commitments.format(commitments=said[-1])
        run = self._start(conn, coachee_id, REFLECT_FLOW, intro=intro, now=now, key=key, starter=starter)
        if run is not None:
            gstore.set_run(conn, session.id, "feedback_run", run)
        return job_done()

    def _commit(self, conn: Connection, group: Group, session: GroupSession, coachee_id: int, key: ConversationKey,
                *, now: datetime, starter: FlowStarter) -> JobOutcome:
        if session.status != "planned":
            return job_dropped(f"session {session.number} is {session.status}")
        gstore.update_session(conn, session.id, status="done")
        if session.presenter_id != coachee_id or not self._in_rotation(conn, group, coachee_id):
            return job_done("session recorded; its presenter has left the group")
        coachee = store.get_coachee(conn, coachee_id)
        intro = self.words.commit.format(name=coachee.first_name, group=group.name)
        try:
            run = self._start(conn, coachee_id, COMMIT_FLOW, intro=intro, now=now, key=key, starter=starter)
        except PromptRefused as exc:
            return job_dropped(f"session recorded; no questions sent: {exc}")
        if run is not None:
            gstore.set_run(conn, session.id, "commit_run", run)
        return job_done()

    def _close(self, conn: Connection, group: Group, session: GroupSession, *, now: datetime) -> JobOutcome:
        if session.status != "planned":
            return job_dropped(f"session {session.number} is {session.status}")
        gstore.update_session(conn, session.id, status="done")
        self._tell_coach(conn, group, self.words.closed.format(group=group.name), about=None, now=now)
        log.info("group %s closed its rotation", group.id)
        return job_done()

    def _send_digest(self, conn: Connection, group: Group, session: GroupSession, *, now: datetime) -> JobOutcome:
        identities = store.identities_of(conn, coach_id=group.coach_id)
        if not identities:
            return job_dropped("the coach has no chat to send the digest to")
        to = store.address_of(identities[0])
        for reply, about in self.digest(conn, group, session):
            store.add_outbox(conn, to=to, replies=[reply], kind="digest", at=now, coachee_id=about)
        return job_done()

    # the coach's digest before a session

    def digest(self, conn: Connection, group: Group, session: GroupSession) -> list[tuple[Reply, int | None]]:
        """The previous presenter's feedback first (their reflection, then what they said they would do), then the
        presenter's preparation. Each member's words are a message of their own, recorded against that member, so
        their erasure takes them too; nothing from any other member is read."""
        zone = ZoneInfo(group.timezone)
        sessions = gstore.sessions_of(conn, group.id)
        total = max((s.number for s in sessions), default=session.number)
        header = [self.words.digest_title.format(group=group.name, number=session.number, total=total),
                  f"- {self._short_when(session.at, zone)} ({zone.key})", ""]
        parts: list[tuple[list[str], int | None]] = []
        if session.feedback_from_id is not None:
            previous = next((s for s in sessions if s.number == session.number - 1), None)
            parts.append((self._feedback(conn, session, previous), session.feedback_from_id))
        if session.presenter_id is not None:
            parts.append((self._preparation(conn, session), session.presenter_id))
        else:
            parts.append(([self.words.closing_title, self.words.closing_note], None))
        parts[0] = (header + parts[0][0], parts[0][1])
        return [(Reply(text=_join(lines), markdown=True), about) for lines, about in parts]

    def _feedback(self, conn: Connection, session: GroupSession, previous: GroupSession | None) -> list[str]:
        assert session.feedback_from_id is not None
        who = store.get_coachee(conn, session.feedback_from_id)
        number = previous.number if previous else session.number - 1
        words = self.words
        lines = [words.feedback_title.format(member=who.name),
                 words.feedback_intro.format(first=who.first_name, number=number), ""]
        lines += self._answer_lines(conn, who, REFLECT_FLOW, session.feedback_run, words.reflection_questions)
        commit_run = previous.commit_run if previous else None
        lines += self._answer_lines(conn, who, COMMIT_FLOW, commit_run, words.commit_questions.format(number=number))
        return lines

    def _preparation(self, conn: Connection, session: GroupSession) -> list[str]:
        assert session.presenter_id is not None
        who = store.get_coachee(conn, session.presenter_id)
        return [self.words.presenter_title.format(member=who.name),
                *self._answer_lines(conn, who, PREP_FLOW, session.prep_run, self.words.prep_questions)]

    def commitments(self, conn: Connection, session: GroupSession) -> list[str]:
        """What the presenter said they would do after this session, as far as they shared it with the facilitator
        (the same lines as the next session's digest)."""
        if session.presenter_id is None:
            return []
        who = store.get_coachee(conn, session.presenter_id)
        return self._answer_lines(conn, who, COMMIT_FLOW, session.commit_run,
                                  self.words.commit_questions.format(number=session.number))

    def _answer_lines(self, conn: Connection, who: Coachee, flow: str, run_id: str | None, asked: str) -> list[str]:
        """This member's answers to one run, under their headings; or a plain word on why there are none."""
        words, first = self.words, who.first_name
        if who.consent_store is False:
            return [words.answers_not_kept.format(first=first, asked=asked)]
        if run_id is None:
            return [words.run_not_sent.format(first=first, asked=asked)]
        answers = [(q, text) for q, text in store.run_answers(conn, coachee_id=who.id, run_id=run_id) if text]
        if not any(q != SHARE for q, _ in answers):
            return [words.not_answered.format(first=first, asked=asked)]
        spec = self.flows.registry.spec(flow)
        lines = []
        for question, text in answers:
            if question == SHARE:
                if text == "yes":
                    lines.append(words.shared_with_group.format(first=first))
                continue
            try:
                heading = spec.state(question).heading
            except (KeyError, FlowError):
                heading = question.replace("_", " ").capitalize()
            lines.append(f"- **{heading}**: {' '.join(text.split())}")
        return lines

    # the coach's chat commands (called by the engine in the coach's turn)

    def coach_command(self, conn: Connection, coach: Coach, word: str, rest: str, *, now: datetime,
                      starter: FlowStarter) -> Reply:
        if word == "groupnew":
            return Reply(text=self._new(conn, coach, rest, now=now))
        if word in ("groupadd", "groupleave"):
            return Reply(text=self._membership(conn, coach, word, rest, now=now, starter=starter))
        if word == "group" and rest:
            group = self._find_group(conn, coach, rest)
            if group is None:
                return Reply(text=self.words.which_group.format(query=rest))
            try:
                return Reply(text=self.plan_text(conn, group, now=now))
            except GroupError as exc:
                return Reply(text=str(exc))
        return Reply(text=self._listing(conn, coach, now=now))

    def _listing(self, conn: Connection, coach: Coach, *, now: datetime) -> str:
        groups = gstore.list_groups(conn, coach_id=coach.id)
        if not groups:
            return self.words.none
        lines = []
        for group in groups:
            members = gstore.members_of(conn, group.id)
            coming = [s for s in gstore.sessions_of(conn, group.id) if s.status == "planned" and s.at > now]
            nxt = self.words.no_next if not coming else self.words.next_session.format(
                number=coming[0].number, when=self._short_when(coming[0].at, ZoneInfo(group.timezone)))
            lines.append(self.words.listing_line.format(
                group=group.name, id=group.id, agreed=sum(m.in_rotation for m in members),
                waiting=sum(not m.in_rotation for m in members), next=nxt))
        return self.words.listing.format(lines="\n".join(lines)) + "\n\n" + self.words.usage

    def _new(self, conn: Connection, coach: Coach, rest: str, *, now: datetime) -> str:
        match = _NEW.match(rest.strip())
        if match is None or len(match["name"]) > 200:
            return self.words.new_usage
        name = " ".join(match["name"].split())
        every = None
        if match["n"]:
            every = timedelta(days=int(match["n"]) * (7 if match["unit"].lower().startswith("week") else 1))
        zone = ZoneInfo(self.config.schedule.default_timezone)
        start = None
        if match["when"]:
            start = parse_when(match["when"], now=now.astimezone(zone))
            if start is None or start <= now:
                return self.words.new_when.format(when=match["when"])
        try:
            group = self.create(conn, coach_id=coach.id, name=name, every=every, start=start, now=now)
        except GroupError as exc:
            return str(exc)
        return self.words.created.format(group=group.name, id=group.id, days=group.every_days,
                                         when=f"{self._short_when(group.start_at, zone)} ({zone.key})")

    def _membership(self, conn: Connection, coach: Coach, word: str, rest: str, *, now: datetime,
                    starter: FlowStarter) -> str:
        """`/groupadd GROUP PERSON` and `/groupleave GROUP PERSON`: the longest group name that fits, then a person."""
        words = rest.split()
        for cut in range(len(words) - 1, 0, -1):
            group = self._find_group(conn, coach, " ".join(words[:cut]))
            if group is None:
                continue
            person = self._find_person(conn, coach, group, " ".join(words[cut:]))
            if person is None:
                continue
            try:
                if word == "groupadd":
                    return self.add_member(conn, group, person, now=now, starter=starter)
                return self.remove_member(conn, group, person, now=now, tell_coach=False)
            except GroupError as exc:
                return str(exc)
        return self.words.member_usage

    def _find_group(self, conn: Connection, coach: Coach, query: str) -> Group | None:
        """One of this coach's groups, by id or name; only their own."""
        query = " ".join(query.split()).casefold()
        groups = gstore.list_groups(conn, coach_id=coach.id)
        exact = [g for g in groups if query in (g.name.casefold(), str(g.id))]
        if len(exact) == 1:
            return exact[0]
        partial = [g for g in groups if query and query in g.name.casefold()]
        return partial[0] if len(partial) == 1 else None

    def _find_person(self, conn: Connection, coach: Coach, group: Group, query: str) -> Coachee | None:
        """One of the coach's own coachees or of this group's members, by id or name; nobody else. Another coach's
        coachee joins a group through the operator (`coachbot group add`), so a coach can't learn, by counting ids,
        who else is in the service: an id of someone else's coachee and a made-up one get the same answer."""
        query = " ".join(query.split()).casefold()
        known = {c.id: c for c in store.list_coachees(conn, coach_id=coach.id)}
        for member in gstore.members_of(conn, group.id):
            known.setdefault(member.coachee_id, store.get_coachee(conn, member.coachee_id))
        if query.isdigit():
            return known.get(int(query))
        exact = [c for c in known.values() if query in (c.name.casefold(), c.first_name.casefold())]
        if len(exact) == 1:
            return exact[0]
        partial = [c for c in known.values() if query and query in c.name.casefold()]
        return partial[0] if len(partial) == 1 else None

    # helpers

    def _start(self, conn: Connection, coachee_id: int, flow: str, *, intro: str, now: datetime, starter: FlowStarter,
               key: ConversationKey | None = None) -> str | None:
        """Start a group flow for a member after a line saying what it is for; returns the flow run's id.
        Raises PromptRefused, leaving nothing behind, when it mustn't start now (on hold, paused, no chat)."""
        if key is None:
            key = self._address(conn, coachee_id)
            store.lock_conversation(conn, key)  # not this member's turn, so take their conversation's lock
        ids = store.add_outbox(conn, to=key, replies=[Reply(text=intro)], kind="prompt", at=now,
                               coachee_id=coachee_id)
        try:
            starter.start_flow_in(conn, coachee_id=coachee_id, flow=flow, key=key, now=now)
        except PromptRefused:
            outbox_rows.delete_rows(conn, ids)
            raise
        conversation = store.load_conversation(conn, key)
        position = conversation.data.position if conversation is not None else None
        return position.run_id if position is not None and position.flow == flow else None

    def _address(self, conn: Connection, coachee_id: int) -> ConversationKey:
        """Where a member is talked to, as Engine.address finds it, on this transaction's connection."""
        key = store.current_address(conn, coachee_id)
        if key is None:
            raise PromptRefused(f"coachee {coachee_id} hasn't joined on any chat yet")
        return key

    def _tell_member(self, conn: Connection, coachee_id: int, text: str, *, about: int, now: datetime) -> None:
        try:
            key = self._address(conn, coachee_id)
        except PromptRefused:
            return
        store.add_outbox(conn, to=key, replies=[Reply(text=text)], kind="notice", at=now, coachee_id=about)

    def _tell_coach(self, conn: Connection, group: Group, text: str, *, about: int | None, now: datetime) -> None:
        """A notice to the coach who leads the group. With no chat to reach them it waits as a dead letter, where
        `coachbot outbox --dead` shows it."""
        to = store.coach_address(conn, group.coach_id)
        if to is None:
            log.error("coach %s has no chat to reach them; the group notice stays in the outbox as dead",
                      group.coach_id)
            to = unrouted_coach(group.coach_id)
        store.add_outbox(conn, to=to, replies=[Reply(text=text)], kind="notice", at=now, coachee_id=about)

    def _run_texts(self, conn: Connection, coachee_id: int, run_id: str | None, question: str) -> list[str]:
        if run_id is None:
            return []
        return [text for q, text in store.run_answers(conn, coachee_id=coachee_id, run_id=run_id)
                if q == question and text]

    def _names(self, conn: Connection, ids: Sequence[int | None]) -> dict[int, str]:
        return {i: store.get_coachee(conn, i).name for i in dict.fromkeys(ids) if i is not None}

    def _long_when(self, at: datetime, coachee: Coachee, group: Group) -> str:
        zone = ZoneInfo(coachee.timezone or group.timezone)
        return f"{at.astimezone(zone):%A %-d %B at %H:%M}"

    @staticmethod
    def _short_when(at: datetime, zone: ZoneInfo) -> str:
        return f"{at.astimezone(zone):%a %-d %b %Y, %H:%M}"


def parse_start(text: str, zone: ZoneInfo) -> datetime:
    """`--start`: ISO 8601, read in the group's time zone when it carries none."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise GroupError(f"--start: {text!r} is not an ISO 8601 time like 2026-12-01T10:00") from None
    return (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(UTC)
