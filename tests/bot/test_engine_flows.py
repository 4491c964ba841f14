"""How the engine carries flows over time: /stop with confirmation, one nudge then expiry, a new flow
replacing an unanswered one, and no nudges while on hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.storage import store
from tests.conftest import Clock, Harness, onboard


def position_of(h: Harness) -> str | None:
    with h.app.db.connect() as conn:
        conversation = store.conversation_of(conn, h.coachee_id)
    assert conversation is not None
    position = conversation.data.position
    return None if position is None else f"{position.flow}:{position.state}"


async def test_stop_asks_first_and_no_keeps_everything_as_it_was(harness: Harness) -> None:
    await onboard(harness)
    confirm = await harness.say("/stop")
    assert "Are you sure" in confirm[-1].text and [b.label for b in confirm[-1].buttons] == ["Yes, leave", "No, stay"]
    stay = await harness.press("No, stay")
    assert "Glad you're staying" in stay[0].text and "work on in your coaching" in stay[1].text
    assert position_of(harness) == "pre_session:goal"


async def test_stop_confirmed_leaves_the_programme_and_tells_the_coach(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("/stop")
    done = await harness.texts("yes")
    assert "You've left the programme" in done
    with harness.app.db.connect() as conn:
        assert store.get_coachee(conn, harness.coachee_id).status == "stopped"
    assert "Sam Jones has left the coaching programme" in harness.transport.texts_to("c1")[-1]
    assert position_of(harness) is None
    assert "left the coaching programme" in await harness.texts("hello?")


async def test_an_unanswered_question_gets_one_nudge_then_expires(harness: Harness) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    harness.use_clock(clock)
    await onboard(harness)
    clock.now += timedelta(hours=23)
    assert await harness.app.engine.wake_due() == 0
    clock.now += timedelta(hours=1, seconds=1)
    assert await harness.app.engine.wake_due() == 1
    await harness.app.outbox.deliver_due()
    nudge = harness.transport.texts_to("u1")[-1]
    assert "gentle nudge" in nudge and "work on in your coaching" in nudge
    assert await harness.app.engine.wake_due() == 0  # one nudge, not one per sweep
    clock.now += timedelta(days=2, seconds=1)
    assert await harness.app.engine.wake_due() == 1
    await harness.app.outbox.deliver_due()
    assert "closed those questions for now" in harness.transport.texts_to("u1")[-1]
    assert position_of(harness) is None
    clock.now += timedelta(days=30)
    assert await harness.app.engine.wake_due() == 0


async def test_answering_resets_the_nudge_clock(harness: Harness) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    harness.use_clock(clock)
    await onboard(harness)
    clock.now += timedelta(hours=20)
    await harness.say("Lead calmer ward meetings")
    clock.now += timedelta(hours=20)
    assert await harness.app.engine.wake_due() == 0


async def test_a_new_flow_replaces_an_unanswered_one_cleanly(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("Lead calmer ward meetings")
    await harness.prompt("checkin")
    assert position_of(harness) == "checkin:scaling"
    await harness.say("5")
    with harness.app.db.connect() as conn:
        answers = [(a.flow, a.question) for a in store.answers_of(conn, harness.coachee_id)]
    assert answers == [("pre_session", "goal"), ("checkin", "scaling")]


async def test_no_nudges_while_on_a_safety_hold(harness: Harness) -> None:
    clock = Clock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    harness.use_clock(clock)
    await onboard(harness)
    await harness.say("[crisis] I don't want to be here any more")
    sent = len(harness.transport.texts_to("u1"))
    clock.now += timedelta(days=5)
    assert await harness.app.engine.wake_due() == 0
    await harness.app.outbox.deliver_due()
    assert len(harness.transport.texts_to("u1")) == sent
