"""Inbound messages whose turn kept failing for a reason of their own (not the database being away).

Kept aside, their words encrypted like every answer, so the platform can be told they arrived and everyone
else's messages go on; the ERROR log line names the message id (never its words) and the row is in the
`dead_inbound` table. A coachee's go with their erasure, a stranger's with the stranger retention job.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from bot.storage import schema as t
from bot.types import InboundMessage

__all__ = ["add_dead"]


def add_dead(conn: Connection, msg: InboundMessage, *, coachee_id: int | None, reason: str, at: datetime) -> None:
    conn.execute(insert(t.dead_inbound).values(
        transport=msg.key.transport, message_id=msg.message_id, user_id=msg.key.user, chat_id=msg.key.chat,
        coachee_id=coachee_id, text=msg.text, reason=reason[:200], at=at))
