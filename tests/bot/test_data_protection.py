"""Data protection through the engine on a real database: /mydata sends a coachee everything held about them,
/forget erases it after a confirmation (no row of any table keeps their name, words or platform ids; only
anonymous safety counts remain, and SQLite's file keeps no readable copy), and the daily retention job deletes
free text once a programme is long over."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.coachee_desk import MY_DATA_FILE
from bot.config import Config, DatabaseConfig, PrivacyConfig, SafetyConfig, SecurityConfig
from bot.digest import build_digest, queue_digest
from bot.storage import jobs as job_store
from bot.storage import store
from bot.storage.erasure import purge_expired
from bot.storage.schema import metadata
from tests.conftest import Clock, Harness, MarkerScreener, make_harness, onboard
from tests.flows.test_pre_session import ANSWERS, LATER, answer_up_to_review

NAME = "Zebulon Quartermaine"
USER = "tg-48151623"
ACTION = "Book the Wexford rota review with Priya"
CHECKIN = "Rehearsing the Wexford opener out loud helped"
JOURNAL = "Quietly proud of the Wexford handover today"
STRESS = "the Wexford rota is crushing me"
OTHER_GOAL = "Fewer late handovers on nights"
OTHER_JOURNAL = "Nights went smoothly this week"
WORDS = (*ANSWERS.values(), *LATER.values(), ACTION, CHECKIN, JOURNAL, STRESS)  # all theirs alone
EVERYTHING = (NAME, USER, *WORDS)


async def join(harness: Harness) -> Harness:
    """A second coachee of the same coach, joined by invite, onboarded, at their first pre-session question."""
    with harness.app.db.begin() as conn:
        code = store.create_invite(conn, coach_id=harness.coach_id, at=harness.app.engine.clock(),
                                   valid_for=timedelta(days=7))
    subject = dataclasses.replace(harness, coachee_user=USER, coachee_id=0)
    await subject.say(f"/start {code}", name=NAME)
    with harness.app.db.connect() as conn:
        identity = store.find_identity(conn, transport="memory", external_id=USER)
    assert identity is not None and identity.coachee_id is not None
    subject.coachee_id = identity.coachee_id
    for answer in ("yes", "yes", "yes", "London"):
        await subject.say(answer)
    return subject


async def walk(harness: Harness) -> Harness:
    """The other coachee answers a question; the subject joins and does a bit of everything: session 1 sent to the
    coach, actions after it, a check-in, a journal entry, a safety notice, and the coach's digest."""
    await onboard(harness)
    await harness.say(OTHER_GOAL)
    subject = await join(harness)
    await answer_up_to_review(subject)
    assert "Sent" in await subject.texts(payload=button(subject, "Send to Alex Coach"))
    await subject.prompt("post_session")
    for answer in (ACTION, "next Friday", "no"):
        await subject.say(answer)
    await subject.prompt("checkin")
    for answer in ("6", CHECKIN, "Partly", "/skip", "/skip", "/skip", "yes"):
        await subject.say(answer)
    assert "check in again soon" in subject.transport.texts_to(USER)[-1]
    await subject.say("/journal")
    await subject.say(JOURNAL)
    assert "just for you" in await subject.texts("no")
    await subject.say(f"[stress] {STRESS}")
    await subject.say("/resume")
    with harness.app.db.begin() as conn:
        digest = build_digest(conn, coachee_id=subject.coachee_id, flows=harness.app.flows.registry,
                              now=harness.app.engine.clock(), chart=False)
        assert queue_digest(conn, digest, now=harness.app.engine.clock()) is not None
    await harness.app.outbox.deliver_due()
    assert ANSWERS["goal"] in harness.transport.texts_to("c1")[-1]
    return subject


def button(h: Harness, label: str) -> str:
    for reply in reversed(h.transport.replies_to(h.coachee_user)):
        for b in reply.buttons:
            if b.label == label:
                return b.payload
    raise AssertionError(f"no {label!r} button")


