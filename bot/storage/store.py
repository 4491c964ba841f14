"""Reads and writes, one small function each, always on a Connection the caller's transaction owns."""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Insert, Table, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import RowMapping

from bot.names import clean_name
from bot.storage import schema as t
from bot.storage.records import (
    ActionRow,
    Coach,
    Coachee,
    CoacheeStatus,
    Conversation,
    ConversationData,
    Identity,
    OutboxKind,
    OutboxRow,
    SafetyEventRow,
    Sender,
    Session,
    SessionStatus,
    StoredAnswer,
)
from bot.types import ConversationKey, Reply
from flows.stepper import ActionUpdate, NewAction, ProfileChange, RecordedAnswer
from safety.routing import Action
from safety.types import Tier


class StaleConversation(Exception):
    """Someone else saved this conversation first: a lost update is an error, never a silent overwrite."""


class NotFound(Exception):
    """A row named on the command line or in a command does not exist."""


def _insert_ignore(conn: Connection, table: Table) -> Insert:
    """INSERT that skips a duplicate key, portable across SQLite and PostgreSQL."""
    return _insert_ignore_on(conn.dialect.name, table)


def _insert_ignore_on(dialect: str, table: Table) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    raise RuntimeError(f"unsupported database {dialect}")


# Statements that every inbound message runs are built once, with bind parameters, and executed with a dict of
# values: building a statement and computing its cache key cost more than running it (SQLite) or about as much
# (PostgreSQL). Bind parameter names differ from the column names, which an UPDATE's SET clause reserves.

# inbound receipts

@functools.cache
def _record_receipt(dialect: str) -> Insert:
    # RETURNING, not rowcount: the psycopg driver reports -1 for an INSERT ... ON CONFLICT DO NOTHING.
    return _insert_ignore_on(dialect, t.inbound_receipts).returning(t.inbound_receipts.c.message_id)


def record_receipt(conn: Connection, *, transport: str, message_id: str, at: datetime) -> bool:
    """True the first time a (transport, message id) is seen; False for a redelivery."""
    row = conn.execute(_record_receipt(conn.dialect.name),
                       {"transport": transport, "message_id": message_id, "received_at": at}).first()
    return row is not None


_LINK_RECEIPT = (
    update(t.inbound_receipts)
    .where(t.inbound_receipts.c.transport == bindparam("b_transport"),
           t.inbound_receipts.c.message_id == bindparam("b_message_id"),
           t.inbound_receipts.c.conversation_id.is_(None))
    .values(conversation_id=bindparam("b_conversation_id"))
)


def link_receipt(conn: Connection, *, transport: str, message_id: str, conversation_id: int) -> None:
    """Record which conversation a message came in on, once that is known, so that a person's receipts go when
    their data is erased."""
    conn.execute(_LINK_RECEIPT, {"b_transport": transport, "b_message_id": message_id,
                                 "b_conversation_id": conversation_id})


# people

def _coach(row: RowMapping) -> Coach:
    return Coach(id=row["id"], name=row["name"])


def _coachee(row: RowMapping) -> Coachee:
    return Coachee.model_validate(dict(row))


def add_coach(conn: Connection, *, name: str, at: datetime) -> Coach:
    name = clean_name(name)
    new_id = conn.execute(insert(t.coaches).values(name=name, created_at=at).returning(t.coaches.c.id)).scalar_one()
    return Coach(id=new_id, name=name)


_GET_COACH = select(t.coaches.c.id, t.coaches.c.name).where(t.coaches.c.id == bindparam("b_id"))


def get_coach(conn: Connection, coach_id: int) -> Coach:
    row = conn.execute(_GET_COACH, {"b_id": coach_id}).mappings().first()
    if row is None:
        raise NotFound(f"no coach with id {coach_id}")
    return _coach(row)


def list_coaches(conn: Connection) -> list[Coach]:
    return [_coach(r) for r in conn.execute(select(t.coaches).order_by(t.coaches.c.id)).mappings()]


