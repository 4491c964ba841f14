"""A coachee's own data: all of it as JSON (/mydata, `coachbot coachee export`), erased on request (/forget,
`coachbot coachee erase`), and its free text deleted a while after their programme ends (the daily retention job).

Erasure deletes every row that holds something of theirs: profile, identities, the invite they joined with,
sessions, conversations (with the last turns kept for the safety screen), answers and journal entries, scale
readings, actions, inbound receipts, outbox rows to them or about them (alerts, notices and digests to their
coach included, sent or not) and scheduled jobs. Only the safety events survive, as anonymous counts for the
safety audit: tier, the rule ids that fired, the ruleset version, the action taken and whether the alert went
out, on the day it happened. The link to the person, their conversation and the alert row is cut, and the time
is rounded down to the day, so a count can't be matched back to a message by its minute.

Free space keeps no readable copy: SQLite runs with secure_delete (bot/storage/db.py), so freed cells and pages
are overwritten with zeros, and `scrub_freed_pages` checkpoints the WAL into the database file and truncates it
once the erasing transaction has committed. What PostgreSQL does and doesn't guarantee is in docs/PRIVACY.md.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Connection, and_, delete, false, func, or_, select, update
from sqlalchemy import Engine as Database

from bot.planning import JobKind
from bot.storage import schema as t
from bot.storage.coach_views import hold_notes_of, views_of
from bot.storage.records import (
    ActionStatus,
    CoacheeStatus,
    ConversationData,
    OutboxKind,
    OutboxStatus,
    SessionStatus,
)
from bot.storage.store import NotFound

log = logging.getLogger(__name__)

EXPORT_FORMAT = "coachbot-export/1"
JOURNAL_FLOW = "journal"
FAREWELL: OutboxKind = "farewell"  # the outbox kind of the last message after an erasure: addressed to no one's record


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


# the export

class ExportedProfile(_Frozen):
    id: int
    name: str
    coach: str
    status: CoacheeStatus
    timezone: str | None
    joined_at: datetime
    checkin_time: str | None
    checkin_every_days: int | None


class ExportedConsents(_Frozen):
    store_answers: bool | None
    share_with_coach: bool | None


class ExportedIdentity(_Frozen):
    transport: str
    user_id: str
    chat_id: str | None
    unreachable_since: datetime | None


class ExportedSession(_Frozen):
    number: int
    at: datetime
    timezone: str
    status: SessionStatus


class ExportedAnswer(_Frozen):
    flow: str
    run_id: str
    question: str
    text: str | None
    shared_with_coach: bool
    at: datetime


class ExportedJournalEntry(_Frozen):
    text: str | None
    shared_with_coach: bool
    at: datetime


class ExportedReading(_Frozen):
    value: int
    flow: str
    question: str | None
    at: datetime


class ExportedAction(_Frozen):
    text: str
    due_on: date | None
    status: ActionStatus
    created_at: datetime
    updated_at: datetime


class ExportedSafetyEvent(_Frozen):
    """The service's record that a message was routed for safety: never the words, nor the rules that fired."""

    at: datetime
    tier: str
    action: str
    said_mistake_at: datetime | None = None  # when they said the alert that began a hold was a mistake


class ExportedTurn(_Frozen):
    speaker: str
    text: str


class ExportedConversation(_Frozen):
    transport: str
    chat_id: str
    flow: str | None
    state: str | None
    recent: tuple[ExportedTurn, ...]
    updated_at: datetime


class ExportedMessage(_Frozen):
    """A message the bot sent (or will send) to them, or about them to their coach; its text is the bot's own
    wording or a copy of their answers, which are above."""

    kind: OutboxKind
    to: Literal["you", "your coach"]
    status: OutboxStatus
    created_at: datetime
    sent_at: datetime | None


class ExportedDeadMessage(_Frozen):
    """A message of theirs the bot couldn't take in (its turn kept failing), kept aside with its words."""

    text: str | None
    at: datetime


class ExportedJob(_Frozen):
    kind: JobKind
    due_at: datetime


class ExportedPageView(_Frozen):
    """Their coach opened their page in the coach's web view."""

    coach: str
    at: datetime


class ExportedHoldNote(_Frozen):
    """The coach's own note, written when they lifted a hold from the web view."""

    coach: str
    note: str
    at: datetime