def holding(h: Harness, needles: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every row of every table with any of these strings in any column."""
    found = []
    with h.app.db.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                values = " ".join(str(v) for v in row.values() if v is not None)
                if any(needle in values for needle in needles):
                    found.append((table.name, dict(row)))
    return found


def linked_to(h: Harness, coachee_id: int) -> list[str]:
    """Tables with a row that is this coachee or points at them."""
    tables = []
    with h.app.db.connect() as conn:
        for table in metadata.sorted_tables:
            column = "id" if table.name == "coachees" else "used_by" if table.name == "invites" else "coachee_id"
            if column in table.c and conn.execute(
                    select(table).where(table.c[column] == coachee_id)).first() is not None:
                tables.append(table.name)
    return tables


def receipts(h: Harness, user: str | None = None) -> set[str]:
    """Message ids of the inbound receipts kept (those on this user's conversations, if given)."""
    r, c = metadata.tables["inbound_receipts"], metadata.tables["conversations"]
    query = select(r.c.message_id)
    if user is not None:
        query = query.join(c, c.c.id == r.c.conversation_id).where(c.c.user_id == user)
    with h.app.db.connect() as conn:
        return set(conn.execute(query).scalars())


def counts(h: Harness, coachee_id: int) -> dict[str, int]:
    with h.app.db.connect() as conn:
        return {
            "answers": len(store.answers_of(conn, coachee_id)),
            "actions": len(store.actions_of(conn, coachee_id)),
            "readings": len(store.scale_history(conn, coachee_id)),
            "identities": len(store.identities_of(conn, coachee_id=coachee_id)),
            "safety": len(store.safety_events_of(conn, coachee_id, since=None)),
        }


# /mydata

async def test_mydata_sends_them_a_json_file_of_everything_held_about_them_and_no_one_else(
    harness: Harness,
) -> None:
    subject = await walk(harness)
    (reply,) = await subject.say("/mydata")
    assert reply.attachment is not None
    assert reply.attachment.filename == MY_DATA_FILE and reply.attachment.media_type == "application/json"
    assert "everything I keep about you" in reply.text
    data = json.loads(reply.attachment.data)
    assert data["profile"]["name"] == NAME and data["profile"]["coach"] == "Alex Coach"
    assert data["consents"] == {"store_answers": True, "share_with_coach": True}
    assert data["identities"] == [{"transport": "memory", "user_id": USER, "chat_id": USER,
                                   "unreachable_since": None}]
    answers = {(a["flow"], a["question"]): a["text"] for a in data["answers"]}
    assert answers[("pre_session", "goal")] == ANSWERS["goal"]
    assert answers[("checkin", "helped")] == CHECKIN
    assert [e["text"] for e in data["journal"]] == [JOURNAL] and not data["journal"][0]["shared_with_coach"]
    assert [r["value"] for r in data["scale_readings"]] == [4, 6]
    assert [(a["text"], a["status"]) for a in data["actions"]] == [(ACTION, "partly")]
    assert {(e["tier"], e["action"]) for e in data["safety_events"]} == {("stress", "stress_support")}
    # never the rules, never the words
    assert set(data["safety_events"][0]) == {"at", "tier", "action", "said_mistake_at"}
    assert any(STRESS in turn["text"] for c in data["conversations"] for turn in c["recent"])
    assert {m["to"] for m in data["messages"]} == {"you", "your coach"}
    dumped = reply.attachment.data.decode()
    assert OTHER_GOAL not in dumped and "Sam Jones" not in dumped and "u1" not in json.dumps(data["identities"])
    # Sent to them alone: no file ever went to the coach or the other coachee.
    assert [m.key.user for m in harness.transport.sent if m.reply.attachment is not None] == [USER]


# /forget

async def test_forget_asks_first_and_no_keeps_everything(harness: Harness) -> None:
    subject = await walk(harness)
    before = counts(harness, subject.coachee_id)
    confirm = await subject.say("/forget")
    assert "Are you sure" in confirm[-1].text and "can't be undone" in confirm[-1].text
    assert [b.label for b in confirm[-1].buttons] == ["Yes, delete it all", "No, keep it"]
    kept = await subject.press("No, keep it")
    assert "Nothing has been deleted" in kept[0].text
    assert counts(harness, subject.coachee_id) == before
    assert {name for name, _ in holding(harness, WORDS)} >= {"answers", "actions", "outbox"}
    # The old button does nothing now, and a different reply to the question lets it go.
    assert "nothing was deleted" in await subject.texts(payload=button(subject, "Yes, delete it all"))
    await subject.say("/forget")
    assert "There's nothing waiting" in await subject.texts("what's next?")
    assert counts(harness, subject.coachee_id) == before


async def test_the_forget_question_lapses_once_something_else_is_asked(harness: Harness) -> None:
    """A "yes" meant for a nudge or a safety question must never erase anyone."""
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    harness.use_clock(clock)
    await onboard(harness)
    await harness.say("/forget")
    clock.now += harness.app.config.schedule.nudge_after + timedelta(seconds=1)
    assert await harness.app.engine.wake_due() == 1
    await harness.app.outbox.deliver_due()
    assert "has been deleted" not in await harness.texts("yes")
    await harness.say("/forget")
    await harness.say("[check] not sure I can keep doing this")
    await harness.press("No")
    assert "has been deleted" not in await harness.texts("yes")
    with harness.app.db.connect() as conn:
        assert store.get_coachee(conn, harness.coachee_id).name == "Sam Jones"
        assert ("pre_session", "goal", "yes") in [(a.flow, a.question, a.text)
                                                  for a in store.answers_of(conn, harness.coachee_id)]


async def test_forget_confirmed_erases_every_row_of_theirs_and_leaves_only_anonymous_safety_counts(
    harness: Harness,
) -> None:
    subject = await walk(harness)
    other_before = counts(harness, harness.coachee_id)
    theirs, others = receipts(harness, USER), receipts(harness, "u1")
    assert len(theirs) > 20 and len(others) == 6  # every message they sent, linked to its conversation
    await subject.say("/forget")
    done = await subject.texts("yes")
    assert "everything I kept about you has been deleted" in done and "Zebulon" not in done
    assert "One of your coachees has used /forget" in harness.transport.texts_to("c1")[-1]
    assert linked_to(harness, subject.coachee_id) == []
    assert receipts(harness) == others

    # The goodbye went out after the erasure, and its row went once it was delivered.
    assert holding(harness, EVERYTHING) == []
    with harness.app.db.begin() as conn:
        purge_expired(conn, now=harness.app.engine.clock(), retention=timedelta(days=365))
    assert holding(harness, EVERYTHING) == []

    with harness.app.db.connect() as conn:
        events = conn.execute(select(metadata.tables["safety_events"])).mappings().all()
    assert [(e["tier"], e["action"]) for e in events] == [("stress", "stress_support")]
    (event,) = events
    assert event["coachee_id"] is None and event["conversation_id"] is None and event["alert_outbox_id"] is None
    assert (event["at"].hour, event["at"].minute, event["at"].second) == (0, 0, 0)  # the day, not the minute

    # The coach's other coachee is untouched.
    assert counts(harness, harness.coachee_id) == other_before
    assert {table for table, _ in holding(harness, [OTHER_GOAL])} == {"conversations", "answers"}
    assert set(linked_to(harness, harness.coachee_id)) == {"coachees", "identities", "conversations", "answers",
                                                            "outbox"}

    # Writing again, they are a stranger: nothing of theirs came back.
    assert "invite code" in await subject.texts("hello?")
    assert holding(harness, [NAME, *WORDS]) == []


async def test_a_stopped_coachee_can_still_get_their_data_and_erase_it(harness: Harness) -> None:
    subject = await walk(harness)
    await subject.say("/stop")
    await subject.say("yes")
    assert "left the coaching programme" in await subject.texts("hello?")
    (reply,) = await subject.say("/mydata")
    assert reply.attachment is not None and json.loads(reply.attachment.data)["profile"]["status"] == "stopped"
    await subject.say("/forget")
    assert "has been deleted" in await subject.texts(payload=button(subject, "Yes, delete it all"))
    assert linked_to(harness, subject.coachee_id) == []


@pytest.fixture
async def plain_harness(config: Config, screener: MarkerScreener) -> AsyncIterator[Harness]:
    """No encryption at rest, so the words can be looked for in the file's bytes (encrypted, they never are)."""
    h = make_harness(config.model_copy(update={"security": SecurityConfig(generate_key=False)}), screener)
    await h.transport.start(h.app.engine.handle)
    yield h
    h.app.engine.close()
    h.app.db.dispose()


@pytest.mark.sqlite_only
async def test_after_forget_the_sqlite_files_keep_no_readable_copy_of_their_words(plain_harness: Harness) -> None:
    harness = plain_harness
    path = Path(str(make_url(harness.app.config.database.url).database))

    def on_disk() -> bytes:
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    with harness.app.db.connect() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1
    subject = await walk(harness)
    assert ANSWERS["goal"].encode() in on_disk() and JOURNAL.encode() in on_disk()
    await subject.say("/forget")
    await subject.say("yes")
    left = on_disk()
    for words in (*WORDS, NAME):
        assert words.encode() not in left, words
    assert OTHER_GOAL.encode() in left


# retention

@pytest.fixture
async def short_retention(config: Config, screener: MarkerScreener) -> AsyncIterator[Harness]:
    """Retention set to 30 days, to show it is the configured period that counts."""
    h = make_harness(config.model_copy(update={"privacy": PrivacyConfig(retention_after=timedelta(days=30))}),
                     screener)
    await h.transport.start(h.app.engine.handle)
    yield h
    h.app.db.dispose()


async def test_the_daily_job_deletes_free_text_once_a_programme_is_over_by_the_retention_period(
    short_retention: Harness,
) -> None:
    h = short_retention
    clock = Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    h.use_clock(clock)
    subject = await walk(h)
    await h.say("/journal")
    await h.say(OTHER_JOURNAL)
    await h.say("no")
    with h.app.db.begin() as conn:
        last = store.add_session(conn, coachee_id=subject.coachee_id, at=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
                                 timezone="Europe/London", number=None)
        store.update_session(conn, last.id, status="done")
        store.add_session(conn, coachee_id=h.coachee_id, at=datetime(2027, 3, 1, 10, 0, tzinfo=UTC),
                          timezone="Europe/London", number=None)  # the other coachee's programme goes on
    h.app.planner.plan_all()  # as at start-up: the daily retention job is planned with the rest
    before, other_before = counts(h, subject.coachee_id), counts(h, h.coachee_id)

    # 29 days after their last session: nothing goes yet.
    clock.now = datetime(2026, 12, 19, 10, 0, tzinfo=UTC)
    assert await h.app.scheduler.run_due() >= 1  # the coach's Monday caseload is due too
    assert {name for name, _ in holding(h, WORDS)} >= {"answers", "actions", "outbox"}

    clock.now = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)  # past 30 days, and the next daily job is due
    assert await h.app.scheduler.run_due() >= 1
    assert holding(h, WORDS) == []
    with h.app.db.connect() as conn:
        answers = store.answers_of(conn, subject.coachee_id)
        actions = store.actions_of(conn, subject.coachee_id)
        conversation = store.conversation_of(conn, subject.coachee_id)
        coachee = store.get_coachee(conn, subject.coachee_id)
        sessions = store.list_sessions(conn, coachee_id=subject.coachee_id)
        jobs = [j for j in job_store.jobs_of(conn) if j.kind == "retention"]
        other_answers = {a.text for a in store.answers_of(conn, h.coachee_id)}
        other_conversation = store.conversation_of(conn, h.coachee_id)
    # Free text gone; the records without it stay.
    assert counts(h, subject.coachee_id) == before
    assert all(a.text is None for a in answers) and {a.question for a in answers} >= {"goal", "entry", "helped"}
    assert [(a.text, a.status, a.due_on is not None) for a in actions] == [("", "partly", True)]
    assert conversation is not None and conversation.data.recent == () and conversation.data.position is None
    assert coachee.name == NAME and [s.status for s in sessions] == ["done"]
    with h.app.db.connect() as conn:
        assert store.scale_history(conn, subject.coachee_id) and store.safety_events_of(
            conn, subject.coachee_id, since=None)
    # The other coachee keeps everything.
    assert counts(h, h.coachee_id) == other_before
    assert {OTHER_GOAL, OTHER_JOURNAL} <= other_answers
    assert other_conversation is not None and other_conversation.data.recent != ()
    # One job a day: two done, the next one planned for tomorrow at 03:00 London time.
    assert [j.status for j in jobs] == ["done", "done", "pending"]
    assert jobs[-1].due_at == datetime(2026, 12, 22, 3, 0, tzinfo=UTC)


async def test_the_daily_job_deletes_what_is_kept_about_a_stranger_once_they_have_been_quiet_a_while(
    db_url: str, screener: MarkerScreener
) -> None:
    config = Config(database=DatabaseConfig(url=db_url), privacy=PrivacyConfig(strangers_kept_for=timedelta(days=3)),
                    safety=SafetyConfig(alert="coach+safeguarding", safeguarding_contact="2"))
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    clock = Clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    h.use_clock(clock)
    with h.app.db.begin() as conn:
        lead = store.add_coach(conn, name="Safeguarding Lead", at=clock.now)
        store.add_identity(conn, transport="memory", external_id="lead", coach_id=lead.id)
    stranger, words = "tg-5550123", "the Quillfeather ward stockroom at night"
    await h.say(f"{words} [crisis]", user=stranger)
    await h.say("hello?", user=stranger)
    await h.say("hello", user="c1")  # a coach's own conversation is not a stranger's
    assert "Safety alert: someone who is not yet registered (memory user tg-5550123)" in h.transport.texts_to("lead")[0]
    kept = {name for name, _ in holding(h, [stranger])}
    assert {"conversations", "outbox"} <= kept
    h.app.planner.plan_all()

    clock.now = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # two days quiet: kept
    await h.say("hi [crisis]", user="tg-other")  # someone else, still within the time
    assert await h.app.scheduler.run_due() >= 1
    assert {name for name, _ in holding(h, [stranger])} == kept

    clock.now = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)  # past three days quiet, and the next daily job is due
    assert await h.app.scheduler.run_due() >= 1
    assert holding(h, [stranger, words]) == []
    assert receipts(h, stranger) == set()
    assert {name for name, _ in holding(h, ["tg-other"])} >= {"conversations"}  # not quiet long enough yet
    with h.app.db.connect() as conn:
        users = set(conn.execute(select(metadata.tables["conversations"].c.user_id)).scalars())
        events = [dict(e) for e in conn.execute(select(metadata.tables["safety_events"])).mappings()]
    assert users == {"c1", "tg-other"}
    # Their safety event stays, as an anonymous count on the day.
    (theirs,) = [e for e in events if e["conversation_id"] is None]
    assert (theirs["tier"], theirs["action"], theirs["alert_outbox_id"]) == ("crisis", "stranger_signposted", None)
    assert (theirs["at"].hour, theirs["at"].minute) == (0, 0)
    # Writing again, they start afresh and are still signposted.
    assert "not a crisis service" in await h.texts("help [crisis]", user=stranger)
    h.app.engine.close()
    h.app.db.dispose()