_COACHEE_COLUMNS = (
    t.coachees.c.id, t.coachees.c.coach_id, t.coachees.c.name, t.coachees.c.status, t.coachees.c.timezone,
    t.coachees.c.consent_store, t.coachees.c.consent_share, t.coachees.c.checkin_time,
    t.coachees.c.checkin_every_days,
)


def add_coachee(conn: Connection, *, coach_id: int, name: str, at: datetime) -> Coachee:
    get_coach(conn, coach_id)
    name = clean_name(name)
    new_id = conn.execute(
        insert(t.coachees).values(coach_id=coach_id, name=name, status="active", created_at=at)
        .returning(t.coachees.c.id)
    ).scalar_one()
    return get_coachee(conn, new_id)


_GET_COACHEE = select(*_COACHEE_COLUMNS).where(t.coachees.c.id == bindparam("b_id"))


def get_coachee(conn: Connection, coachee_id: int) -> Coachee:
    row = conn.execute(_GET_COACHEE, {"b_id": coachee_id}).mappings().first()
    if row is None:
        raise NotFound(f"no coachee with id {coachee_id}")
    return _coachee(row)


def list_coachees(conn: Connection, *, coach_id: int | None = None) -> list[Coachee]:
    query = select(*_COACHEE_COLUMNS).order_by(t.coachees.c.id)
    if coach_id is not None:
        query = query.where(t.coachees.c.coach_id == coach_id)
    return [_coachee(r) for r in conn.execute(query).mappings()]


def set_coachee_status(conn: Connection, coachee_id: int, status: CoacheeStatus) -> None:
    conn.execute(update(t.coachees).where(t.coachees.c.id == coachee_id).values(status=status))


def set_checkin_preferences(
    conn: Connection, coachee_id: int, *, time_of_day: str | None = None, every_days: int | None = None
) -> None:
    values: dict[str, object] = {}
    if time_of_day is not None:
        values["checkin_time"] = time_of_day
    if every_days is not None:
        values["checkin_every_days"] = every_days
    if values:
        conn.execute(update(t.coachees).where(t.coachees.c.id == coachee_id).values(**values))


def apply_profile(conn: Connection, coachee_id: int, changes: Sequence[ProfileChange]) -> None:
    values: dict[str, object] = {}
    for change in changes:
        if change.field == "timezone":
            values["timezone"] = change.value
        else:
            values[change.field] = change.value == "yes"
    if values:
        conn.execute(update(t.coachees).where(t.coachees.c.id == coachee_id).values(**values))


def add_identity(
    conn: Connection, *, transport: str, external_id: str, coach_id: int | None = None,
    coachee_id: int | None = None, chat_id: str | None = None,
) -> None:
    existing = find_identity(conn, transport=transport, external_id=external_id)
    if existing is not None:
        raise ValueError(f"{transport} id {external_id} already belongs to someone")
    conn.execute(insert(t.identities).values(
        transport=transport, external_id=external_id, chat_id=chat_id, coach_id=coach_id, coachee_id=coachee_id,
    ))


def set_identity_chat(conn: Connection, *, transport: str, external_id: str, chat_id: str) -> None:
    conn.execute(update(t.identities).where(t.identities.c.transport == transport,
                                            t.identities.c.external_id == external_id).values(chat_id=chat_id))


_FIND_IDENTITY = (
    select(t.identities.c.transport, t.identities.c.external_id, t.identities.c.chat_id,
           t.identities.c.coach_id, t.identities.c.coachee_id)
    .where(t.identities.c.transport == bindparam("b_transport"),
           t.identities.c.external_id == bindparam("b_external_id"))
)


def find_identity(conn: Connection, *, transport: str, external_id: str) -> Identity | None:
    row = conn.execute(_FIND_IDENTITY, {"b_transport": transport, "b_external_id": external_id}).mappings().first()
    return None if row is None else Identity.model_validate(dict(row))


