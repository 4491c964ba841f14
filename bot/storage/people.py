"""The operator's changes to people: a new name, a coachee moved to another coach, a coach removed.

Everything a coachee has is keyed by the coachee, not their coach (sessions, answers, readings, actions,
check-ins, journal, safety events, scheduled jobs), so a move is one row's coach changing; what else moves
is the mail: messages about the coachee still waiting for the old coach. A coach is removed only once
nothing depends on them (the caller checks `ties_of`); their chats, invites and mail go with them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Connection, and_, delete, false, insert, or_, select, update

from bot.names import clean_name
from bot.storage import schema as t
from bot.storage.records import UNROUTED, Coach, Coachee, OutboxKind, unrouted_coach
from bot.storage.store import NotFound, get_coach, get_coachee, identities_of
from bot.types import ConversationKey

__all__ = ["CoachTies", "RemovedCoach", "mail_for_coach", "move_coachee", "readdress", "remove_coach",
           "rename_coach", "rename_coachee", "ties_of"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class CoachTies(_Frozen):
    """What would be left without a coach if this one went."""

    coachees: tuple[int, ...]
    groups: tuple[tuple[int, str], ...]  # (id, name) of the peer groups they lead


class RemovedCoach(_Frozen):
    coach_id: int
    deleted: dict[str, int]  # rows deleted, by table


# names

def rename_coach(conn: Connection, coach_id: int, *, name: str) -> Coach:
    get_coach(conn, coach_id)
    conn.execute(update(t.coaches).where(t.coaches.c.id == coach_id).values(name=clean_name(name)))
    return get_coach(conn, coach_id)


def rename_coachee(conn: Connection, coachee_id: int, *, name: str) -> Coachee:
    get_coachee(conn, coachee_id)
    conn.execute(update(t.coachees).where(t.coachees.c.id == coachee_id).values(name=clean_name(name)))
    return get_coachee(conn, coachee_id)


# a coachee's move

def _to_coach(conn: Connection, coach_id: int) -> ColumnElement[bool]:
    """Outbox rows addressed to this coach: to one of their chats, or waiting for a chat they never registered."""
    o = t.outbox
    chats = [and_(o.c.transport == i.transport, o.c.user_id == i.external_id)
             for i in identities_of(conn, coach_id=coach_id)]
    nowhere = unrouted_coach(coach_id)
    return or_(and_(o.c.transport == UNROUTED, o.c.user_id == nowhere.user), *chats)


def mail_for_coach(conn: Connection, *, coachee_id: int, coach_id: int) -> dict[int, OutboxKind]:
    """The messages about this coachee still waiting to go to this coach, by outbox id: their kind."""
    o = t.outbox
    rows = conn.execute(select(o.c.id, o.c.kind).where(
        o.c.coachee_id == coachee_id, o.c.status == "pending", _to_coach(conn, coach_id)).order_by(o.c.id))
    return {int(r[0]): r[1] for r in rows}


def readdress(conn: Connection, ids: Sequence[int], *, to: ConversationKey, copy: bool = False) -> None:
    """Send these waiting rows elsewhere, as they are (the same ids, so an alert stays its safety event's alert);
    `copy` leaves them where they were and sends a copy too."""
    if not ids:
        return
    o = t.outbox
    where = {"transport": to.transport, "user_id": to.user, "chat_id": to.chat}
    if not copy:
        conn.execute(update(o).where(o.c.id.in_(list(ids))).values(**where))
        return
    columns = [c for c in o.c if c.name != "id" and c.name not in where]
    for row in conn.execute(select(*columns).where(o.c.id.in_(list(ids))).order_by(o.c.id)).mappings():
        conn.execute(insert(o).values(**dict(row), **where))


def move_coachee(conn: Connection, coachee_id: int, *, coach_id: int) -> tuple[Coachee, Coach]:
    """The coachee is now this coach's, at once: every read of a caseload goes by this one column. Returns the
    coachee as they were and their old coach. A job addressed to the old coach about them follows them too."""
    before = get_coachee(conn, coachee_id)
    old = get_coach(conn, before.coach_id)
    get_coach(conn, coach_id)
    conn.execute(update(t.coachees).where(t.coachees.c.id == coachee_id).values(coach_id=coach_id))
    conn.execute(update(t.jobs).where(t.jobs.c.coachee_id == coachee_id, t.jobs.c.coach_id == old.id,
                                      t.jobs.c.status == "pending").values(coach_id=coach_id))
    return before, old


# a coach's removal

def ties_of(conn: Connection, coach_id: int) -> CoachTies:
    get_coach(conn, coach_id)
    coachees = conn.execute(select(t.coachees.c.id).where(t.coachees.c.coach_id == coach_id)
                            .order_by(t.coachees.c.id)).scalars().all()
    groups = conn.execute(select(t.groups.c.id, t.groups.c.name).where(t.groups.c.coach_id == coach_id)
                          .order_by(t.groups.c.id)).all()
    return CoachTies(coachees=tuple(int(c) for c in coachees), groups=tuple((int(g[0]), g[1]) for g in groups))


def remove_coach(conn: Connection, coach_id: int) -> RemovedCoach:
    """Delete a coach nothing depends on any more (raises ValueError otherwise): their chats and their
    conversations with the bot, their invites (an unused one could let someone join a coach who has gone), their
    caseload jobs and every message to them, sent or waiting (those quote coachees they no longer have)."""
    ties = ties_of(conn, coach_id)
    if ties.coachees or ties.groups:
        raise ValueError(f"coach {coach_id} still has coachees or peer groups")
    c = t.conversations
    theirs = [and_(c.c.transport == i.transport, c.c.user_id == i.external_id)
              for i in identities_of(conn, coach_id=coach_id)]
    steps: Sequence[tuple[str, ColumnElement[bool]]] = (
        ("outbox", _to_coach(conn, coach_id)),
        ("conversations", and_(c.c.coachee_id.is_(None), or_(*theirs)) if theirs else false()),
        ("invites", t.invites.c.coach_id == coach_id),
        ("jobs", t.jobs.c.coach_id == coach_id),
        ("identities", t.identities.c.coach_id == coach_id),
        ("coaches", t.coaches.c.id == coach_id),
    )
    deleted = {name: int(conn.execute(delete(t.metadata.tables[name]).where(where)).rowcount)
               for name, where in steps}
    if not deleted["coaches"]:
        raise NotFound(f"no coach with id {coach_id}")
    return RemovedCoach(coach_id=coach_id, deleted=deleted)
