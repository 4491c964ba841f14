"""The review after the last session: scaling first to last, what helped, their strengths, a time it went well and
role model in their own words, what they'll keep doing and its hurdles, a new goal, the relationship."""

from __future__ import annotations

from bot.storage import store
from tests.conftest import Harness
from tests.flows.test_follow_up import after_session_one


async def test_the_final_review_shows_the_journey_and_is_shared_only_when_sent(harness: Harness) -> None:
    await after_session_one(harness)  # readings so far: 4 before session 1, 4 after it
    await harness.prompt("checkin")
    await harness.press("6")
    await harness.say("/pause")
    opening = await harness.prompt("final_review")
    assert "first to last: 4 → 4 → 6." in opening[-1].text  # before session 1, after it, the check-in
    assert "what has helped you most?" in opening[-1].text
    assert "keep doing" in await harness.texts("Preparing properly")
    # stage 7: their own strengths, a time it went well and their role model, in their words, then the hurdles
    summary = await harness.texts("Weekly planning")
    for own_words in ('"Preparation and patience"', '"The audit huddle last spring went well"',
                      '"My old ward manager, who always listened first"'):
        assert own_words in summary
    assert "get in the way of keeping it up" in summary
    assert "Last time you said 6." in await harness.texts("Agency shifts; I'll plan around them")
    assert "new goal" in await harness.texts("8")
    assert "coaching relationship with Alex Coach" in await harness.texts("Chairing the practice council")
    review = await harness.texts("Being asked rather than told")
    assert "Being asked rather than told" in review and "Scaling now: 8" in review
    with harness.app.db.connect() as conn:
        assert not [a for a in store.answers_of(conn, harness.coachee_id, shared_only=True)
                    if a.flow == "final_review"]
    await harness.press("Send to Alex Coach")
    with harness.app.db.connect() as conn:
        final = {a.question: a.text for a in store.answers_of(conn, harness.coachee_id, shared_only=True)
                 if a.flow == "final_review"}
        readings = [v for _, v in store.scale_history(conn, harness.coachee_id)]
    assert final == {"helped": "Preparing properly", "keep_doing": "Weekly planning",
                     "hurdles": "Agency shifts; I'll plan around them", "scaling": "8",
                     "new_goal": "Chairing the practice council", "relationship": "Being asked rather than told"}
    assert readings == [4, 4, 6, 8]