_FIND_SENDER = (
    select(
        *(c for c in _FIND_IDENTITY.selected_columns), t.identities.c.unreachable_at,
        *(c.label(f"ce_{c.name}") for c in _COACHEE_COLUMNS),
        t.coaches.c.id.label("coach_row_id"), t.coaches.c.name.label("coach_name"),
    )
    .select_from(
        t.identities.outerjoin(t.coachees, t.coachees.c.id == t.identities.c.coachee_id)
        # A coachee's coach; for a coach's own identity, the coach.
        .outerjoin(t.coaches, t.coaches.c.id == func.coalesce(t.coachees.c.coach_id, t.identities.c.coach_id))
    )
    .where(t.identities.c.transport == bindparam("b_transport"),
           t.identities.c.external_id == bindparam("b_external_id"))
)


_SENDER_COACHEE = tuple((c.name, f"ce_{c.name}") for c in _COACHEE_COLUMNS)


def find_sender(conn: Connection, *, transport: str, external_id: str) -> Sender | None:
    """Who wrote, in one query: their identity with the coachee (and their coach) or the coach it belongs to. The
    same as find_identity, then get_coachee and get_coach, NotFound included."""
    row = conn.execute(_FIND_SENDER, {"b_transport": transport, "b_external_id": external_id}).mappings().first()
    if row is None:
        return None
    identity = Identity(transport=row["transport"], external_id=row["external_id"], chat_id=row["chat_id"],
                        coach_id=row["coach_id"], coachee_id=row["coachee_id"])
    coachee = None
    if identity.coachee_id is not None:
        if row["ce_id"] is None:
            raise NotFound(f"no coachee with id {identity.coachee_id}")
        coachee = Coachee.model_validate({name: row[label] for name, label in _SENDER_COACHEE})
    coach_id = coachee.coach_id if coachee is not None else identity.coach_id
    coach = None
    if coach_id is not None:
        if row["coach_row_id"] is None:
            raise NotFound(f"no coach with id {coach_id}")
        coach = Coach(id=row["coach_row_id"], name=row["coach_name"])
    return Sender(identity=identity, coachee=coachee, coach=coach, unreachable=row["unreachable_at"] is not None)


