"""The coach's Monday overview of their caseload: this week's sessions, and who may need a personal word.

Names, dates and statuses only: nothing a coachee wrote. "Quiet" means nothing heard from an active coachee for
`quiet_after` (14 days): no message, answer or safety screen of theirs in that time, or none since they were added.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.storage import store
from bot.storage.records import Coachee
from bot.transports.registry import title_of
from bot.types import Reply
from bot.wording import CaseloadWording, EngineWording

QUIET_AFTER = timedelta(days=14)


class WeekSession(BaseModel):
    """A session this week, with its time on the coachee's own clock."""

    model_config = ConfigDict(frozen=True)

    coachee_id: int
    name: str
    number: int
    at: datetime
    timezone: str


class Quiet(BaseModel):
    model_config = ConfigDict(frozen=True)

    coachee_id: int
    name: str
    last_heard: datetime | None  # None: nothing since they were added


class Unreachable(BaseModel):
    model_config = ConfigDict(frozen=True)

    coachee_id: int
    name: str
    transport: str
    since: datetime


class Caseload(BaseModel):
    """One coach's overview: the groups (for the scheduler and tests) and the text sent to the coach."""

    model_config = ConfigDict(frozen=True)

    coach_id: int
    sessions: tuple[WeekSession, ...]
    quiet: tuple[Quiet, ...]
    on_hold: tuple[int, ...]
    paused: tuple[int, ...]
    unreachable: tuple[Unreachable, ...]
    left: tuple[int, ...]
    text: str


def build_caseload(
    conn: Connection, *, coach_id: int, now: datetime, default_timezone: str = "UTC",
    quiet_after: timedelta = QUIET_AFTER, words: CaseloadWording | None = None,
) -> Caseload:
    """The overview for the week containing `now`, each coachee's week taken on their own clock."""
    coach = store.get_coach(conn, coach_id)
    coachees = store.list_coachees(conn, coach_id=coach_id)
    names = {c.id: c.name for c in coachees}
    statuses = {c.id: c.status for c in coachees}
    zones = {c.id: ZoneInfo(c.timezone or default_timezone) for c in coachees}
    sessions = _sessions_this_week(conn, [c for c in coachees if c.status != "stopped"], zones=zones, now=now)
    unreachable = tuple(
        Unreachable(coachee_id=coachee_id, name=names[coachee_id], transport=transport, since=since)
        for coachee_id, transport, since in store.unreachable_of(conn, coach_id=coach_id)
        if statuses.get(coachee_id) != "stopped"
    )
    cut_off = {u.coachee_id for u in unreachable}
    heard = store.last_heard_from(conn, coach_id=coach_id)
    joined = store.joined_at(conn, coach_id=coach_id)
    quiet = tuple(
        Quiet(coachee_id=c.id, name=c.name, last_heard=heard.get(c.id))
        for c in coachees
        if c.status == "active" and c.id not in cut_off and heard.get(c.id, joined[c.id]) <= now - quiet_after
    )
    caseload = Caseload(
        coach_id=coach.id, sessions=sessions, quiet=quiet, unreachable=unreachable,
        on_hold=tuple(c.id for c in coachees if c.status == "hold"),
        paused=tuple(c.id for c in coachees if c.status == "paused"),
        left=tuple(c.id for c in coachees if c.status == "stopped"), text="",
    )
    text = _text(caseload, names=names, zones=zones, joined=joined, now=now.astimezone(ZoneInfo(default_timezone)),
                 quiet_after=quiet_after, words=words or EngineWording.load().caseload)
    return caseload.model_copy(update={"text": text})


def send_caseload(conn: Connection, *, coach_id: int, now: datetime, default_timezone: str = "UTC",
                  words: CaseloadWording | None = None) -> int | None:
    """Queue the overview to the coach's first chat, in the caller's transaction; None if they have no chat."""
    identities = store.identities_of(conn, coach_id=coach_id)
    if not identities:
        return None
    caseload = build_caseload(conn, coach_id=coach_id, now=now, default_timezone=default_timezone, words=words)
    reply = Reply(text=caseload.text, markdown=True)
    (outbox_id,) = store.add_outbox(conn, to=store.address_of(identities[0]), replies=[reply], kind="caseload", at=now,
                                    coachee_id=None)
    return outbox_id


def _week(today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=7)


def _sessions_this_week(
    conn: Connection, coachees: list[Coachee], *, zones: dict[int, ZoneInfo], now: datetime
) -> tuple[WeekSession, ...]:
    found = []
    for coachee in coachees:
        zone = zones[coachee.id]
        start, end = _week(now.astimezone(zone).date())
        for session in store.list_sessions(conn, coachee_id=coachee.id):
            if session.status != "cancelled" and start <= session.at.astimezone(zone).date() < end:
                found.append(WeekSession(coachee_id=coachee.id, name=coachee.name, number=session.number,
                                         at=session.at, timezone=zone.key))
    return tuple(sorted(found, key=lambda s: s.at))


def _text(
    caseload: Caseload, *, names: dict[int, str], zones: dict[int, ZoneInfo], joined: dict[int, datetime],
    now: datetime, quiet_after: timedelta, words: CaseloadWording,
) -> str:
    def day(coachee_id: int, moment: datetime) -> str:
        return f"{moment.astimezone(zones[coachee_id]):%-d %b}"

    monday, _ = _week(now.date())
    w = words
    lines = [w.title.format(monday=f"{monday:%-d %B %Y}"), "", w.sessions]
    lines += [w.session_line.format(when=f"{s.at.astimezone(ZoneInfo(s.timezone)):%a %-d %b %H:%M}", zone=s.timezone,
                                    name=s.name, number=s.number) for s in caseload.sessions] or [w.no_sessions]
    lines += ["", w.quiet.format(days=quiet_after.days)]
    lines += [w.quiet_line.format(name=q.name, day=day(q.coachee_id, q.last_heard)) if q.last_heard is not None
              else w.quiet_new_line.format(name=q.name, day=day(q.coachee_id, joined[q.coachee_id]))
              for q in caseload.quiet] or [w.nobody]
    lines += ["", w.on_hold]
    lines += [f"- {names[i]}" for i in caseload.on_hold] or [w.nobody]
    lines += ["", w.unreachable]
    lines += [w.unreachable_line.format(name=u.name, platform=title_of(u.transport), day=day(u.coachee_id, u.since))
              for u in caseload.unreachable] or [w.nobody]
    if caseload.paused:
        lines += ["", w.paused, *(f"- {names[i]}" for i in caseload.paused)]
    if caseload.left:
        lines += ["", w.left, *(f"- {names[i]}" for i in caseload.left)]
    return "\n".join(lines) + "\n"
