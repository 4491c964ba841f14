"""Frozen rows as the rest of the code sees them: no SQLAlchemy Row objects leak past the store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.names import clean_name
from bot.types import ConversationKey
from flows.spec import ActionStatus as ActionStatus
from flows.stepper import Position
from safety.types import Tier, Turn

CoacheeStatus = Literal["active", "hold", "paused", "stopped"]
SessionStatus = Literal["planned", "done", "cancelled", "moved"]
OutboxKind = Literal["reply", "alert", "digest", "prompt", "notice", "caseload", "farewell"]
ALERT_PRIORITY = 100
"""A safety alert goes out before anything else waiting."""
STRANGER_ALERT_PRIORITY = 90
"""An alert about someone not registered goes before notices but after every coachee's alert."""
SAFETY_REPLY_PRIORITY = 1
"""A reply to a message screened for risk goes before the ordinary replies waiting in its chat, and is never
collapsed as stale."""
NOTICE_PRIORITY = 50
"""A notice to a coach (a pause, a stop, an unreachable coachee) goes before ordinary replies."""
UNROUTED = "unrouted"
"""The transport of a message with no chat to go to: the outbox marks it dead, where an operator sees it."""


def unrouted_coach(coach_id: int) -> ConversationKey:
    return ConversationKey(transport=UNROUTED, user=f"coach-{coach_id}", chat=f"coach-{coach_id}")
OutboxStatus = Literal["pending", "sent", "dead"]


class Record(BaseModel):
    """A row as the rest of the code sees it: frozen, validated on the way out of the store."""

    model_config = ConfigDict(frozen=True)


class Coach(Record):
    id: int
    name: Annotated[str, AfterValidator(clean_name)]


class Coachee(Record):
    id: int
    coach_id: int
    name: Annotated[str, AfterValidator(clean_name)]
    """Cleaned as it is read too, so a name stored before names were cleaned can't forge a line either."""
    status: CoacheeStatus
    timezone: str | None
    consent_store: bool | None
    consent_share: bool | None
    checkin_time: str | None = None
    checkin_every_days: int | None = None

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


class Identity(Record):
    transport: str
    external_id: str
    chat_id: str | None
    coach_id: int | None
    coachee_id: int | None


class Sender(Record):
    """Who wrote a message: their identity, the coachee (with their coach) or the coach it belongs to, and whether
    the platform had said it couldn't reach them."""

    identity: Identity
    coachee: Coachee | None
    coach: Coach | None
    unreachable: bool


class Session(Record):
    id: int
    coachee_id: int
    number: int
    at: datetime
    timezone: str
    status: SessionStatus


class ActionRow(Record):
    id: int
    coachee_id: int
    run_id: str
    text: str
    due_on: date | None
    status: ActionStatus
    created_at: datetime
    updated_at: datetime


class StoredAnswer(Record):
    flow: str
    run_id: str
    question: str
    text: str | None
    shared: bool
    created_at: datetime


class SafetyEventRow(Record):
    """A coachee's safety event as the digest shows it: when, the tier, what the service did, and when they said
    the alert was a mistake. Never the rules that fired or the words behind it."""

    at: datetime
    tier: str
    action: str
    said_mistake_at: datetime | None = None


class ConversationData(Record):
    """The per-conversation working state, stored as JSON in one column with a version check."""

    position: Position | None = None
    paused: Position | None = None
    pending_check: bool = False
    confirm: str | None = None
    recent: tuple[Turn, ...] = Field(default=())
    interrupted: Position | None = None  # a flow set aside for /journal, picked up when it ends
    nudged: bool = False
    snoozed: bool = False
    invite_misses: tuple[datetime, ...] = ()
    """When this sender's invite codes didn't work, within the last hour: guessing is limited per sender."""
    allowance: float | None = None
    """Messages this sender may still send at once (a token bucket, as of `allowance_at`); None: a full burst."""
    allowance_at: datetime | None = None
    slowed: bool = False  # told to slow down, once per spell over the limit


class Conversation(Record):
    id: int
    transport: str
    user_id: str
    chat_id: str
    coachee_id: int | None
    safety_tier: Tier
    version: int
    data: ConversationData
    wake_at: datetime | None = None


class OutboxRow(Record):
    id: int
    transport: str
    user_id: str
    chat_id: str
    coachee_id: int | None
    kind: OutboxKind
    priority: int
    payload: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