def identities_of(conn: Connection, *, coach_id: int | None = None, coachee_id: int | None = None) -> list[Identity]:
    query = select(t.identities.c.transport, t.identities.c.external_id, t.identities.c.chat_id,
                   t.identities.c.coach_id, t.identities.c.coachee_id).order_by(t.identities.c.id)
    if coach_id is not None:
        query = query.where(t.identities.c.coach_id == coach_id)
    if coachee_id is not None:
        query = query.where(t.identities.c.coachee_id == coachee_id)
    return [Identity.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def address_of(identity: Identity) -> ConversationKey:
    """Where to write to someone: their private chat on that transport."""
    return ConversationKey(
        transport=identity.transport, user=identity.external_id, chat=identity.chat_id or identity.external_id
    )


_SET_UNREACHABLE = {
    marking: update(t.identities).where(
        t.identities.c.transport == bindparam("b_transport"),
        t.identities.c.external_id == bindparam("b_external_id"),
        t.identities.c.unreachable_at.is_(None) if marking else t.identities.c.unreachable_at.is_not(None),
    ).values(unreachable_at=bindparam("b_at"))
    for marking in (True, False)
}


def current_address(conn: Connection, coachee_id: int) -> ConversationKey | None:
    """Where a coachee is talked to: their latest conversation, or their first registered chat (None: no chat)."""
    conversation = conversation_of(conn, coachee_id)
    if conversation is not None:
        return ConversationKey(transport=conversation.transport, user=conversation.user_id, chat=conversation.chat_id)
    identities = identities_of(conn, coachee_id=coachee_id)
    return address_of(identities[0]) if identities else None


def coach_address(conn: Connection, coach_id: int) -> ConversationKey | None:
    """Where a coach (or the safeguarding contact) is reached: their first registered chat (None: no chat)."""
    identities = identities_of(conn, coach_id=coach_id)
    return address_of(identities[0]) if identities else None


def set_unreachable(conn: Connection, *, transport: str, external_id: str, at: datetime | None) -> bool:
    """Mark (or, with at=None, clear) that the platform can't reach this person. True if it changed."""
    query = _SET_UNREACHABLE[at is not None]
    return bool(conn.execute(query, {"b_transport": transport, "b_external_id": external_id, "b_at": at}).rowcount)


# invites

def create_invite(conn: Connection, *, coach_id: int, at: datetime, valid_for: timedelta) -> str:
    get_coach(conn, coach_id)
    code = secrets.token_urlsafe(12)
    conn.execute(insert(t.invites).values(code=code, coach_id=coach_id, created_at=at, expires_at=at + valid_for))
    return code


def redeem_invite(conn: Connection, *, code: str, at: datetime) -> int | None:
    """Claim an unused, unexpired code atomically; returns the coach id, or None if it can't be used."""
    row = conn.execute(
        update(t.invites)
        .where(t.invites.c.code == code, t.invites.c.used_at.is_(None), t.invites.c.expires_at > at)
        .values(used_at=at)
        .returning(t.invites.c.coach_id)
    ).first()
    return None if row is None else int(row[0])


def mark_invite_used_by(conn: Connection, *, code: str, coachee_id: int) -> None:
    conn.execute(update(t.invites).where(t.invites.c.code == code).values(used_by=coachee_id))


# sessions

def add_session(conn: Connection, *, coachee_id: int, at: datetime, timezone: str, number: int | None) -> Session:
    get_coachee(conn, coachee_id)
    if number is None:
        last = conn.execute(
            select(func.max(t.sessions.c.number)).where(t.sessions.c.coachee_id == coachee_id)
        ).scalar()
        number = (last or 0) + 1
    new_id = conn.execute(
        insert(t.sessions).values(coachee_id=coachee_id, number=number, at=at, timezone=timezone, status="planned")
        .returning(t.sessions.c.id)
    ).scalar_one()
    return Session(id=new_id, coachee_id=coachee_id, number=number, at=at, timezone=timezone, status="planned")


def get_session(conn: Connection, session_id: int) -> Session:
    row = conn.execute(select(t.sessions).where(t.sessions.c.id == session_id)).mappings().first()
    if row is None:
        raise NotFound(f"no session with id {session_id}")
    return Session.model_validate(dict(row))


def update_session(conn: Connection, session_id: int, *, status: SessionStatus, at: datetime | None = None) -> Session:
    values: dict[str, object] = {"status": status}
    if at is not None:
        values["at"] = at
    conn.execute(update(t.sessions).where(t.sessions.c.id == session_id).values(**values))
    return get_session(conn, session_id)


def list_sessions(conn: Connection, *, coachee_id: int) -> list[Session]:
    rows = conn.execute(
        select(t.sessions).where(t.sessions.c.coachee_id == coachee_id).order_by(t.sessions.c.number)
    ).mappings()
    return [Session.model_validate(dict(r)) for r in rows]


# conversations

def _conversation(row: RowMapping) -> Conversation:
    return Conversation(
        id=row["id"], transport=row["transport"], user_id=row["user_id"], chat_id=row["chat_id"],
        coachee_id=row["coachee_id"], safety_tier=Tier(row["safety_tier"]), version=row["version"],
        data=ConversationData.model_validate_json(row["data"]), wake_at=row["wake_at"],
    )


_CONVERSATION_COLUMNS = (
    t.conversations.c.id, t.conversations.c.transport, t.conversations.c.user_id, t.conversations.c.chat_id,
    t.conversations.c.coachee_id, t.conversations.c.safety_tier, t.conversations.c.version,
    t.conversations.c.data, t.conversations.c.wake_at,
)


_LOCK_CONVERSATION = text("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || :key, 0))")


def lock_conversation(conn: Connection, key: ConversationKey) -> None:
    """On PostgreSQL, one turn at a time per conversation across every worker process, until this transaction
    ends; the key names the schema, as advisory locks belong to the whole database. SQLite has one writer at a
    time anyway, and each process's own lock orders its turns."""
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_CONVERSATION, {"key": f"\x1f{key.transport}\x1f{key.user}\x1f{key.chat}"})