class CoacheeExport(_Frozen):
    """Everything held about one coachee, ready for JSON."""

    format: str = EXPORT_FORMAT
    exported_at: datetime
    profile: ExportedProfile
    consents: ExportedConsents
    identities: tuple[ExportedIdentity, ...]
    sessions: tuple[ExportedSession, ...]
    answers: tuple[ExportedAnswer, ...]
    journal: tuple[ExportedJournalEntry, ...]
    scale_readings: tuple[ExportedReading, ...]
    actions: tuple[ExportedAction, ...]
    safety_events: tuple[ExportedSafetyEvent, ...]
    conversations: tuple[ExportedConversation, ...]
    messages: tuple[ExportedMessage, ...]
    scheduled: tuple[ExportedJob, ...]
    not_taken_in: tuple[ExportedDeadMessage, ...] = ()
    coach_views: tuple[ExportedPageView, ...] = ()
    hold_notes: tuple[ExportedHoldNote, ...] = ()

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)


class _Addresses(_Frozen):
    """Where a coachee is reached: the rows that name them by platform id rather than by coachee id."""

    users: tuple[tuple[str, str], ...]  # (transport, platform user id)
    chats: tuple[tuple[str, str], ...]  # (transport, chat id)
    conversation_ids: tuple[int, ...]


def _addresses(conn: Connection, coachee_id: int) -> _Addresses:
    users: set[tuple[str, str]] = set()
    chats: set[tuple[str, str]] = set()
    i = t.identities
    for transport, external_id, chat_id in conn.execute(
            select(i.c.transport, i.c.external_id, i.c.chat_id).where(i.c.coachee_id == coachee_id)):
        users.add((transport, external_id))
        chats.add((transport, chat_id or external_id))
    c = t.conversations
    mine = [c.c.coachee_id == coachee_id] + [and_(c.c.transport == tr, c.c.user_id == user) for tr, user in users]
    conversation_ids = []
    for conversation_id, transport, user_id, chat_id in conn.execute(
            select(c.c.id, c.c.transport, c.c.user_id, c.c.chat_id).where(or_(*mine)).order_by(c.c.id)):
        conversation_ids.append(int(conversation_id))
        users.add((transport, user_id))
        chats.add((transport, chat_id))
    return _Addresses(users=tuple(sorted(users)), chats=tuple(sorted(chats)), conversation_ids=tuple(conversation_ids))


def _outbox_of(coachee_id: int, where: _Addresses) -> ColumnElement[bool]:
    """Outbox rows about them (to them, or to their coach) or addressed to one of their chats."""
    o = t.outbox
    return or_(
        o.c.coachee_id == coachee_id,
        *[and_(o.c.transport == tr, o.c.user_id == user) for tr, user in where.users],
        *[and_(o.c.transport == tr, o.c.chat_id == chat) for tr, chat in where.chats],
    )


def _receipts_of(where: _Addresses) -> ColumnElement[bool]:
    """Their inbound receipts: by conversation, and (for receipts kept before the conversation was recorded with
    them) by the chat id that Telegram's and Slack's message ids carry ("m:CHAT:N", "CHANNEL:TS")."""
    r = t.inbound_receipts
    by_chat = [and_(r.c.transport == tr, or_(r.c.message_id.startswith(f"{chat}:", autoescape=True),
                                             r.c.message_id.contains(f":{chat}:", autoescape=True)))
               for tr, chat in where.chats]
    linked = r.c.conversation_id.in_(where.conversation_ids) if where.conversation_ids else false()
    return or_(linked, *by_chat)


