"""The tables. Portable SQL only: the same schema runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.storage.crypto import EncryptedText

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys


class UTCDateTime(TypeDecorator[datetime]):
    """Always UTC and always aware, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _when(name: str, *, nullable: bool = False) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable)


coaches = Table(
    "coaches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    _when("created_at"),
)

coachees = Table(
    "coachees",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coach_id", Id, ForeignKey("coaches.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    # active | hold | paused | stopped
    Column("status", String(20), nullable=False, default="active"),
    Column("timezone", String(64), nullable=True),
    Column("consent_store", Boolean, nullable=True),
    Column("consent_share", Boolean, nullable=True),
    _when("created_at"),
    # The coachee's own check-in preferences; None means the service's [schedule] default. 0 days: none.
    Column("checkin_time", String(5), nullable=True),
    Column("checkin_every_days", Integer, nullable=True),
)

# How a person is reached: one row per (transport, platform user id). Coaches and coachees alike.
identities = Table(
    "identities",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("transport", String(20), nullable=False),
    Column("external_id", String(100), nullable=False),
    Column("chat_id", String(100), nullable=True),
    Column("coach_id", Id, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=True, index=True),
    _when("unreachable_at", nullable=True),
    UniqueConstraint("transport", "external_id"),
)

invites = Table(
    "invites",
    metadata,
    Column("code", String(64), primary_key=True),
    Column("coach_id", Id, ForeignKey("coaches.id"), nullable=False),
    _when("created_at"),
    _when("expires_at"),
    _when("used_at", nullable=True),
    Column("used_by", Id, ForeignKey("coachees.id", ondelete="SET NULL"), nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    _when("at"),
    Column("timezone", String(64), nullable=False),
    # planned | done | cancelled | moved
    Column("status", String(20), nullable=False, default="planned"),
    UniqueConstraint("coachee_id", "number"),
)

def _addressed() -> list[Column[Any]]:
    """Where a conversation or a message is: the platform, the person on it, their chat, and whose it is."""
    return [
        Column("transport", String(20), nullable=False),
        Column("user_id", String(100), nullable=False),
        Column("chat_id", String(100), nullable=False),
        Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=True, index=True),
    ]


conversations = Table(
    "conversations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_addressed(),
    Column("flow", String(40), nullable=True),
    Column("state", String(60), nullable=True),
    Column("data", EncryptedText, nullable=False, default="{}"),
    Column("safety_tier", String(12), nullable=False, default="none"),
    Column("version", Integer, nullable=False, default=1),
    _when("updated_at"),
    # When the sweeper should next look at it: a nudge, an expiry, or the end of a snooze.
    _when("wake_at", nullable=True),
    UniqueConstraint("transport", "user_id", "chat_id"),
    Index(None, "wake_at"),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=False),
    Column("flow", String(40), nullable=False),
    Column("run_id", String(40), nullable=False),
    Column("question", String(60), nullable=False),
    Column("text", EncryptedText, nullable=True),
    Column("shared", Boolean, nullable=False, default=True),
    _when("created_at"),
    Index(None, "coachee_id", "flow", "question"),
)

scale_readings = Table(
    "scale_readings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("value", Integer, nullable=False),
    Column("flow", String(40), nullable=False),
    _when("recorded_at"),
    Column("run_id", String(40), nullable=True),
    Column("question", String(60), nullable=True),
)

# What the coachee agreed to do after a session, with a due date in their own time zone.
actions = Table(
    "actions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("run_id", String(40), nullable=False),
    Column("text", EncryptedText, nullable=False),
    Column("due_on", Date, nullable=True),
    # open | done | partly | not_yet
    Column("status", String(12), nullable=False, default="open"),
    _when("created_at"),
    _when("updated_at"),
)