_LOAD_CONVERSATION = select(*_CONVERSATION_COLUMNS).where(
    t.conversations.c.transport == bindparam("b_transport"),
    t.conversations.c.user_id == bindparam("b_user"),
    t.conversations.c.chat_id == bindparam("b_chat"),
)


def load_conversation(conn: Connection, key: ConversationKey) -> Conversation | None:
    row = conn.execute(_LOAD_CONVERSATION,
                       {"b_transport": key.transport, "b_user": key.user, "b_chat": key.chat}).mappings().first()
    return None if row is None else _conversation(row)


def conversation_of(conn: Connection, coachee_id: int) -> Conversation | None:
    """The coachee's most recently active conversation."""
    row = conn.execute(
        select(*_CONVERSATION_COLUMNS).where(t.conversations.c.coachee_id == coachee_id)
        .order_by(t.conversations.c.updated_at.desc()).limit(1)
    ).mappings().first()
    return None if row is None else _conversation(row)


def move_conversation(conn: Connection, conversation: Conversation, *, chat_id: str) -> Conversation:
    conn.execute(update(t.conversations).where(t.conversations.c.id == conversation.id).values(chat_id=chat_id))
    return conversation.model_copy(update={"chat_id": chat_id})


def due_conversations(conn: Connection, *, now: datetime, limit: int) -> list[ConversationKey]:
    rows = conn.execute(
        select(t.conversations.c.transport, t.conversations.c.user_id, t.conversations.c.chat_id)
        .where(t.conversations.c.wake_at <= now).order_by(t.conversations.c.wake_at).limit(limit)
    )
    return [ConversationKey(transport=r[0], user=r[1], chat=r[2]) for r in rows]


def create_conversation(
    conn: Connection, key: ConversationKey, *, coachee_id: int | None, at: datetime
) -> Conversation:
    new_id = conn.execute(
        insert(t.conversations).values(
            transport=key.transport, user_id=key.user, chat_id=key.chat, coachee_id=coachee_id,
            data="{}", safety_tier=Tier.NONE.value, version=1, updated_at=at,
        ).returning(t.conversations.c.id)
    ).scalar_one()
    return Conversation(
        id=new_id, transport=key.transport, user_id=key.user, chat_id=key.chat, coachee_id=coachee_id,
        safety_tier=Tier.NONE, version=1, data=ConversationData(),
    )


_SAVE_CONVERSATION = (
    update(t.conversations)
    .where(and_(t.conversations.c.id == bindparam("b_id"), t.conversations.c.version == bindparam("b_expected")))
    .values({name: bindparam(f"b_{name}") for name in (
        "coachee_id", "flow", "state", "data", "safety_tier", "version", "updated_at", "wake_at")})
)


def save_conversation(conn: Connection, conversation: Conversation, *, at: datetime) -> Conversation:
    """Write with a version check (an ETag), returning the saved copy with its new version."""
    data = conversation.data
    position = data.position
    result = conn.execute(_SAVE_CONVERSATION, {
        "b_id": conversation.id,
        "b_expected": conversation.version,
        "b_coachee_id": conversation.coachee_id,
        "b_flow": position.flow if position else None,
        "b_state": position.state if position else None,
        "b_data": data.model_dump_json(exclude_defaults=True),
        "b_safety_tier": conversation.safety_tier.value,
        "b_version": conversation.version + 1,
        "b_updated_at": at,
        "b_wake_at": conversation.wake_at,
    })
    if result.rowcount != 1:
        raise StaleConversation(f"conversation {conversation.id} changed underneath this turn")
    return conversation.model_copy(update={"version": conversation.version + 1})


# answers

# A run belongs to one flow, so naming the flow too changes nothing but lets the answers index (coachee, flow,
# question) find the row, rather than reading every answer the coachee ever gave.
_REPLACED_ANSWER, _REPLACED_READING = (
    delete(table).where(table.c.coachee_id == bindparam("b_coachee_id"), table.c.flow == bindparam("b_flow"),
                        table.c.run_id == bindparam("b_run_id"), table.c.question == bindparam("b_question"))
    for table in (t.answers, t.scale_readings)
)
_INSERT_ANSWERS = insert(t.answers)
_INSERT_READINGS = insert(t.scale_readings)


