"""Each stored answer with its id and whether the coach sees it: what a coachee's /shared lists and changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from bot.storage import schema as t
from bot.storage.records import Record

__all__ = ["AnswerItem", "answer_items", "set_answer_shared"]


class AnswerItem(Record):
    id: int
    flow: str
    question: str
    text: str | None
    shared: bool
    created_at: datetime


def answer_items(conn: Connection, coachee_id: int) -> list[AnswerItem]:
    """Oldest first, so the number a coachee sees for an answer stays the same as new ones come in."""
    rows = conn.execute(
        select(t.answers.c.id, t.answers.c.flow, t.answers.c.question, t.answers.c.text, t.answers.c.shared,
               t.answers.c.created_at)
        .where(t.answers.c.coachee_id == coachee_id).order_by(t.answers.c.id)
    ).mappings()
    return [AnswerItem.model_validate(dict(r)) for r in rows]


def set_answer_shared(conn: Connection, *, coachee_id: int, answer_id: int, shared: bool) -> bool:
    """False when that answer isn't theirs: one coachee can never change another's."""
    result = conn.execute(update(t.answers).where(t.answers.c.id == answer_id, t.answers.c.coachee_id == coachee_id)
                          .values(shared=shared))
    return result.rowcount == 1
