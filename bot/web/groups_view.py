"""A peer group's page for its facilitator: the plan, who has presented, and the commitments members shared with
the facilitator. The same lines as the group's chat plan and digest, read by the same code."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.groups import GroupError, Groups
from bot.storage import groups as gstore
from bot.storage import store
from bot.storage.groups import Group
from bot.web.coachee_view import Line, lines_of

__all__ = ["GroupPage", "GroupSessionRow", "group_page"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class GroupSessionRow(_Frozen):
    number: int
    at: datetime
    status: str
    held: bool
    presenter: str | None
    feedback_from: str | None
    commitments: tuple[Line, ...]


class GroupPage(_Frozen):
    id: int
    name: str
    timezone: str
    every_days: int
    members: tuple[str, ...]
    waiting: tuple[str, ...]  # added, not yet agreed to the ground rules
    planned: bool
    short_of: str | None
    sessions: tuple[GroupSessionRow, ...]


def group_page(conn: Connection, group: Group, *, groups: Groups, now: datetime) -> GroupPage:
    """A group under its minimum has no plan to come: only the sessions already held are shown, and why."""
    members = [m for m in gstore.members_of(conn, group.id) if m.active]
    # Members come from any caseload: the facilitator sees their names, as in the group's chat plan.
    names = {m.coachee_id: store.get_coachee(conn, m.coachee_id).name for m in gstore.members_of(conn, group.id)}
    short_of = None
    try:
        sessions = groups.plan(conn, group, now=now)
    except GroupError as exc:
        short_of = str(exc)
        sessions = [s for s in gstore.sessions_of(conn, group.id) if s.status == "done" or s.at <= now]
    rows = []
    for s in sessions:
        held = s.status == "done" or s.at <= now
        rows.append(GroupSessionRow(
            number=s.number, at=s.at, status=s.status, held=held,
            presenter=names.get(s.presenter_id) if s.presenter_id is not None else None,
            feedback_from=names.get(s.feedback_from_id) if s.feedback_from_id is not None else None,
            commitments=lines_of(groups.commitments(conn, s)) if held and s.commit_run else ()))
    return GroupPage(id=group.id, name=group.name, timezone=group.timezone, every_days=group.every_days,
                     members=tuple(names.get(m.coachee_id, "") for m in members if m.in_rotation),
                     waiting=tuple(names.get(m.coachee_id, "") for m in members if not m.in_rotation),
                     planned=short_of is None, short_of=short_of, sessions=tuple(rows))
