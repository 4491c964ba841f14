"""A coachee's page as their coach may see it: what they shared, session by session, the goal over time, the
actions and how they went, the scaling readings (for the chart and the table) and the safety record.

Gathered by the digest's own code (bot/digest_view.py, bot/digest_history.py), so the page and the digest agree on
what is shared: an answer shows only if the coachee shared it; one kept out of a run they sent is counted, never
shown; a run never sent is not mentioned. Without consent to keep and share answers, only the safety record shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.chart import Reading, SessionMark, chart_alt, source_label
from bot.digest import consent_refusal, routing_words
from bot.digest_history import actions_history, goal_history, scaling
from bot.digest_view import BEFORE, AnswerView, Calendar, heading, one_line
from bot.storage import store
from bot.storage.records import Coachee, Session, StoredAnswer
from bot.wording import DigestWording
from flows.registry import FlowRegistry

__all__ = ["SESSION_FLOWS", "CoacheePage", "Gathered", "Line", "coachee_page", "gather"]

SESSION_FLOWS = frozenset({"pre_session", "follow_up", "post_session", "checkin", "journal", "final_review"})
"""The coaching flows a coachee answers for their coach; onboarding and peer-group flows are not theirs to show."""
UPCOMING = ("planned", "moved")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Item(_Frozen):
    heading: str
    text: str
    day: str
    source: str


class SessionBlock(_Frozen):
    """One session and what the coachee shared around it: before it (its questions) and after it (until the next)."""

    number: int | None  # None: before any session, or not yet linked to a booked one
    when: str | None
    status: str | None
    before: tuple[Item, ...]
    after: tuple[Item, ...]
    kept: tuple[str, ...]  # "Sam kept 2 answers private.": a count, never which


class Line(_Frozen):
    """A line of the digest's history, as a list item (level 0) or a note under one (level 1), or a plain note."""

    kind: Literal["item", "sub", "note"]
    text: str


class ReadingRow(_Frozen):
    day: str
    value: int
    source: str
    where: str


class SafetyRow(_Frozen):
    when: str
    tier: str
    done: str
    said_mistake: str | None


class CoacheePage(_Frozen):
    id: int
    name: str
    status: str
    hold_since: datetime | None
    timezone: str
    next_session: str | None
    refusal: str | None
    blocks: tuple[SessionBlock, ...]
    goal: tuple[Line, ...]
    actions: tuple[Line, ...]
    readings: tuple[ReadingRow, ...]
    readings_kept: tuple[str, ...]
    chart_alt: str | None
    safety: tuple[SafetyRow, ...]


@dataclass(frozen=True)
class Gathered:
    """What the page and its chart are drawn from."""

    coachee: Coachee
    zone: ZoneInfo
    sessions: tuple[Session, ...]  # not cancelled, by time
    upcoming: Session | None
    view: AnswerView | None  # None: no consent to keep and share answers
    refusal: str | None
    readings: tuple[Reading, ...]
    readings_kept: tuple[str, ...]
    marks: tuple[SessionMark, ...]


def gather(conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime, default_timezone: str,
           words: DigestWording) -> Gathered:
    coachee = store.get_coachee(conn, coachee_id)
    sessions = tuple(sorted((s for s in store.list_sessions(conn, coachee_id=coachee_id) if s.status != "cancelled"),
                            key=lambda s: s.at))
    upcoming = min((s for s in sessions if s.status in UPCOMING and s.at > now), key=lambda s: s.at, default=None)
    zone = ZoneInfo(coachee.timezone or (upcoming.timezone if upcoming else default_timezone))
    refusal = consent_refusal(coachee, words)
    marks = tuple(SessionMark(number=s.number, at=s.at) for s in sessions if upcoming is None or s.at <= upcoming.at)
    if refusal is not None:
        return Gathered(coachee=coachee, zone=zone, sessions=sessions, upcoming=upcoming, view=None, refusal=refusal,
                        readings=(), readings_kept=(), marks=marks)
    view = AnswerView(answers=store.answers_of(conn, coachee_id), since=None, zone=zone, who=coachee.first_name,
                      words=words,
                      calendar=Calendar(sessions))
    readings, trend = scaling(conn, coachee_id, view)
    kept = tuple(line for line in trend if line and not line.startswith(("#", "-")))
    return Gathered(coachee=coachee, zone=zone, sessions=sessions, upcoming=upcoming, view=view, refusal=None,
                    readings=tuple(readings), readings_kept=kept, marks=marks)