def add_answers(
    conn: Connection, *, coachee_id: int, answers: Sequence[RecordedAnswer], at: datetime, shared: bool
) -> None:
    """Store answers; a new answer to a question already answered in the same run replaces it (/back, review)."""
    if not answers:
        return
    for a in answers:
        replaced = {"b_coachee_id": coachee_id, "b_flow": a.flow, "b_run_id": a.run_id, "b_question": a.question}
        # A reading is only ever written with its answer row, and retention keeps the row (it blanks the text), so
        # where no answer was replaced there is no reading to replace either: the usual case, a first answer.
        if conn.execute(_REPLACED_ANSWER, replaced).rowcount:
            conn.execute(_REPLACED_READING, replaced)
    conn.execute(_INSERT_ANSWERS, [
        {"coachee_id": coachee_id, "flow": a.flow, "run_id": a.run_id, "question": a.question, "text": a.text,
         "shared": shared, "created_at": at}
        for a in answers
    ])
    readings = [a for a in answers if a.scale is not None]
    if readings:
        conn.execute(_INSERT_READINGS, [
            {"coachee_id": coachee_id, "value": a.scale, "flow": a.flow, "recorded_at": at, "run_id": a.run_id,
             "question": a.question} for a in readings
        ])


def share_run(conn: Connection, *, coachee_id: int, run_id: str, private: Sequence[str]) -> None:
    """The coachee sent this run to their coach: share its answers, except the ones they kept private."""
    where = (t.answers.c.coachee_id == coachee_id, t.answers.c.run_id == run_id)
    conn.execute(update(t.answers).where(*where).values(shared=True))
    if private:
        conn.execute(update(t.answers).where(*where, t.answers.c.question.in_(list(private))).values(shared=False))


def run_answers(conn: Connection, *, coachee_id: int, run_id: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        select(t.answers.c.question, t.answers.c.text)
        .where(t.answers.c.coachee_id == coachee_id, t.answers.c.run_id == run_id).order_by(t.answers.c.id)
    )
    return [(r[0], r[1] or "") for r in rows]


def latest_answer(conn: Connection, *, coachee_id: int, questions: Sequence[str]) -> str | None:
    if not questions:
        return None
    return conn.execute(
        select(t.answers.c.text).where(t.answers.c.coachee_id == coachee_id, t.answers.c.question.in_(list(questions)))
        .order_by(t.answers.c.id.desc()).limit(1)
    ).scalar_one_or_none()


# actions

def add_actions(conn: Connection, *, coachee_id: int, actions: Sequence[NewAction], at: datetime) -> None:
    if actions:
        conn.execute(insert(t.actions), [
            {"coachee_id": coachee_id, "run_id": a.run_id, "text": a.text, "due_on": a.due, "status": "open",
             "created_at": at, "updated_at": at} for a in actions
        ])


def update_actions(conn: Connection, *, coachee_id: int, updates: Sequence[ActionUpdate], at: datetime) -> None:
    for u in updates:
        conn.execute(update(t.actions).where(t.actions.c.id == u.action_id, t.actions.c.coachee_id == coachee_id)
                     .values(status=u.status, updated_at=at))


def actions_of(conn: Connection, coachee_id: int, *, open_only: bool = False) -> list[ActionRow]:
    query = select(t.actions).where(t.actions.c.coachee_id == coachee_id)
    if open_only:
        query = query.where(t.actions.c.status != "done")
    rows = conn.execute(query.order_by(t.actions.c.due_on, t.actions.c.id)).mappings()
    return [ActionRow.model_validate(dict(r)) for r in rows]


def answers_of(conn: Connection, coachee_id: int, *, shared_only: bool = False) -> list[StoredAnswer]:
    query = select(t.answers.c.flow, t.answers.c.run_id, t.answers.c.question, t.answers.c.text,
                   t.answers.c.shared, t.answers.c.created_at).where(t.answers.c.coachee_id == coachee_id)
    if shared_only:
        query = query.where(t.answers.c.shared.is_(True))
    rows = conn.execute(query.order_by(t.answers.c.id)).mappings()
    return [StoredAnswer.model_validate(dict(r)) for r in rows]


