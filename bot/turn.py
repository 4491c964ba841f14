"""One turn's working set, and what every part of the engine needs to know about turns.

Everything a turn collects (replies, the conversation's new state, who wrote) is written in the turn's one
transaction, so the engine's parts hand this around instead of writing as they go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc

from bot.storage.records import Coach, Coachee, Conversation, ConversationData, Identity
from bot.types import InboundMessage, Reply
from safety.types import Screening

__all__ = ["TurnState", "database_unavailable", "utc_now"]


def database_unavailable(exc: Exception) -> bool:
    """The database couldn't be reached or written, rather than something about the message itself."""
    return isinstance(exc, sa_exc.OperationalError | sa_exc.DisconnectionError | sa_exc.TimeoutError)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TurnState:
    """The working set of one turn; everything it collects is written in the turn's transaction."""

    conn: Connection
    msg: InboundMessage
    now: datetime
    conversation: Conversation
    identity: Identity | None
    screening: Screening | None
    unreachable: bool = False  # the platform had said it couldn't reach them; this message says otherwise
    coachee: Coachee | None = None
    coach: Coach | None = None
    replies: list[Reply] = field(default_factory=list)
    erased: bool = False  # /forget confirmed: their rows are gone, the conversation included

    @property
    def data(self) -> ConversationData:
        return self.conversation.data

    def update(self, **changes: object) -> None:
        self.conversation = self.conversation.model_copy(
            update={"data": self.conversation.data.model_copy(update=changes)}
        )