def export_coachee(conn: Connection, coachee_id: int, *, now: datetime) -> CoacheeExport:
    """Everything held about this coachee, as the coachee may see it. Raises NotFound if there is no such coachee."""
    row = conn.execute(select(t.coachees, t.coaches.c.name.label("coach_name"))
                       .join(t.coaches, t.coaches.c.id == t.coachees.c.coach_id)
                       .where(t.coachees.c.id == coachee_id)).mappings().first()
    if row is None:
        raise NotFound(f"no coachee with id {coachee_id}")
    where = _addresses(conn, coachee_id)
    i, s, a, r, ac = t.identities, t.sessions, t.answers, t.scale_readings, t.actions
    identities = [ExportedIdentity(transport=x.transport, user_id=x.external_id, chat_id=x.chat_id,
                                   unreachable_since=x.unreachable_at)
                  for x in conn.execute(select(i).where(i.c.coachee_id == coachee_id).order_by(i.c.id))]
    sessions = [ExportedSession(number=x.number, at=x.at, timezone=x.timezone, status=x.status)
                for x in conn.execute(select(s).where(s.c.coachee_id == coachee_id).order_by(s.c.number))]
    answers: list[ExportedAnswer] = []
    journal: list[ExportedJournalEntry] = []
    for x in conn.execute(select(a).where(a.c.coachee_id == coachee_id).order_by(a.c.id)):
        if x.flow == JOURNAL_FLOW and x.question == "entry":
            journal.append(ExportedJournalEntry(text=x.text, shared_with_coach=x.shared, at=x.created_at))
        else:
            answers.append(ExportedAnswer(flow=x.flow, run_id=x.run_id, question=x.question, text=x.text,
                                          shared_with_coach=x.shared, at=x.created_at))
    readings = [ExportedReading(value=x.value, flow=x.flow, question=x.question, at=x.recorded_at)
                for x in conn.execute(select(r).where(r.c.coachee_id == coachee_id).order_by(r.c.id))]
    actions = [ExportedAction(text=x.text, due_on=x.due_on, status=x.status, created_at=x.created_at,
                              updated_at=x.updated_at)
               for x in conn.execute(select(ac).where(ac.c.coachee_id == coachee_id).order_by(ac.c.id))]
    se = t.safety_events
    events = [ExportedSafetyEvent(at=x.at, tier=x.tier, action=x.action, said_mistake_at=x.said_mistake_at)
              for x in conn.execute(select(se.c.at, se.c.tier, se.c.action, se.c.said_mistake_at)
                                    .where(se.c.coachee_id == coachee_id).order_by(se.c.at, se.c.id))]
    c = t.conversations
    conversations = []
    if where.conversation_ids:
        for x in conn.execute(select(c).where(c.c.id.in_(where.conversation_ids)).order_by(c.c.id)):
            data = ConversationData.model_validate_json(x.data)
            conversations.append(ExportedConversation(
                transport=x.transport, chat_id=x.chat_id, flow=x.flow, state=x.state, updated_at=x.updated_at,
                recent=tuple(ExportedTurn(speaker=turn.speaker, text=turn.text) for turn in data.recent)))
    o = t.outbox
    messages = [ExportedMessage(kind=x.kind, to="you" if (x.transport, x.user_id) in where.users else "your coach",
                                status=x.status, created_at=x.created_at, sent_at=x.sent_at)
                for x in conn.execute(select(o.c.transport, o.c.user_id, o.c.kind, o.c.status, o.c.created_at,
                                             o.c.sent_at).where(_outbox_of(coachee_id, where)).order_by(o.c.id))]
    j = t.jobs
    scheduled = [ExportedJob(kind=x.kind, due_at=x.due_at) for x in conn.execute(
        select(j.c.kind, j.c.due_at).where(j.c.coachee_id == coachee_id, j.c.status == "pending")
        .order_by(j.c.due_at, j.c.id))]
    d = t.dead_inbound
    not_taken_in = [ExportedDeadMessage(text=x.text, at=x.at) for x in conn.execute(
        select(d.c.text, d.c.at).where(d.c.coachee_id == coachee_id).order_by(d.c.id))]
    return CoacheeExport(
        exported_at=now,
        profile=ExportedProfile(id=row["id"], name=row["name"], coach=row["coach_name"], status=row["status"],
                                timezone=row["timezone"], joined_at=row["created_at"],
                                checkin_time=row["checkin_time"], checkin_every_days=row["checkin_every_days"]),
        consents=ExportedConsents(store_answers=row["consent_store"], share_with_coach=row["consent_share"]),
        identities=tuple(identities), sessions=tuple(sessions), answers=tuple(answers), journal=tuple(journal),
        scale_readings=tuple(readings), actions=tuple(actions), safety_events=tuple(events),
        conversations=tuple(conversations), messages=tuple(messages), scheduled=tuple(scheduled),
        not_taken_in=tuple(not_taken_in),
        coach_views=tuple(ExportedPageView(coach=x.coach, at=x.at) for x in views_of(conn, coachee_id)),
        hold_notes=tuple(ExportedHoldNote(coach=x.coach, note=x.note, at=x.at)
                         for x in hold_notes_of(conn, coachee_id)),
    )


# erasure