inbound_receipts = Table(
    "inbound_receipts",
    metadata,
    Column("transport", String(20), primary_key=True),
    Column("message_id", String(100), primary_key=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True, index=True),
    _when("received_at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    *_addressed(),
    # reply | alert | digest | prompt
    Column("kind", String(20), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("payload", EncryptedText, nullable=False),
    # pending | sent | dead
    Column("status", String(10), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    _when("next_attempt_at"),
    _when("created_at"),
    _when("sent_at", nullable=True),
    Column("last_error", String(300), nullable=True),
    Column("platform_message_id", String(100), nullable=True),
    Index(None, "status", "next_attempt_at"),
)

safety_events = Table(
    "safety_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="SET NULL"), nullable=True, index=True),
    Column("conversation_id", Id, ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True),
    Column("tier", String(12), nullable=False),
    Column("rules", EncryptedText, nullable=False),
    Column("ruleset_version", String(40), nullable=False),
    Column("action", String(40), nullable=False),
    Column("alert_outbox_id", Id, nullable=True),
    Column("alert_delivered", Boolean, nullable=False, default=False),
    _when("at"),
    # When the coachee, on the hold this event began, said the alert was a mistake (never what they said).
    _when("said_mistake_at", nullable=True),
)

# A message whose turn kept failing for a reason of its own: set aside so the rest go on (bot/storage/dead_inbound.py).
dead_inbound = Table(
    "dead_inbound",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("transport", String(20), nullable=False),
    Column("message_id", String(100), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("chat_id", String(100), nullable=False),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("text", EncryptedText, nullable=True),
    Column("reason", String(200), nullable=False),
    _when("at"),
    UniqueConstraint("transport", "message_id"),
)

# The scheduler's work: one row per thing to do at a time. Claimed in a transaction, so each runs once.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    # pre_session | reminder | digest | post_session | checkin | caseload
    Column("kind", String(20), nullable=False),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("coach_id", Id, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=True),
    Column("session_id", Id, ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True),
    Column("group_session_id", Id, ForeignKey("group_sessions.id", ondelete="CASCADE"), nullable=True),
    _when("due_at"),
    # pending | running | done | dropped
    Column("status", String(10), nullable=False, default="pending"),
    Column("key", String(120), nullable=False, unique=True),
    Column("claim", String(40), nullable=True),
    _when("claimed_at", nullable=True),
    _when("done_at", nullable=True),
    Column("note", String(200), nullable=True),
    Index(None, "status", "due_at"),
)

# Peer coaching groups: a facilitating coach, members who agreed to the ground rules, and a rotation of sessions in
# which each member brings a challenge once, then one more session to close.
groups = Table(
    "groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coach_id", Id, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("every_days", Integer, nullable=False),
    _when("start_at"),
    Column("timezone", String(64), nullable=False),
    _when("created_at"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=False, index=True),
    _when("joined_at"),
    # Not in the rotation until they agree to the ground rules (`agreed_order` counts 1, 2, 3... in the group, so the
    # rotation follows the order of agreement exactly); `join_run` is the ground rules flow sent to them.
    _when("agreed_at", nullable=True),
    Column("agreed_order", Integer, nullable=True),
    _when("left_at", nullable=True),
    Column("join_run", String(40), nullable=True),
    UniqueConstraint("group_id", "coachee_id"),
)

group_sessions = Table(
    "group_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    _when("at"),
    Column("presenter_id", Id, ForeignKey("coachees.id", ondelete="SET NULL"), nullable=True),
    Column("feedback_from_id", Id, ForeignKey("coachees.id", ondelete="SET NULL"), nullable=True),
    # planned | done | cancelled
    Column("status", String(20), nullable=False, default="planned"),
    # The flow runs whose answers the facilitator's digest shows: the presenter's preparation and commitments,
    # and the previous presenter's reflection.
    Column("prep_run", String(40), nullable=True),
    Column("commit_run", String(40), nullable=True),
    Column("feedback_run", String(40), nullable=True),
    UniqueConstraint("group_id", "number"),
)

# The coach's web view (bot/web/): a one-time sign-in link sent in chat, the browser session it opens, each view of a
# coachee's page (the coachee's /mydata lists them), and the coach's own note when lifting a hold from the page.
# Links and sessions keep only a SHA-256 of their token, so a copy of the database signs no one in.
web_signin_links = Table(
    "web_signin_links",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coach_id", Id, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    _when("created_at"),
    _when("expires_at"),
    _when("used_at", nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coach_id", Id, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    _when("created_at"),
    _when("last_seen_at"),
    _when("ended_at", nullable=True),
)

coach_page_views = Table(
    "coach_page_views",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coach_id", Id, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=False),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=False, index=True),
    _when("at"),
)

hold_notes = Table(
    "hold_notes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("coach_id", Id, ForeignKey("coaches.id", ondelete="CASCADE"), nullable=False),
    Column("coachee_id", Id, ForeignKey("coachees.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("note", EncryptedText, nullable=False),
    _when("at"),
)
