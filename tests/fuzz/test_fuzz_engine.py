"""Fuzzing the engine: anything a person (or a broken client) can send, from any point in a conversation.

Two coachees of one coach per example, each set up fresh at a drawn point (mid-onboarding, at a scale with
buttons, at the review, paused, asked to confirm leaving, asked the safety check...). Coachee A then sends a
drawn run of messages: any Unicode with control characters, empty and whitespace-only text, texts up to
100 KB, malformed button payloads, payloads naming real flows and states with odd values, B's own current
button payloads, and redeliveries of A's earlier messages. Throughout, on the real engine and a real SQLite
file: handle() never raises, every new message gets at least one non-empty reply, a redelivery gets none and
leaves no second receipt, answers are stored under A alone and never longer than the cap, and B's
conversation, answers and outbox are exactly as they were.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, select

from bot.config import Config
from bot.storage import schema as t
from bot.storage import store
from bot.storage.records import Conversation
from bot.types import ConversationKey, InboundMessage, Reply
from flows.parsing import MAX_ANSWER_CHARS
from flows.registry import FlowRegistry
from tests.conftest import Harness, MarkerScreener, make_harness

REGISTRY = FlowRegistry.load()
FLOW_STATES = [(flow, state.name) for flow in REGISTRY.names() for state in REGISTRY.spec(flow).states]
ONBOARD = ("hello", "yes", "yes", "yes", "London")
TO_SCALING = (*ONBOARD, "Chair meetings calmly", "It matters now", "A plan", "I'll feel calmer", "Calm rooms",
              "Some time", "No, it's worth it")
SETUPS: dict[str, tuple[str, ...]] = {
    "new": (),
    "welcome": ("hello",),
    "consent": ("hello", "yes"),
    "goal": ONBOARD,
    "scaling": TO_SCALING,
    "review": (*TO_SCALING, "7", "skip", "skip", "skip", "skip"),
    "journal": (*ONBOARD, "journal"),
    "paused": (*ONBOARD, "pause"),
    "stop": (*ONBOARD, "stop"),
    "check": (*ONBOARD, "[check] a rough week"),
    "declined": ("hello", "yes", "no"),
    "stopped": (*ONBOARD, "stop", "yes"),
    "forget": (*ONBOARD, "forget"),
}
# Where the setup leaves a question with buttons, and a word of what the last reply says.
WITH_BUTTONS = {"welcome": "Shall we start?", "consent": "keep your answers", "scaling": "scale of 1 to 10",
                "review": "send this to", "stop": "leave", "check": "?", "forget": "delete"}

_people = itertools.count(1)
FORMAT = logging.Formatter()


# what A sends

def _repeat(pair: tuple[str, int]) -> str:
    piece, size = pair
    return (piece * (size // len(piece) + 1))[:size]


ODD_CHARS = st.characters(categories=("Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Co", "Cn"))
ANY_TEXT = st.one_of(
    st.text(max_size=300),  # every category but surrogates, control characters included
    st.text(alphabet=ODD_CHARS, max_size=40),
    st.sampled_from(["", " ", "\n", "\t\r\n", "\x00", "\u200b", "\ufeff", "\u202e", "/", "//", "/ ", "@", "🙂",
                     "yes", "no", "7", "0", "11", "skip", "back", "pause", "resume", "stop", "journal", "help",
                     "privacy", "checkins", "not now", "send", "change", "private", "summary", "join", "/start",
                     "mydata", "/mydata", "forget", "/forget"]),
    st.builds(lambda word, tail: word + tail,
              st.sampled_from(["/start ", "/checkins ", "checkins ", "/skip", "/back", "/stop", "/resume", "/help@",
                               "/digest ", "/schedule ", "/invite", "join ", "/", "yes ", "no "]),
              st.text(max_size=30)),
    st.builds(lambda text, marker: text + marker, st.text(max_size=30),
              st.sampled_from(["[check]", "[stress]", "[crisis]", "[emergency]"])),
)
LONG_TEXT = st.tuples(st.text(min_size=1, max_size=12), st.integers(min_value=4_000, max_value=100_000)).map(_repeat)
TEXT = st.one_of(ANY_TEXT, LONG_TEXT)
VALUE = st.one_of(
    st.text(max_size=60),
    st.sampled_from([":", "::", "yes:no", "1", "10", "0", "-1", "11", "1e3", "７", "summary", "send", "change",
                     "private", "goal", "goal.1", "scaling", "yes", "no", "Europe/London", "Mars/Base"]),
    LONG_TEXT,
)
RAW_PAYLOAD = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["", ":", "::", ":::", "a:b", "onboarding", "onboarding:", "onboarding:welcome",
                     "onboarding::yes", ":welcome:yes", "safety:check:", "safety:check:maybe", "confirm:stop:",
                     "confirm:stop:no", "safety:check:no", "nope:nope:nope", "confirm:forget:", "confirm:forget:no",
                     "confirm:forget:maybe", "confirm:forget:yes"]),
    LONG_TEXT,
)
STEP: st.SearchStrategy[tuple[Any, ...]] = st.one_of(
    st.tuples(st.just("text"), TEXT),
    st.tuples(st.just("payload"), RAW_PAYLOAD),
    st.tuples(st.just("flow_payload"), st.sampled_from(FLOW_STATES), VALUE),
    st.tuples(st.just("b_button"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("b_state"), VALUE),
    st.tuples(st.just("a_button"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("a_state"), VALUE),
    st.tuples(st.just("both"), ANY_TEXT, RAW_PAYLOAD),
    st.tuples(st.just("unsupported"), st.sampled_from(["photo", "sticker", "edited", "file", "voice"]),
              st.one_of(st.none(), ANY_TEXT)),
    st.tuples(st.just("again"), st.integers(min_value=0, max_value=20)),
)


@dataclass
class Person:
    user: str
    coachee_id: int

    @property
    def key(self) -> ConversationKey:
        return ConversationKey(transport="memory", user=self.user, chat=self.user)


class Rig:
    """One app and database shared by every example of a test (not a dataclass, so that Hypothesis shows a
    failing example without printing the whole app)."""

    def __init__(self, h: Harness, caplog: pytest.LogCaptureFixture) -> None:
        self.h, self.caplog = h, caplog
        self.sent: dict[str, list[InboundMessage]] = {}  # by user: every message handed over, for redeliveries
        self.others: dict[str, Person] = {}  # A's B and B's A

    def __repr__(self) -> str:
        return "Rig(one app and database for every example)"

    async def add(self, name: str, setup: str) -> Person:
        with self.h.app.db.begin() as conn:
            user = f"{name[0].lower()}{next(_people)}"
            coachee = store.add_coachee(conn, coach_id=self.h.coach_id, name=name, at=self.h.app.engine.clock())
            store.add_identity(conn, transport="memory", external_id=user, coachee_id=coachee.id, chat_id=user)
        person = Person(user=user, coachee_id=coachee.id)
        for text in SETUPS[setup]:
            assert await self.h.say(text, user=user)
        return person

    def conversation(self, person: Person) -> Conversation | None:
        with self.h.app.db.connect() as conn:
            return store.load_conversation(conn, person.key)

    def buttons(self, person: Person) -> list[str]:
        for reply in reversed(self.h.transport.replies_to(person.user)):
            if reply.buttons:
                return [b.payload for b in reply.buttons]
        return []

    def receipts(self) -> int:
        with self.h.app.db.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.inbound_receipts)).scalar_one())

    def last_id(self, table: Table) -> int:
        with self.h.app.db.connect() as conn:
            return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())

    def snapshot(self, person: Person) -> dict[str, object]:
        """Everything of one coachee's that another person's messages must never change."""
        with self.h.app.db.connect() as conn:
            return {
                "conversation": store.load_conversation(conn, person.key),
                "coachee": store.get_coachee(conn, person.coachee_id),
                "answers": store.answers_of(conn, person.coachee_id),
                "actions": store.actions_of(conn, person.coachee_id),
                "scales": store.scale_history(conn, person.coachee_id),
                "safety": store.safety_events_of(conn, person.coachee_id, since=None),
                "outbox": [(r.id, r.payload) for r in conn.execute(
                    select(t.outbox).where(t.outbox.c.user_id == person.user))],
                "sent": self.h.transport.replies_to(person.user),
            }

    def message(self, person: Person, step: tuple[Any, ...]) -> InboundMessage:
        """The message a drawn step stands for, resolved against where A and B are now."""
        kind, *args = step
        previous = self.sent.setdefault(person.user, [])
        transport = self.h.transport
        if kind == "again":
            if previous:
                return previous[args[0] % len(previous)]
            kind, args = "text", ["hello"]
        if kind == "text":
            return transport.message(person.user, args[0])
        if kind == "both":
            return transport.message(person.user, args[0], payload=args[1])
        if kind == "unsupported":
            return InboundMessage(key=person.key, message_id=f"u{next(_people)}", text=args[1],
                                  received_at=datetime.now(UTC), unsupported=args[0])
        return transport.message(person.user, payload=self._payload(person, kind, args))

    def _payload(self, person: Person, kind: str, args: list[Any]) -> str:
        other = self.other(person)
        if kind == "payload":
            return str(args[0])
        if kind == "flow_payload":
            (flow, state), value = args
            return f"{flow}:{state}:{value}"
        if kind in ("b_button", "a_button"):
            whose = other if kind == "b_button" else person
            buttons = self.buttons(whose)
            if buttons:
                return buttons[args[0] % len(buttons)]
            kind, args = kind[0] + "_state", ["yes"]
        whose = other if kind == "b_state" else person
        conversation = self.conversation(whose)
        position = conversation.data.position if conversation else None
        where = f"{position.flow}:{position.state}" if position else "pre_session:goal"
        return f"{where}:{args[0]}"

    def other(self, person: Person) -> Person:
        return self.others[person.user]

    def exists(self, person: Person) -> bool:
        with self.h.app.db.connect() as conn:
            return conn.execute(select(t.coachees.c.id).where(t.coachees.c.id == person.coachee_id)).first() is not None

    async def send(self, person: Person, msg: InboundMessage) -> list[Reply]:
        """Hand one message to the engine and check what every message must get; returns the new replies."""
        redelivery = msg in self.sent.setdefault(person.user, [])
        receipts, conversation, existed = self.receipts(), self.conversation(person), self.exists(person)
        logged = len(self.caplog.records)
        before = len(self.h.transport.replies_to(person.user))

        await self.h.transport.receive(msg)  # raises if the engine does
        await self.h.app.outbox.deliver_due()

        replies = self.h.transport.replies_to(person.user)[before:]
        if redelivery:
            assert replies == []
            assert self.receipts() == receipts
            assert self.conversation(person) == conversation
        elif existed and not self.exists(person):
            # /forget confirmed: their receipts went with the rest of their data, so nothing before it is a
            # redelivery any more.
            assert replies
            self.sent[person.user] = []
        else:
            self.sent[person.user].append(msg)
            assert replies, f"no reply to {msg!r}"[:500]
            assert self.receipts() == receipts + 1
        assert all(r.text.strip() for r in replies)
        assert all(b.label.strip() and b.payload for r in replies for b in r.buttons)
        for text in (msg.text, msg.payload):
            if text is not None and len(text.strip()) >= 16:
                leaked = [r for r in self.caplog.records[logged:] if r.levelno >= logging.INFO and
                          text.strip() in r.getMessage() + (FORMAT.formatException(r.exc_info) if r.exc_info else "")]
                assert leaked == [], "message text logged at INFO or above"
        return replies


@pytest.fixture
async def rig(config: Config, screener: MarkerScreener, caplog: pytest.LogCaptureFixture) -> AsyncIterator[Rig]:
    """One app and database for every example of a test; each example adds its own people."""
    caplog.set_level(logging.INFO)
    h = make_harness(config, screener)
    await h.transport.start(h.app.engine.handle)
    yield Rig(h=h, caplog=caplog)
    h.app.db.dispose()


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@pytest.mark.parametrize("setup", sorted(SETUPS))
async def test_each_setup_reaches_the_point_the_fuzz_starts_from(rig: Rig, setup: str) -> None:
    person = await rig.add("Ann Able", setup)
    conversation = rig.conversation(person)
    if setup == "new":
        assert conversation is None
        return
    assert conversation is not None
    last = rig.h.transport.replies_to(person.user)[-1]
    if setup in WITH_BUTTONS:
        assert last.buttons and WITH_BUTTONS[setup] in last.text
    expected = {"welcome": ("onboarding", "welcome"), "consent": ("onboarding", "consent_store"),
                "goal": ("pre_session", "goal"), "scaling": ("pre_session", "scaling"),
                "review": ("pre_session", "review"), "journal": ("journal", None)}
    position = conversation.data.position
    if setup in expected:
        flow, state = expected[setup]
        assert position is not None and position.flow == flow and state in (None, position.state)
    assert (conversation.data.paused is not None) == (setup in ("paused", "check"))
    assert conversation.data.confirm == {"stop": "stop", "forget": "forget"}.get(setup)
    assert conversation.data.pending_check == (setup == "check")


TWO_COACHEES = given(setup_a=st.sampled_from(sorted(SETUPS)),
                     setup_b=st.sampled_from([*sorted(WITH_BUTTONS), "goal"]),
                     steps=st.lists(STEP, min_size=1, max_size=8))


@FUZZ
@TWO_COACHEES
async def test_anything_a_coachee_sends_gets_a_reply_and_touches_only_their_own_conversation(
    rig: Rig, setup_a: str, setup_b: str, steps: list[tuple[Any, ...]]
) -> None:
    await two_coachees(rig, setup_a, setup_b, steps)


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
@settings(FUZZ, max_examples=25)
@TWO_COACHEES
async def test_the_same_on_postgresql(rig: Rig, setup_a: str, setup_b: str, steps: list[tuple[Any, ...]]) -> None:
    """PostgreSQL refuses what SQLite takes (NUL characters, over-long strings): the same promises hold there."""
    await two_coachees(rig, setup_a, setup_b, steps)


async def two_coachees(rig: Rig, setup_a: str, setup_b: str, steps: list[tuple[Any, ...]]) -> None:
    a = await rig.add("Ann Able", setup_a)
    b = await rig.add("Ben Bright", setup_b)
    rig.others.update({a.user: b, b.user: a})
    untouched = rig.snapshot(b)
    first_row, first_answer = rig.last_id(t.outbox), rig.last_id(t.answers)

    for step in steps:
        await rig.send(a, rig.message(a, step))

    assert rig.snapshot(b) == untouched
    with rig.h.app.db.connect() as conn:
        rows = conn.execute(select(t.outbox).where(t.outbox.c.id > first_row)).mappings().all()
        answers = conn.execute(select(t.answers.c.coachee_id, t.answers.c.flow, t.answers.c.text)
                               .where(t.answers.c.id > first_answer)).all()
        coach_users = {i.external_id for i in store.identities_of(conn, coach_id=rig.h.coach_id)}
    # Replies go to A; only a safety alert or notice goes anywhere else, and then only to A's coach. Once A
    # has erased their data (/forget), what is still written for them belongs to no one's record.
    erased = not rig.exists(a)
    for row in rows:
        assert (row["user_id"] == a.user and row["chat_id"] == a.user) or (
            row["user_id"] in coach_users and row["kind"] in ("alert", "notice")), dict(row)
        assert row["coachee_id"] == a.coachee_id or (erased and row["coachee_id"] is None)
    for coachee_id, flow, text in answers:
        assert coachee_id == a.coachee_id
        assert flow in REGISTRY.names()
        assert text is None or len(text) <= MAX_ANSWER_CHARS
    conversation = rig.conversation(a)
    if conversation is not None:
        for position in (conversation.data.position, conversation.data.paused, conversation.data.interrupted):
            if position is not None:
                assert (position.flow, position.state) in FLOW_STATES


# Not from "forget": the receipt of the message that erases someone's data goes with it, so a redelivery of
# that one message is handled anew (as from a stranger).
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(setup=st.sampled_from(sorted(set(SETUPS) - {"forget"})), step=STEP.filter(lambda s: s[0] != "again"),
       copies=st.integers(min_value=2, max_value=5), together=st.booleans())
async def test_a_message_delivered_several_times_is_handled_once(
    rig: Rig, setup: str, step: tuple[Any, ...], copies: int, together: bool
) -> None:
    a = await rig.add("Ann Able", setup)
    b = await rig.add("Ben Bright", "scaling")
    rig.others.update({a.user: b, b.user: a})
    msg = rig.message(a, step)
    receipts, before = rig.receipts(), rig.conversation(a)
    replies_before = len(rig.h.transport.replies_to(a.user))

    if together:
        # The platform retries while the first delivery is still being handled.
        await asyncio.gather(*(rig.h.transport.receive(msg) for _ in range(copies)))
    else:
        for _ in range(copies):
            await rig.h.transport.receive(msg)
    await rig.h.app.outbox.deliver_due()

    assert rig.receipts() == receipts + 1
    after = rig.conversation(a)
    assert after is not None
    assert after.version == (before.version + 1 if before else 2)  # saved by exactly one turn
    replies = rig.h.transport.replies_to(a.user)[replies_before:]
    assert replies
    # One more delivery later on changes nothing either.
    await rig.h.transport.receive(msg)
    await rig.h.app.outbox.deliver_due()
    assert rig.h.transport.replies_to(a.user)[replies_before:] == replies
    assert rig.conversation(a) == after


COACH_WORDS = st.sampled_from(["/coachees", "/digest", "/resume", "/schedule", "/invite", "/help", "digest ",
                               "resume ", "schedule ", "coachees", "/start", "/stop", "hello", ""])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.tuples(COACH_WORDS, st.one_of(ANY_TEXT, st.sampled_from(
    ["Ann", "Ben", "Ann Able", "Ben Bright tomorrow 9am", "Ann next monday 25:00", "1", "0", "-1", "9" * 30]))),
    min_size=1, max_size=5))
async def test_whatever_a_coach_types_gets_a_reply_and_leaves_coachee_conversations_alone(
    rig: Rig, words: list[tuple[str, str]]
) -> None:
    a = await rig.add("Ann Able", "scaling")
    b = await rig.add("Ben Bright", "review")
    rig.others.update({a.user: b, b.user: a})
    untouched = {p.user: {k: v for k, v in rig.snapshot(p).items() if k not in ("outbox", "sent")} for p in (a, b)}
    coach = Person(user=rig.h.coach_user, coachee_id=0)

    for word, rest in words:
        await rig.send(coach, rig.h.transport.message(coach.user, word + rest))

    assert {p.user: {k: v for k, v in rig.snapshot(p).items() if k not in ("outbox", "sent")}
            for p in (a, b)} == untouched


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(TEXT, min_size=1, max_size=4))
async def test_a_stranger_gets_a_reply_to_anything_and_joins_nobody(rig: Rig, texts: list[str]) -> None:
    stranger = Person(user=f"s{next(_people)}", coachee_id=0)
    with rig.h.app.db.connect() as conn:
        coachees = store.list_coachees(conn)

    for text in texts:
        await rig.send(stranger, rig.h.transport.message(stranger.user, text))

    with rig.h.app.db.connect() as conn:
        assert store.list_coachees(conn) == coachees
        assert store.find_identity(conn, transport="memory", external_id=stranger.user) is None
