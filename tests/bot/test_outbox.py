"""The outbox sender: in order per chat, alerts first, retries with backoff, dead letters kept."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.outbox import OutboxSender, backoff
from bot.ratelimit import RateLimits
from bot.storage import schema as t
from bot.storage import store
from bot.transports.base import DeliveryError
from bot.transports.memory import MemoryTransport
from bot.types import ConversationKey, Outbound, Reply
from tests.bot.test_ratelimit import most_in_any_window
from tests.conftest import Harness

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class Clock:
    """One hand-moved time for the sender's rows and its pacing; `sleep` moves it, so nothing really waits."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return (self.now - START).total_seconds()

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(microseconds=math.ceil(seconds * 1e6))


def _queue(h: Harness, chat: str, texts: list[str], *, at: datetime, priority: int = 0) -> None:
    with h.app.db.begin() as conn:
        store.add_outbox(conn, to=ConversationKey(transport="memory", user=chat, chat=chat),
                         replies=[Reply(text=x) for x in texts], kind="reply", at=at, coachee_id=None,
                         priority=priority)


def _statuses(h: Harness) -> list[tuple[str, int]]:
    with h.app.db.connect() as conn:
        return [(r.status, r.attempts) for r in conn.execute(select(t.outbox).order_by(t.outbox.c.id))]


async def test_delivers_in_order_per_chat_and_alerts_first(harness: Harness) -> None:
    clock = Clock()
    transport = MemoryTransport()
    sender = OutboxSender(db=harness.app.db, transports={"memory": transport}, clock=clock)
    _queue(harness, "a", ["a1", "a2"], at=clock.now)
    _queue(harness, "b", ["b1"], at=clock.now)
    _queue(harness, "coach", ["ALERT"], at=clock.now, priority=100)
    assert await sender.deliver_due() == 4
    assert [m.reply.text for m in transport.sent] == ["ALERT", "a1", "a2", "b1"]


async def test_a_failure_holds_back_that_chat_only_and_retries_after_backoff(harness: Harness) -> None:
    clock = Clock()
    transport = MemoryTransport()
    sender = OutboxSender(db=harness.app.db, transports={"memory": transport}, clock=clock)
    _queue(harness, "a", ["a1", "a2"], at=clock.now)
    _queue(harness, "b", ["b1"], at=clock.now)
    transport.fail_next(DeliveryError("502 from platform"))
    assert await sender.deliver_due() == 1
    assert [m.reply.text for m in transport.sent] == ["b1"]
    assert await sender.deliver_due() == 0  # not due yet: backing off
    clock.now += backoff(1)
    assert await sender.deliver_due() == 2
    assert [m.reply.text for m in transport.sent] == ["b1", "a1", "a2"]


async def test_retry_after_is_honoured(harness: Harness) -> None:
    clock = Clock()
    transport = MemoryTransport()
    sender = OutboxSender(db=harness.app.db, transports={"memory": transport}, clock=clock)
    _queue(harness, "a", ["a1"], at=clock.now)
    transport.fail_next(DeliveryError("429", retry_after=30))
    await sender.deliver_due()
    clock.now += timedelta(seconds=29)
    assert await sender.deliver_due() == 0
    clock.now += timedelta(seconds=1)
    assert await sender.deliver_due() == 1


async def test_a_platform_that_keeps_refusing_leaves_exactly_one_dead_letter(harness: Harness) -> None:
    clock = Clock()
    transport = MemoryTransport()
    sender = OutboxSender(db=harness.app.db, transports={"memory": transport}, clock=clock, max_attempts=3)
    _queue(harness, "a", ["a1"], at=clock.now)
    transport.fail_next(*(DeliveryError("500") for _ in range(3)))
    for _ in range(4):
        await sender.deliver_due()
        clock.now += timedelta(hours=1)
    assert _statuses(harness) == [("dead", 3)]
    assert transport.sent == []
    with harness.app.db.connect() as conn:
        assert [r.id for r in store.outbox_rows(conn, statuses=["dead"])] == [1]


async def test_a_message_for_nobody_is_dead_lettered_not_dropped(harness: Harness) -> None:
    clock = Clock()
    sender = OutboxSender(db=harness.app.db, transports={}, clock=clock)
    with harness.app.db.begin() as conn:
        store.add_outbox(conn, to=ConversationKey(transport="unrouted", user="coach-9", chat="coach-9"),
                         replies=[Reply(text="alert")], kind="alert", at=clock.now, coachee_id=None)
    await sender.deliver_due()
    assert _statuses(harness) == [("dead", 1)]