class ErasureReport(_Frozen):
    coachee_id: int
    deleted: dict[str, int]  # rows deleted, by table
    safety_events_kept: int  # left as anonymous counts

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def _day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def erase_coachee(conn: Connection, coachee_id: int) -> ErasureReport:
    """Delete everything held about this coachee, in the caller's transaction; their safety events stay only as
    anonymous counts. Raises NotFound if there is no such coachee. Call `scrub_freed_pages` after the commit."""
    if conn.execute(select(t.coachees.c.id).where(t.coachees.c.id == coachee_id)).first() is None:
        raise NotFound(f"no coachee with id {coachee_id}")
    where = _addresses(conn, coachee_id)
    se = t.safety_events
    theirs = se.c.coachee_id == coachee_id
    if where.conversation_ids:
        theirs = or_(theirs, se.c.conversation_id.in_(where.conversation_ids))
    kept = 0
    for event_id, at, said_mistake_at in conn.execute(select(se.c.id, se.c.at, se.c.said_mistake_at)
                                                       .where(theirs)).all():
        conn.execute(update(se).where(se.c.id == event_id).values(
            coachee_id=None, conversation_id=None, alert_outbox_id=None, at=_day(at),
            said_mistake_at=_day(said_mistake_at) if said_mistake_at is not None else None))
        kept += 1
    deleted: dict[str, int] = {}

    def gone(table_name: str, count: int) -> None:
        deleted[table_name] = deleted.get(table_name, 0) + count

    session_ids = select(t.sessions.c.id).where(t.sessions.c.coachee_id == coachee_id).scalar_subquery()
    steps: Sequence[tuple[str, ColumnElement[bool]]] = (
        ("outbox", _outbox_of(coachee_id, where)),
        ("inbound_receipts", _receipts_of(where)),
        ("jobs", or_(t.jobs.c.coachee_id == coachee_id, t.jobs.c.session_id.in_(session_ids))),
        ("invites", t.invites.c.used_by == coachee_id),
        ("answers", t.answers.c.coachee_id == coachee_id),
        ("dead_inbound", t.dead_inbound.c.coachee_id == coachee_id),
        ("coach_page_views", t.coach_page_views.c.coachee_id == coachee_id),
        ("hold_notes", t.hold_notes.c.coachee_id == coachee_id),
        ("scale_readings", t.scale_readings.c.coachee_id == coachee_id),
        ("actions", t.actions.c.coachee_id == coachee_id),
        ("sessions", t.sessions.c.coachee_id == coachee_id),
        ("identities", t.identities.c.coachee_id == coachee_id),
        ("conversations", t.conversations.c.id.in_(where.conversation_ids) if where.conversation_ids else false()),
        ("coachees", t.coachees.c.id == coachee_id),
    )
    for table_name, condition in steps:
        gone(table_name, int(conn.execute(delete(t.metadata.tables[table_name]).where(condition)).rowcount))
    log.info("coachee %s erased: %d rows deleted, %d safety events kept as anonymous counts", coachee_id,
             sum(deleted.values()), kept)
    return ErasureReport(coachee_id=coachee_id, deleted=deleted, safety_events_kept=kept)


def scrub_freed_pages(db: Database) -> None:
    """After an erasure has committed: on SQLite, copy the zeroed pages from the WAL into the database file and
    truncate the WAL, so neither file keeps a readable copy. PostgreSQL: nothing to do here (docs/PRIVACY.md)."""
    if db.dialect.name != "sqlite":
        return
    with db.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
    if busy is not None and busy[0]:
        log.warning("the WAL checkpoint after an erasure was busy; SQLite's next automatic checkpoint completes it")


# retention

class RetentionReport(_Frozen):
    coachees: int  # whose programme ended longer ago than the retention period
    answers: int  # answers and journal entries whose text was deleted
    actions: int
    conversations: int
    outbox: int  # delivered messages deleted (their copies of what was said)


def programme_ended(conn: Connection, *, before: datetime) -> list[int]:
    """Coachees whose last session (cancelled ones aside) was before `before`. No session booked: not ended."""
    s = t.sessions
    last = func.max(s.c.at)
    query = (select(s.c.coachee_id).where(s.c.status != "cancelled").group_by(s.c.coachee_id)
             .having(last < before).order_by(s.c.coachee_id))
    return [int(x) for x in conn.execute(query).scalars()]


