"""Per-sender inbound limits: a burst, then a steady rate. Over it a message is still screened, recorded and,
if it shows any risk, acted on; the rest are not taken as answers, the sender is told once, and the replies
waiting for one chat stay few."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Config, LimitsConfig
from bot.inbound_limit import take
from bot.storage import outbox as outbox_rows
from bot.storage import schema as t
from bot.storage import store
from tests.conftest import Clock, Harness, MarkerScreener, make_harness, onboard

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LIMITS = LimitsConfig(inbound_burst=3, inbound_per_minute=6)


def test_a_burst_then_the_steady_rate() -> None:
    left, since, allowed = None, None, []
    for second in (0, 0, 0, 0, 5, 10, 10, 60):
        ok, left = take(left, since, now=NOW + timedelta(seconds=second), limits=LIMITS)
        since = NOW + timedelta(seconds=second)
        allowed.append(ok)
    # Three at once, the fourth refused; one more every ten seconds; a quiet minute refills the burst.
    assert allowed == [True, True, True, False, False, True, False, True]
    ok, left = take(left, since, now=NOW + timedelta(seconds=600), limits=LIMITS)
    assert ok and left == 2.0, "never more than one burst saved up"


@pytest.fixture
async def harness(config: Config, screener: MarkerScreener) -> AsyncIterator[Harness]:
    """The default limits, as a deployment has them."""
    h = make_harness(config.model_copy(update={"limits": LimitsConfig()}), screener)
    await h.transport.start(h.app.engine.handle)
    yield h
    h.app.engine.close()
    h.app.db.dispose()


async def test_a_flood_from_one_coachee_is_recorded_screened_and_answered_in_proportion(harness: Harness) -> None:
    assert harness.app.config.limits == LimitsConfig()
    clock = Clock(NOW)
    harness.use_clock(clock)
    await onboard(harness)
    await harness.app.outbox.deliver_due()
    before = len(harness.transport.texts_to("u1"))
    with harness.app.db.connect() as conn:
        answers_before = len(store.answers_of(conn, harness.coachee_id))

    def pending_for_sam() -> int:
        with harness.app.db.connect() as conn:
            return len([r for r in outbox_rows.due_rows(conn, transport="memory", per_chat=5000, batch=5000)
                        if r.chat_id == "u1" and r.kind == "reply"])

    # 1,000 messages in the same second, as a script would send them; one late in the flood is a crisis.
    most = 0
    for n in range(1000):
        text = "I can't go on like this [crisis]" if n == 700 else f"answer {n}"
        await harness.transport.receive(harness.transport.message("u1", text, message_id=f"flood-{n}"))
        if n % 10 == 0 or n <= 60:
            most = max(most, pending_for_sam())
    assert most <= 20 + 1, "the replies waiting for one chat stay capped (plus the one to the crisis)"
    with harness.app.db.connect() as conn:
        receipts = conn.execute(select(func.count()).select_from(t.inbound_receipts)
                                .where(t.inbound_receipts.c.message_id.like("flood-%"))).scalar_one()
        answers = len(store.answers_of(conn, harness.coachee_id)) - answers_before
        coachee = store.get_coachee(conn, harness.coachee_id)
    assert receipts == 1000, "every message recorded, none dropped unseen"
    assert answers <= 40, "only the burst was taken as answers"
    assert coachee.status == "hold", "the crisis over the limit was acted on"
    await harness.app.outbox.deliver_due()
    texts = harness.transport.texts_to("u1")[before:]
    assert sum("a lot of messages in a short time" in x for x in texts) == 1, "told once"
    assert any("not a crisis service" in x for x in texts)
    assert any(x.startswith("Safety alert for Sam Jones") for x in harness.transport.texts_to("c1"))
    assert len(texts) <= 40 + 2

    # A quiet minute later, the next message is read as usual.
    clock.now += timedelta(minutes=1)
    replies = await harness.say("/help")
    assert replies and "a lot of messages" not in replies[0].text
    with harness.app.db.connect() as conn:
        conversation = store.conversation_of(conn, harness.coachee_id)
    assert conversation is not None and not conversation.data.slowed
    assert json.loads(conversation.data.model_dump_json())["allowance"] is not None
