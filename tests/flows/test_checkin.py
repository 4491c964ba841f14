"""Between-session check-ins: a reading against the goal compared with the last one, the question that
fits the trend, actions, anything for the coach, and strengths reflected back. "Not now" and "skip"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.storage import schema as t
from bot.storage import store
from tests.conftest import Clock, Harness, onboard
from tests.flows.test_follow_up import after_session_one


@pytest.mark.parametrize(("reading", "question"), [
    ("6", "That's up from last time. What helped?"),
    ("4", "What would one point higher look like?"),
    ("3", "What has stopped it slipping further?"),
])
async def test_the_follow_up_question_fits_the_trend(harness: Harness, reading: str, question: str) -> None:
    await after_session_one(harness)  # last reading 4
    opening = await harness.prompt("checkin")
    assert 'your goal, "Lead calmer ward meetings"' in opening[-1].text
    assert "Last time you said 4." in opening[-1].text
    assert question in await harness.texts(reading)


async def test_a_first_reading_asks_what_has_helped_so_far(harness: Harness) -> None:
    await onboard(harness)
    opening = await harness.prompt("checkin")
    assert "Last time" not in opening[-1].text and "what you're working on" in opening[-1].text
    assert "What has helped you get this far?" in await harness.texts("5")


async def test_a_whole_check_in_with_actions_ends_by_reflecting_strengths(harness: Harness) -> None:
    await after_session_one(harness)
    await harness.prompt("checkin")
    await harness.press("7")
    first = await harness.texts("Preparing the agenda the night before")
    assert "Book a 1:1 with each band 6" in first and "How is that going?" in first
    await harness.press("Partly")
    await harness.say("Two of them are on nights")
    assert "anything else getting in the way" in (await harness.press("Done"))[-1].text
    assert "anything you'd like Alex Coach to know" in await harness.texts("/skip")
    share = await harness.say("I'm feeling more confident")
    assert "Would you like Alex Coach to see this check-in?" in share[-1].text
    assert [b.label for b in share[-1].buttons] == ["Yes", "No"]
    closing = "\n".join(r.text for r in await harness.press("Yes"))
    assert 'Earlier you named these strengths: "Preparation and patience".' in closing
    with harness.app.db.connect() as conn:
        actions = {a.text: a.status for a in store.actions_of(conn, harness.coachee_id)}
        answers = {a.question.split(".")[0]: a for a in store.answers_of(conn, harness.coachee_id)
                   if a.flow == "checkin"}
        readings = [v for _, v in store.scale_history(conn, harness.coachee_id)]
    assert actions == {"Book a 1:1 with each band 6": "partly", "Draft a shorter agenda": "done"}
    assert readings == [4, 4, 7]  # before session 1, after it, and this check-in
    assert answers["helped"].text == "Preparing the agenda the night before" and answers["helped"].shared
    assert answers["for_coach"].text == "I'm feeling more confident"


async def test_a_check_in_stays_private_until_they_say_share_it(harness: Harness) -> None:
    await after_session_one(harness)
    await harness.prompt("checkin")
    await harness.press("7")
    await harness.say("A quieter week")
    await harness.press("Done")
    await harness.press("Partly")
    assert "anything else getting in the way" in await harness.texts("Not had the time")
    assert "anything you'd like Alex Coach to know" in await harness.texts("/skip")
    with harness.app.db.connect() as conn:  # before the question is answered, nothing of it is shared
        assert not any(a.shared for a in store.answers_of(conn, harness.coachee_id) if a.flow == "checkin")
    assert "see this check-in" in await harness.texts("I'm worried about the audit")
    closing = await harness.texts("no")
    assert "I'll check in again soon" in closing
    with harness.app.db.connect() as conn:
        checkin = [a for a in store.answers_of(conn, harness.coachee_id) if a.flow == "checkin"]
    assert {a.question.split(".")[0] for a in checkin} >= {"scaling", "helped", "for_coach"}
    assert not any(a.shared for a in checkin)


async def test_not_now_snoozes_and_the_same_question_comes_back_later(harness: Harness) -> None:
    clock = Clock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    harness.use_clock(clock)
    await onboard(harness)
    opening = await harness.prompt("checkin")
    assert [b.label for b in opening[-1].buttons][-2:] == ["Not now", "Skip this one"]
    assert "check in again a little later" in (await harness.press("Not now"))[-1].text
    clock.now += timedelta(hours=1)
    assert await harness.app.engine.wake_due() == 0
    clock.now += timedelta(hours=2, minutes=1)
    assert await harness.app.engine.wake_due() == 1
    await harness.app.outbox.deliver_due()
    again = harness.transport.texts_to("u1")[-1]
    assert "is now a better time?" in again and "on a scale of 1 to 10" in again.lower()
    assert "What has helped you get this far?" in await harness.texts("6")


async def test_skip_drops_this_check_in_only(harness: Harness) -> None:
    await onboard(harness)
    await harness.prompt("checkin")
    assert "We'll skip this check-in" in await harness.texts("skip")
    with harness.app.db.connect() as conn:
        conversation = store.conversation_of(conn, harness.coachee_id)
        assert conversation is not None and conversation.data.position is None
        assert conn.execute(select(t.answers).where(t.answers.c.flow == "checkin")).first() is None
    await harness.prompt("checkin")
    assert "What has helped you get this far?" in await harness.texts("5")
