"""The outbox sender: in order per chat, alerts first, retries with backoff, dead letters kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.outbox import OutboxSender, backoff
from bot.storage import schema as t
from bot.storage import store
from bot.transports.base import DeliveryError
from bot.transports.memory import MemoryTransport
from bot.types import ConversationKey, Reply
from tests.conftest import Harness


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


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