async def test_a_coachee_who_blocked_the_bot_is_marked_unreachable_and_their_coach_told_once(
    harness: Harness,
) -> None:
    with harness.app.db.begin() as conn:
        store.add_outbox(conn, to=ConversationKey(transport="memory", user="u1", chat="u1"),
                         replies=[Reply(text="q1"), Reply(text="q2")], kind="reply", at=harness.app.engine.clock(),
                         coachee_id=harness.coachee_id)
    blocked = DeliveryError("Forbidden: bot was blocked by the user", unreachable=True)
    harness.transport.fail_next(blocked)
    await harness.app.outbox.deliver_due()
    await harness.app.outbox.deliver_due()
    with harness.app.db.connect() as conn:
        identity = conn.execute(select(t.identities.c.unreachable_at).where(
            t.identities.c.external_id == "u1")).scalar_one()
    assert identity is not None
    # Not retried, and what was queued for them is set aside too, visible as dead letters.
    assert _statuses(harness)[:2] == [("dead", 1), ("dead", 0)]
    coach_texts = harness.transport.texts_to("c1")
    assert len(coach_texts) == 1 and "Sam Jones" in coach_texts[0] and "blocked" in coach_texts[0]
    with harness.app.db.begin() as conn:
        store.add_outbox(conn, to=ConversationKey(transport="memory", user="u1", chat="u1"),
                         replies=[Reply(text="a check-in")], kind="prompt", at=harness.app.engine.clock(),
                         coachee_id=harness.coachee_id)
    harness.transport.fail_next(blocked)
    await harness.app.outbox.deliver_due()
    await harness.app.outbox.deliver_due()
    assert len(harness.transport.texts_to("c1")) == 1  # told once, not once per message

    await harness.say("hello again")  # writing again means they can be reached
    with harness.app.db.connect() as conn:
        assert conn.execute(select(t.identities.c.unreachable_at).where(
            t.identities.c.external_id == "u1")).scalar_one() is None


class Platform(MemoryTransport):
    """A platform as the sender meets it: it notes when each message was tried, and refuses as scripted."""

    def __init__(self, clock: Clock, limits: RateLimits, *,
                 refuse: Callable[[str, int], DeliveryError | None] = lambda text, tries: None) -> None:
        super().__init__(limits=limits)
        self.clock = clock
        self.refuse = refuse
        self.tries: dict[str, list[float]] = {}
        self.delivered: list[tuple[float, str, str]] = []  # (when, chat, text)

    async def send(self, message: Outbound) -> str | None:
        text = message.reply.text
        tries = self.tries.setdefault(text, [])
        tries.append(self.clock.seconds())
        error = self.refuse(text, len(tries))
        if error is not None:
            raise error
        self.delivered.append((self.clock.seconds(), message.key.chat, text))
        return await super().send(message)

    def texts(self, chat: str) -> list[str]:
        return [text for _, to, text in self.delivered if to == chat]

    def times(self, chat: str | None = None) -> list[float]:
        return [at for at, to, _ in self.delivered if chat in (None, to)]


def _sender(h: Harness, platform: Platform, **options: int) -> OutboxSender:
    clock = platform.clock
    return OutboxSender(db=h.app.db, transports={"memory": platform}, clock=clock, pace_clock=clock.seconds,
                        **options)


async def test_a_chat_gets_at_most_one_message_a_second_in_order(harness: Harness) -> None:
    clock = Clock()
    platform = Platform(clock, RateLimits(per_chat_interval=1.0))
    sender = _sender(harness, platform)
    _queue(harness, "a", [f"a{n}" for n in range(1, 6)], at=clock.now)
    first = await sender.deliver_now()
    assert first.delivered == 1 and first.wait is not None and first.wait >= 1.0  # told when, without sleeping
    assert clock.now == START
    assert await sender.drain(sleep=clock.sleep) == 4
    assert platform.texts("a") == ["a1", "a2", "a3", "a4", "a5"]
    times = platform.times("a")
    assert min(b - a for a, b in itertools.pairwise(times)) >= 1.0


async def test_chats_interleave_instead_of_waiting_for_each_other(harness: Harness) -> None:
    clock = Clock()
    platform = Platform(clock, RateLimits(per_chat_interval=1.0))
    sender = _sender(harness, platform)
    for chat in ("a", "b", "c"):
        _queue(harness, chat, [f"{chat}1", f"{chat}2", f"{chat}3"], at=clock.now)
    assert await sender.deliver_due() == 3
    assert [text for _, _, text in platform.delivered] == ["a1", "b1", "c1"]
    await sender.drain(sleep=clock.sleep)
    for chat in ("a", "b", "c"):
        assert platform.texts(chat) == [f"{chat}1", f"{chat}2", f"{chat}3"]
    assert platform.times()[-1] < 2.5  # three rounds of one-second gaps, side by side rather than nine in a row


async def test_one_busy_chat_cannot_fill_the_batch(harness: Harness) -> None:
    clock = Clock()
    platform = Platform(clock, RateLimits(per_chat_interval=1.0))
    sender = _sender(harness, platform, batch=5, per_chat=2)
    _queue(harness, "busy", [f"busy{n}" for n in range(20)], at=clock.now)
    _queue(harness, "quiet", ["hello"], at=clock.now)
    assert await sender.deliver_due() == 2
    assert platform.texts("quiet") == ["hello"]


