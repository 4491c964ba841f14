"""The outbox sender's reads and writes: rows due, a row sent or failed, a chat given up on, chat locks.

Rows are written in the turn's own transaction (`store.add_outbox`); everything the sender does to them
after that is here, so the sender itself holds no SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import TypeAdapter
from sqlalchemy import Connection, delete, func, select, text, update

from bot.storage import schema as t
from bot.storage.records import OutboxKind, OutboxRow, OutboxStatus
from bot.types import ConversationKey

__all__ = [
    "collapse_stale",
    "delete_rows",
    "due_rows",
    "give_up_on_chat",
    "mark_failed",
    "mark_sent",
    "release_chat_locks",
    "status_of",
    "try_chat_lock",
]

_STATUS: TypeAdapter[OutboxStatus] = TypeAdapter(OutboxStatus)


_TRY_CHAT_LOCK = text("SELECT pg_try_advisory_lock(hashtextextended(current_schema() || :key, 0))")


def try_chat_lock(conn: Connection, *, transport: str, chat: str) -> bool:
    """A PostgreSQL session advisory lock on one chat's rows, held until `release_chat_locks`. Advisory locks
    belong to the whole database, so the key names the schema too: two deployments in one database, each in
    its own schema, never hold back each other's chats."""
    key = f"\x1foutbox\x1f{transport}\x1f{chat}"
    return bool(conn.execute(_TRY_CHAT_LOCK, {"key": key}).scalar_one())


def release_chat_locks(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_unlock_all()"))


def status_of(conn: Connection, row_id: int) -> OutboxStatus | None:
    status = conn.execute(select(t.outbox.c.status).where(t.outbox.c.id == row_id)).scalar_one_or_none()
    return None if status is None else _STATUS.validate_python(status)


def collapse_stale(conn: Connection, *, to: ConversationKey, keep: int) -> int:
    """Keep at most `keep` ordinary replies waiting for one chat, the newest: older ones answer messages the
    person has long moved on from. Replies to risk, alerts, notices, prompts and digests are never touched."""
    o = t.outbox
    reply: OutboxKind = "reply"
    ordinary = (o.c.status == "pending", o.c.transport == to.transport, o.c.chat_id == to.chat, o.c.kind == reply,
                o.c.priority == 0)
    newest = select(o.c.id).where(*ordinary).order_by(o.c.id.desc()).limit(keep).subquery()
    return int(conn.execute(delete(o).where(*ordinary, o.c.id.not_in(select(newest.c.id)))).rowcount)


def due_rows(conn: Connection, *, transport: str, per_chat: int, batch: int) -> list[OutboxRow]:
    """Pending rows, alerts first, at most `per_chat` per chat so that one busy chat can't fill the batch;
    rows not yet due are included so they can hold back their chat."""
    o = t.outbox
    place = func.row_number().over(partition_by=o.c.chat_id, order_by=(o.c.priority.desc(), o.c.id))
    ranked = (select(o.c.id, place.label("place"))
              .where(o.c.status == "pending", o.c.transport == transport).subquery())
    query = (select(o).join(ranked, ranked.c.id == o.c.id).where(ranked.c.place <= per_chat)
             .order_by(o.c.priority.desc(), o.c.id).limit(batch))
    return [OutboxRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def mark_sent(conn: Connection, row: OutboxRow, *, at: datetime, platform_message_id: str | None,
              erase: bool = False) -> None:
    """Delivered: an alert marks its safety event delivered; `erase` removes the row (a farewell to someone
    erased, after which nothing of them stays)."""
    conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(
        status="sent", sent_at=at, attempts=row.attempts + 1, platform_message_id=platform_message_id,
        last_error=None))
    alert: OutboxKind = "alert"
    if row.kind == alert:
        conn.execute(update(t.safety_events).where(t.safety_events.c.alert_outbox_id == row.id)
                     .values(alert_delivered=True))
    if erase:
        conn.execute(delete(t.outbox).where(t.outbox.c.id == row.id))


def mark_failed(conn: Connection, row_id: int, *, dead: bool, attempts: int, error: str,
                next_attempt_at: datetime) -> None:
    status: OutboxStatus = "dead" if dead else "pending"
    conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(
        status=status, attempts=attempts, last_error=error[:300], next_attempt_at=next_attempt_at))


def give_up_on_chat(conn: Connection, *, transport: str, chat: str, reason: str) -> None:
    """Every pending row of a chat that can't be reached any more is dead-lettered."""
    conn.execute(update(t.outbox).where(
        t.outbox.c.status == "pending", t.outbox.c.transport == transport,
        t.outbox.c.chat_id == chat).values(status="dead", last_error=reason))


def delete_rows(conn: Connection, ids: Sequence[int]) -> None:
    """Rows not to be sent after all: written in this transaction and not wanted, or waiting and replaced."""
    conn.execute(delete(t.outbox).where(t.outbox.c.id.in_(ids)))
