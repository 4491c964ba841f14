"""What a coach did on a coachee's web page, kept as part of the coachee's record: each view of the page (the
coachee's /mydata lists them) and the coach's note when they lifted a hold there. Both go when the coachee's data is
erased."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select

from bot.storage import schema as t
from bot.storage.records import Record

__all__ = ["HoldNote", "PageView", "add_hold_note", "hold_notes_of", "record_view", "views_of"]


class PageView(Record):
    coach_id: int
    coach: str
    at: datetime


class HoldNote(Record):
    coach_id: int
    coach: str
    note: str
    at: datetime


def record_view(conn: Connection, *, coach_id: int, coachee_id: int, at: datetime) -> None:
    conn.execute(insert(t.coach_page_views).values(coach_id=coach_id, coachee_id=coachee_id, at=at))


def views_of(conn: Connection, coachee_id: int) -> list[PageView]:
    """Every view of this coachee's page, oldest first, with the coach's name."""
    v, c = t.coach_page_views, t.coaches
    rows = conn.execute(select(v.c.coach_id, c.c.name.label("coach"), v.c.at).join(c, c.c.id == v.c.coach_id)
                        .where(v.c.coachee_id == coachee_id).order_by(v.c.at, v.c.id)).mappings()
    return [PageView.model_validate(dict(r)) for r in rows]


def add_hold_note(conn: Connection, *, coach_id: int, coachee_id: int, note: str, at: datetime) -> None:
    conn.execute(insert(t.hold_notes).values(coach_id=coach_id, coachee_id=coachee_id, note=note, at=at))


def hold_notes_of(conn: Connection, coachee_id: int) -> list[HoldNote]:
    n, c = t.hold_notes, t.coaches
    rows = conn.execute(select(n.c.coach_id, c.c.name.label("coach"), n.c.note, n.c.at).join(c, c.c.id == n.c.coach_id)
                        .where(n.c.coachee_id == coachee_id).order_by(n.c.at, n.c.id)).mappings()
    return [HoldNote.model_validate(dict(r)) for r in rows]