def coachee_page(conn: Connection, gathered: Gathered, *, flows: FlowRegistry, now: datetime,
                 words: DigestWording) -> CoacheePage:
    g, w = gathered, words
    coachee, zone = g.coachee, g.zone
    hold_since = None
    if coachee.status == "hold":
        holds = [e.at for e in store.safety_events_of(conn, coachee.id, since=None) if e.action in store.HOLD_ACTIONS]
        hold_since = max(holds, default=None)
    safety = tuple(SafetyRow(
        when=f"{e.at.astimezone(zone):%-d %b %Y %H:%M}", tier=e.tier, done=routing_words(e.action, w),
        said_mistake=None if e.said_mistake_at is None else f"{e.said_mistake_at.astimezone(zone):%-d %b %Y %H:%M}")
        for e in store.safety_events_of(conn, coachee.id, since=None))
    upcoming = None if g.upcoming is None else w.next_session.format(
        number=g.upcoming.number, zone=zone.key, when=f"{g.upcoming.at.astimezone(zone):%A %-d %B %Y, %H:%M}"
    ).removeprefix("- ")
    blocks: tuple[SessionBlock, ...] = ()
    goal: tuple[Line, ...] = ()
    actions: tuple[Line, ...] = ()
    readings: tuple[ReadingRow, ...] = ()
    alt = None
    if g.view is not None:
        view = g.view
        blocks = _blocks(view, g.sessions, flows=flows, zone=zone)
        goal = lines_of(goal_history(view, flows))
        actions = lines_of(actions_history(store.actions_of(conn, coachee.id), view, flows,
                                           today=now.astimezone(zone).date()))
        readings = tuple(ReadingRow(day=f"{r.at.astimezone(zone):%-d %b %Y}", value=r.value,
                                    source=source_label(r.source, w.sources),
                                    where=view.calendar.where(r.source, r.at, w)) for r in g.readings)
        if g.readings:
            alt = chart_alt(g.readings, g.marks, zone=zone.key, words=w.chart, sources=w.sources)
    return CoacheePage(id=coachee.id, name=coachee.name, status=coachee.status, hold_since=hold_since,
                       timezone=zone.key, next_session=upcoming, refusal=g.refusal, blocks=blocks, goal=goal,
                       actions=actions, readings=readings, readings_kept=g.readings_kept, chart_alt=alt,
                       safety=safety)


def lines_of(markdown: Sequence[str]) -> tuple[Line, ...]:
    """The digest's history lines as list items: its section title dropped (the page has its own heading)."""
    found = []
    for raw in markdown:
        if not raw.strip() or raw.startswith("#"):
            continue
        line = raw.replace("**", "")
        if line.startswith("  - "):
            found.append(Line(kind="sub", text=line[4:]))
        elif line.startswith("- "):
            found.append(Line(kind="item", text=line[2:]))
        else:
            found.append(Line(kind="note", text=line))
    return tuple(found)


def _blocks(view: AnswerView, sessions: Sequence[Session], *, flows: FlowRegistry,
            zone: ZoneInfo) -> tuple[SessionBlock, ...]:
    """Each answer with the session it belongs to: the questions before a session go with it, everything after
    a session (its review, check-ins, journal entries) with it until the next one."""
    before: dict[int | None, list[StoredAnswer]] = {}
    after: dict[int | None, list[StoredAnswer]] = {}
    for answer in view.answers:
        if answer.flow not in SESSION_FLOWS or not view.counted(answer):
            continue
        if answer.flow in BEFORE:
            ahead = view.calendar.before(answer.created_at)
            before.setdefault(ahead.id if ahead else None, []).append(answer)
        else:
            behind = view.calendar.after(answer.created_at)
            after.setdefault(behind.id if behind else None, []).append(answer)

    def items(answers: Sequence[StoredAnswer]) -> tuple[Item, ...]:
        return tuple(Item(heading=heading(flows, a, view.words), text=one_line(a.text), day=view.day(a.created_at),
                          source=source_label(a.flow, view.words.sources)) for a in answers if a.shared)

    def kept(*groups: Sequence[StoredAnswer]) -> tuple[str, ...]:
        return tuple(view.kept(sum(not a.shared for group in groups for a in group), spaced=False))

    blocks = []
    if after.get(None):
        blocks.append(SessionBlock(number=None, when=None, status=None, before=(), after=items(after[None]),
                                   kept=kept(after[None])))
    for session in sessions:
        mine_before, mine_after = before.get(session.id, []), after.get(session.id, [])
        blocks.append(SessionBlock(number=session.number, when=f"{session.at.astimezone(zone):%A %-d %B %Y, %H:%M}",
                                   status=session.status, before=items(mine_before), after=items(mine_after),
                                   kept=kept(mine_before, mine_after)))
    if before.get(None):
        blocks.append(SessionBlock(number=None, when=None, status="next", before=items(before[None]), after=(),
                                   kept=kept(before[None])))
    return tuple(blocks)
