"""The caseload page's rows: each coachee's status, next session, last check-in, latest scaling reading and its
direction, and actions due; those on a safety hold first, longest held first.

A handful of queries for the whole caseload, not a handful per coachee, so 200 coachees render in a few
milliseconds. The rule for what counts is the digest's: only where the coachee agreed to keep and share their
answers, and only a reading, a check-in or an action's status whose answer they shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.digest_history import status_labels
from bot.storage import caseload_reads as reads
from bot.storage import store
from bot.storage.records import CoacheeStatus
from flows.registry import FlowRegistry

__all__ = ["DUE_WITHIN", "CaseloadRow", "caseload_rows"]

DUE_WITHIN = timedelta(days=7)
"""An open action counts as due from a week before its date, and stays due (overdue) until it is done."""
Direction = Literal["up", "down", "same"]


class CaseloadRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    status: CoacheeStatus
    hold_since: datetime | None
    timezone: str
    shares: bool
    """They agreed to keep and share their answers: without that, nothing of theirs is shown."""
    next_session: datetime | None
    next_number: int | None
    last_checkin: datetime | None
    reading: int | None
    reading_at: datetime | None
    direction: Direction | None
    actions_due: int
    actions_overdue: int


def caseload_rows(conn: Connection, *, coach_id: int, now: datetime, flows: FlowRegistry,
                  default_timezone: str) -> list[CaseloadRow]:
    coachees = store.list_coachees(conn, coach_id=coach_id)
    sharing = [c.id for c in coachees if c.consent_store and c.consent_share]
    holds = reads.hold_since(conn, [c.id for c in coachees if c.status == "hold"])
    sessions = reads.next_sessions(conn, [c.id for c in coachees], now=now)
    checkins = reads.last_checkins(conn, sharing)
    readings = reads.latest_readings(conn, sharing)
    rows = []
    for c in coachees:
        zone = c.timezone or default_timezone
        shares = bool(c.consent_store and c.consent_share)
        pair = readings.get(c.id, ())
        direction: Direction | None = None
        if len(pair) == 2:
            direction = "up" if pair[1][1] > pair[0][1] else "down" if pair[1][1] < pair[0][1] else "same"
        upcoming = sessions.get(c.id)
        rows.append(CaseloadRow(
            id=c.id, name=c.name, status=c.status, hold_since=holds.get(c.id), timezone=zone, shares=shares,
            next_session=upcoming[0] if upcoming else None, next_number=upcoming[1] if upcoming else None,
            last_checkin=checkins.get(c.id), reading=pair[-1][1] if pair else None,
            reading_at=pair[-1][0] if pair else None, direction=direction, actions_due=0, actions_overdue=0))
    due = _actions_due(conn, sharing, flows=flows, today={r.id: now.astimezone(ZoneInfo(r.timezone)).date()
                                                          for r in rows})
    rows = [r.model_copy(update={"actions_due": due.get(r.id, (0, 0))[0], "actions_overdue": due.get(r.id, (0, 0))[1]})
            for r in rows]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(rows, key=lambda r: (r.status != "hold", r.hold_since or far, r.name.casefold(), r.id))


def _actions_due(conn: Connection, ids: Sequence[int], *, flows: FlowRegistry,
                 today: dict[int, date]) -> dict[int, tuple[int, int]]:
    """(due, overdue) per coachee: actions with a date within DUE_WITHIN or past it, not done by the latest status
    they shared."""
    actions = reads.action_dates(conn, ids)
    if not actions:
        return {}
    labels = status_labels(flows)
    done = {action_id: labels.get(label.rpartition(": ")[2]) == "done"
            for action_id, label in reads.action_statuses(conn, ids)}
    counts: dict[int, tuple[int, int]] = {}
    for action_id, coachee_id, due_on in actions:
        day = today[coachee_id]
        if done.get(str(action_id)) or due_on > day + DUE_WITHIN:
            continue
        due, overdue = counts.get(coachee_id, (0, 0))
        counts[coachee_id] = (due + 1, overdue + (due_on < day))
    return counts