def scale_history(conn: Connection, coachee_id: int) -> list[tuple[datetime, int]]:
    rows = conn.execute(
        select(t.scale_readings.c.recorded_at, t.scale_readings.c.value)
        .where(t.scale_readings.c.coachee_id == coachee_id).order_by(t.scale_readings.c.id)
    )
    return [(r[0], int(r[1])) for r in rows]


def scale_readings(conn: Connection, coachee_id: int) -> list[tuple[int, str | None]]:
    """Each reading with the flow run it came from, oldest first."""
    rows = conn.execute(
        select(t.scale_readings.c.value, t.scale_readings.c.run_id)
        .where(t.scale_readings.c.coachee_id == coachee_id).order_by(t.scale_readings.c.id)
    )
    return [(int(r[0]), r[1]) for r in rows]


# outbox

_ADD_OUTBOX = insert(t.outbox).returning(t.outbox.c.id)


def add_outbox(
    conn: Connection, *, to: ConversationKey, replies: Sequence[Reply], kind: OutboxKind, at: datetime,
    coachee_id: int | None, priority: int = 0,
) -> list[int]:
    ids = []
    for reply in replies:
        ids.append(conn.execute(_ADD_OUTBOX, {
            "transport": to.transport, "user_id": to.user, "chat_id": to.chat, "coachee_id": coachee_id, "kind": kind,
            "priority": priority, "payload": reply.model_dump_json(exclude_defaults=True), "status": "pending",
            "attempts": 0, "next_attempt_at": at, "created_at": at,
        }).scalar_one())
    return ids


def outbox_rows(conn: Connection, *, statuses: Sequence[str], limit: int = 1000) -> list[OutboxRow]:
    rows = conn.execute(
        select(t.outbox).where(t.outbox.c.status.in_(statuses)).order_by(t.outbox.c.id).limit(limit)
    ).mappings()
    return [OutboxRow.model_validate(dict(r)) for r in rows]


# safety events

def add_safety_event(
    conn: Connection, *, coachee_id: int | None, conversation_id: int | None, tier: Tier, rules: Sequence[str],
    ruleset_version: str, action: str, alert_outbox_id: int | None, at: datetime,
) -> int:
    return int(conn.execute(
        insert(t.safety_events).values(
            coachee_id=coachee_id, conversation_id=conversation_id, tier=tier.value, rules=json.dumps(list(rules)),
            ruleset_version=ruleset_version, action=action, alert_outbox_id=alert_outbox_id,
            alert_delivered=False, at=at,
        ).returning(t.safety_events.c.id)
    ).scalar_one())


def stranger_alert_history(conn: Connection, *, conversation_id: int) -> tuple[datetime | None, int]:
    """When the safeguarding contact was last alerted about this stranger's conversation, and how many of their
    screened messages have come since without an alert of their own."""
    e = t.safety_events
    about = (e.c.conversation_id == conversation_id) & e.c.coachee_id.is_(None)
    last = conn.execute(select(func.max(e.c.at)).where(about, e.c.alert_outbox_id.is_not(None))).scalar_one()
    if last is None:
        return None, 0
    since = conn.execute(select(func.count()).select_from(e).where(
        about, e.c.alert_outbox_id.is_(None), e.c.at >= last)).scalar_one()
    return last, int(since)


# digest and caseload

def scale_rows(conn: Connection, coachee_id: int) -> list[tuple[datetime, int, str | None, str | None]]:
    """Each reading as (recorded_at, value, run_id, question), oldest first, so the digest can match it to its answer
    and leave out a reading the coachee kept private."""
    rows = conn.execute(
        select(t.scale_readings.c.recorded_at, t.scale_readings.c.value, t.scale_readings.c.run_id,
               t.scale_readings.c.question)
        .where(t.scale_readings.c.coachee_id == coachee_id).order_by(t.scale_readings.c.id)
    )
    return [(r[0], int(r[1]), r[2], r[3]) for r in rows]