async def test_an_overall_cap_is_paced_evenly_and_nearly_reached(harness: Harness) -> None:
    clock = Clock()
    platform = Platform(clock, RateLimits(per_second_overall=30, per_chat_interval=1.0))
    sender = _sender(harness, platform)
    for n in range(300):
        _queue(harness, f"chat-{n}", ["hi"], at=clock.now)
    assert await sender.drain(sleep=clock.sleep) == 300
    times = platform.times()
    assert most_in_any_window(times) <= 30
    assert (len(times) - 1) / (times[-1] - times[0]) >= 0.95 * 30


async def test_alerts_go_first_while_sends_are_paced(harness: Harness) -> None:
    clock = Clock()
    platform = Platform(clock, RateLimits(per_second_overall=1))
    sender = _sender(harness, platform)
    _queue(harness, "a", ["a1"], at=clock.now)
    _queue(harness, "b", ["b1"], at=clock.now)
    _queue(harness, "coach", ["ALERT 1"], at=clock.now, priority=100)
    assert await sender.deliver_due() == 1
    _queue(harness, "coach-2", ["ALERT 2"], at=clock.now, priority=100)  # written while a1 and b1 wait their turn
    await sender.drain(sleep=clock.sleep)
    assert [text for _, _, text in platform.delivered] == ["ALERT 1", "ALERT 2", "a1", "b1"]


async def test_under_429s_and_5xx_all_is_delivered_in_order_with_one_dead_letter(harness: Harness) -> None:
    clock = Clock()
    script: dict[str, list[DeliveryError]] = {
        "a1": [DeliveryError("429", retry_after=7), DeliveryError("503")],
        "a3": [DeliveryError("503"), DeliveryError("502"), DeliveryError("429", retry_after=3)],
        "b2": [DeliveryError("429", retry_after=20)],
        "c1": [DeliveryError("503")],
    }

    def refuse(text: str, tries: int) -> DeliveryError | None:
        if text == "stuck":
            return DeliveryError("500: the platform keeps refusing this one")
        errors = script.get(text, [])
        return errors[tries - 1] if tries <= len(errors) else None

    platform = Platform(clock, RateLimits(per_second_overall=30, per_chat_interval=1.0), refuse=refuse)
    sender = _sender(harness, platform, max_attempts=4)
    _queue(harness, "a", ["a1", "a2", "a3", "a4"], at=clock.now)
    _queue(harness, "b", ["b1", "b2", "b3"], at=clock.now)
    _queue(harness, "c", ["c1", "stuck", "c3"], at=clock.now)
    await sender.drain(sleep=clock.sleep)

    assert platform.texts("a") == ["a1", "a2", "a3", "a4"]
    assert platform.texts("b") == ["b1", "b2", "b3"]
    assert platform.texts("c") == ["c1", "c3"]
    with harness.app.db.connect() as conn:
        (dead,) = store.outbox_rows(conn, statuses=["dead"])
        assert store.outbox_rows(conn, statuses=["pending"]) == []
    assert dead.attempts == 4 and "stuck" in dead.payload
    assert len(platform.tries["stuck"]) == 4
    # Each retry waited as long as it was told to, or backed off.
    assert platform.tries["a1"][1] - platform.tries["a1"][0] >= 7
    assert platform.tries["a1"][2] - platform.tries["a1"][1] >= backoff(2).total_seconds()
    assert platform.tries["b2"][1] - platform.tries["b2"][0] >= 20


@pytest.mark.parametrize("holds_all", [True, False], ids=["whole-platform", "that-chat"])
async def test_a_retry_after_pauses_every_chat_only_where_the_platform_says_so(
    harness: Harness, holds_all: bool
) -> None:
    clock = Clock()
    refusals = {"a1": DeliveryError("429: flood control", retry_after=10)}
    limits = RateLimits(per_second_overall=30, retry_after_holds_all=holds_all)
    platform = Platform(clock, limits, refuse=lambda text, tries: refusals.pop(text, None))
    sender = _sender(harness, platform)
    _queue(harness, "a", ["a1"], at=clock.now)
    _queue(harness, "b", ["b1"], at=clock.now)
    await sender.drain(sleep=clock.sleep)
    assert platform.texts("a") == ["a1"] and platform.times("a")[0] >= 10
    b_sent = platform.times("b")[0]
    assert b_sent >= 10 if holds_all else b_sent < 1


async def test_run_wakes_when_the_limits_allow_not_only_when_idle(harness: Harness) -> None:
    platform = MemoryTransport(limits=RateLimits(per_chat_interval=0.02))
    sender = OutboxSender(db=harness.app.db, transports={"memory": platform}, clock=Clock())
    _queue(harness, "a", ["a1", "a2", "a3"], at=START)
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop, idle_wait=3600))
    try:
        async with asyncio.timeout(30):  # bounds a hang; an idle wait of an hour would end up here
            while len(platform.sent) < 3:
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await running
    assert platform.texts_to("a") == ["a1", "a2", "a3"]
