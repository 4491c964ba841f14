"""The caseload page's reads: a handful of queries for a coach's whole caseload, not a handful per coachee. What a
coachee kept private never counts: a check-in, a reading or an action's status only where its answer was shared."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Connection, and_, func, select

from bot.storage import schema as t
from bot.storage.store import HOLD_ACTIONS

__all__ = ["action_dates", "action_statuses", "hold_since", "last_checkins", "latest_readings", "next_sessions"]

UPCOMING = ("planned", "moved")
_SHARED = and_(t.answers.c.shared.is_(True), t.answers.c.text.is_not(None))


def hold_since(conn: Connection, ids: Sequence[int]) -> dict[int, datetime]:
    """When each hold began: the latest event that puts a coachee on hold."""
    if not ids:
        return {}
    e = t.safety_events
    rows = conn.execute(select(e.c.coachee_id, func.max(e.c.at)).where(
        e.c.coachee_id.in_(ids), e.c.action.in_(HOLD_ACTIONS)).group_by(e.c.coachee_id))
    return {int(i): at for i, at in rows if at is not None}


def next_sessions(conn: Connection, ids: Sequence[int], *, now: datetime) -> dict[int, tuple[datetime, int]]:
    """Each coachee's next session to come: (when, its number)."""
    if not ids:
        return {}
    s = t.sessions
    found: dict[int, tuple[datetime, int]] = {}
    for coachee_id, at, number in conn.execute(select(s.c.coachee_id, s.c.at, s.c.number).where(
            s.c.coachee_id.in_(ids), s.c.status.in_(UPCOMING), s.c.at > now).order_by(s.c.at.desc())):
        found[int(coachee_id)] = (at, int(number))  # the earliest comes last and stays
    return found


def last_checkins(conn: Connection, ids: Sequence[int]) -> dict[int, datetime]:
    """When each coachee last shared a check-in answer."""
    if not ids:
        return {}
    a = t.answers
    rows = conn.execute(select(a.c.coachee_id, func.max(a.c.created_at)).where(
        a.c.coachee_id.in_(ids), a.c.flow == "checkin", _SHARED).group_by(a.c.coachee_id))
    return {int(i): at for i, at in rows if at is not None}


def latest_readings(conn: Connection, ids: Sequence[int]) -> dict[int, tuple[tuple[datetime, int], ...]]:
    """The last two shared readings of each coachee, oldest first: the latest, and which way it moved."""
    if not ids:
        return {}
    r, a = t.scale_readings, t.answers
    query = (select(r.c.coachee_id, r.c.recorded_at, r.c.value)
             .join(a, and_(a.c.coachee_id == r.c.coachee_id, a.c.run_id == r.c.run_id, a.c.question == r.c.question))
             .where(r.c.coachee_id.in_(ids), _SHARED).order_by(r.c.id))
    found: dict[int, tuple[tuple[datetime, int], ...]] = {}
    for coachee_id, at, value in conn.execute(query):
        found[int(coachee_id)] = (*found.get(int(coachee_id), ())[-1:], (at, int(value)))
    return found


def action_dates(conn: Connection, ids: Sequence[int]) -> list[tuple[int, int, date]]:
    """(action id, coachee id, due date) of every action with a date."""
    if not ids:
        return []
    ac = t.actions
    return [(int(i), int(c), d) for i, c, d in conn.execute(select(ac.c.id, ac.c.coachee_id, ac.c.due_on).where(
        ac.c.coachee_id.in_(ids), ac.c.due_on.is_not(None)))]


def action_statuses(conn: Connection, ids: Sequence[int]) -> list[tuple[str, str]]:
    """(action id, the button's label) of every shared answer on how an action went, oldest first. The actions
    table follows every answer, shared or not, so it is not read for the status."""
    if not ids:
        return []
    a = t.answers
    return [(question.partition(".")[2], text or "") for question, text in conn.execute(
        select(a.c.question, a.c.text).where(a.c.coachee_id.in_(ids), a.c.question.startswith("action_status."),
                                            _SHARED).order_by(a.c.id))]