def safety_events_of(conn: Connection, coachee_id: int, *, since: datetime | None) -> list[SafetyEventRow]:
    """The service's own record of routing, oldest first; never the words that caused it."""
    e = t.safety_events
    query = select(e.c.at, e.c.tier, e.c.action, e.c.said_mistake_at).where(e.c.coachee_id == coachee_id)
    if since is not None:
        query = query.where(e.c.at >= since)
    return [SafetyEventRow.model_validate(dict(r)) for r in conn.execute(query.order_by(e.c.at, e.c.id)).mappings()]


HOLD_ACTIONS = (Action.CRISIS.value, Action.EMERGENCY.value)
"""The safety events that put a coachee on hold."""


def mark_said_mistake(conn: Connection, *, coachee_id: int, at: datetime) -> bool:
    """The coachee says the alert was a mistake: note when on the event that began their latest hold (the first
    time they said so stands). False if they have no such event."""
    e = t.safety_events
    latest = conn.execute(select(e.c.id, e.c.said_mistake_at).where(
        e.c.coachee_id == coachee_id, e.c.action.in_(HOLD_ACTIONS)).order_by(e.c.at.desc(), e.c.id.desc())
        .limit(1)).first()
    if latest is None:
        return False
    if latest.said_mistake_at is None:
        conn.execute(update(e).where(e.c.id == latest.id).values(said_mistake_at=at))
    return True


def joined_at(conn: Connection, *, coach_id: int) -> dict[int, datetime]:
    """When each of this coach's coachees was added."""
    rows = conn.execute(select(t.coachees.c.id, t.coachees.c.created_at).where(t.coachees.c.coach_id == coach_id))
    return {int(r[0]): r[1] for r in rows}


def last_heard_from(conn: Connection, *, coach_id: int) -> dict[int, datetime]:
    """The last time each of this coach's coachees wrote to the bot, as far as the database shows: an inbound
    message on one of their conversations, a stored answer, or a safety event their own message caused. The
    conversation's updated_at is not used: the bot's own prompts and nudges move it too."""
    mine = select(t.coachees.c.id).where(t.coachees.c.coach_id == coach_id).scalar_subquery()
    receipts = (
        select(t.conversations.c.coachee_id, func.max(t.inbound_receipts.c.received_at))
        .join(t.conversations, t.conversations.c.id == t.inbound_receipts.c.conversation_id)
        .where(t.conversations.c.coachee_id.in_(mine)).group_by(t.conversations.c.coachee_id)
    )
    answered = (
        select(t.answers.c.coachee_id, func.max(t.answers.c.created_at))
        .where(t.answers.c.coachee_id.in_(mine)).group_by(t.answers.c.coachee_id)
    )
    screened = (
        select(t.safety_events.c.coachee_id, func.max(t.safety_events.c.at))
        .where(t.safety_events.c.coachee_id.in_(mine), t.safety_events.c.action != "on_hold_reply_lifted")
        .group_by(t.safety_events.c.coachee_id)
    )
    heard: dict[int, datetime] = {}
    for query in (receipts, answered, screened):
        for coachee_id, at in conn.execute(query):
            if coachee_id is not None and at is not None:
                heard[int(coachee_id)] = max(at, heard.get(int(coachee_id), at))
    return heard


def unreachable_of(conn: Connection, *, coach_id: int) -> list[tuple[int, str, datetime]]:
    """(coachee id, transport, since when) for each of this coach's coachees' chats the platform can't reach."""
    rows = conn.execute(
        select(t.identities.c.coachee_id, t.identities.c.transport, t.identities.c.unreachable_at)
        .join(t.coachees, t.coachees.c.id == t.identities.c.coachee_id)
        .where(t.coachees.c.coach_id == coach_id, t.identities.c.unreachable_at.is_not(None))
        .order_by(t.identities.c.unreachable_at)
    )
    return [(int(r[0]), r[1], r[2]) for r in rows]