def purge_expired(conn: Connection, *, now: datetime, retention: timedelta) -> RetentionReport:
    """Delete the free text of every coachee whose programme ended more than `retention` ago: answer and journal
    text, action text, the conversation's remembered turns and flow state, and delivered messages to or about
    them. What isn't free text stays: the profile, sessions, scale readings, which questions were answered and
    when, actions' dates and statuses, safety events. Idempotent; the daily retention job runs it."""
    ended = programme_ended(conn, before=now - retention)
    answers = actions = conversations = 0
    if ended:
        a = t.answers
        answers = int(conn.execute(update(a).where(a.c.coachee_id.in_(ended), a.c.text.is_not(None))
                                   .values(text=None)).rowcount)
        ac = t.actions
        # The column may be encrypted, so its text is compared here, never in SQL.
        for action_id, text in conn.execute(select(ac.c.id, ac.c.text).where(ac.c.coachee_id.in_(ended))).all():
            if text:
                conn.execute(update(ac).where(ac.c.id == action_id).values(text=""))
                actions += 1
        c = t.conversations
        for conversation_id, version, raw in conn.execute(
                select(c.c.id, c.c.version, c.c.data).where(c.c.coachee_id.in_(ended))).all():
            data = ConversationData.model_validate_json(raw)
            emptied = ConversationData(pending_check=data.pending_check)
            if data == emptied:
                continue
            # A version bump, so a turn that read the old state retries on the emptied one.
            conn.execute(update(c).where(c.c.id == conversation_id, c.c.version == version).values(
                data=emptied.model_dump_json(exclude_defaults=True), flow=None, state=None, wake_at=None,
                version=version + 1))
            conversations += 1
    o = t.outbox
    delivered = o.c.status != "pending"
    about_them = o.c.coachee_id.in_(ended) if ended else false()
    outbox = int(conn.execute(delete(o).where(delivered, or_(about_them, o.c.kind == FAREWELL))).rowcount)
    if ended or outbox:
        log.info("retention: free text deleted for %d coachees (%d answers, %d actions, %d conversations, "
                 "%d messages)", len(ended), answers, actions, conversations, outbox)
    return RetentionReport(coachees=len(ended), answers=answers, actions=actions, conversations=conversations,
                           outbox=outbox)


# strangers

class StrangerReport(_Frozen):
    conversations: int  # strangers' conversations deleted, with their receipts
    outbox: int  # delivered messages to them, and alerts about them, deleted


def purge_strangers(conn: Connection, *, now: datetime, kept_for: timedelta) -> StrangerReport:
    """Delete what is kept about someone who never joined, once they have been quiet for `kept_for`: their
    conversation (its remembered turns may hold crisis text), its receipts, delivered replies to them and the
    delivered alerts that named their platform id. A coach's conversation is not a stranger's. The safety events
    stay as anonymous counts: cut from the conversation, on the day. Pending messages wait for the outbox."""
    c, i, o, e = t.conversations, t.identities, t.outbox, t.safety_events
    coach = select(i.c.id).where(i.c.coach_id.is_not(None), i.c.transport == c.c.transport,
                                 i.c.external_id == c.c.user_id).exists()
    quiet = conn.execute(select(c.c.id, c.c.transport, c.c.user_id, c.c.chat_id).where(
        c.c.coachee_id.is_(None), c.c.updated_at < now - kept_for, ~coach)).all()
    conversations = outbox = 0
    for conversation_id, transport, user_id, chat_id in quiet:
        alerts = [int(x) for x in conn.execute(select(e.c.alert_outbox_id).where(
            e.c.conversation_id == conversation_id, e.c.alert_outbox_id.is_not(None))).scalars()]
        to_them = and_(o.c.coachee_id.is_(None), o.c.transport == transport, o.c.user_id == user_id,
                       o.c.chat_id == chat_id)
        about_them = o.c.id.in_(alerts) if alerts else false()
        outbox += int(conn.execute(delete(o).where(o.c.status != "pending", or_(to_them, about_them))).rowcount)
        for event_id, at in conn.execute(select(e.c.id, e.c.at).where(e.c.conversation_id == conversation_id)).all():
            conn.execute(update(e).where(e.c.id == event_id).values(conversation_id=None, alert_outbox_id=None,
                                                                    at=_day(at)))
        conn.execute(delete(t.inbound_receipts).where(t.inbound_receipts.c.conversation_id == conversation_id))
        d = t.dead_inbound
        conn.execute(delete(d).where(d.c.coachee_id.is_(None), d.c.transport == transport, d.c.user_id == user_id))
        conversations += int(conn.execute(delete(c).where(c.c.id == conversation_id)).rowcount)
    if conversations:
        log.info("retention: %d strangers' conversations deleted (%d messages)", conversations, outbox)
    return StrangerReport(conversations=conversations, outbox=outbox)
