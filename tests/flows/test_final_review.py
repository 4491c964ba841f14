"""The final session's review: scaling first to last, what helped, what they'll keep doing, the relationship."""

from __future__ import annotations

from bot.storage import store
from tests.conftest import Harness
from tests.flows.test_follow_up import after_session_one


async def test_the_final_review_shows_the_journey_and_is_shared_only_when_sent(harness: Harness) -> None:
    await after_session_one(harness)  # one reading so far: 4
    await harness.prompt("checkin")
    await harness.press("6")
    await harness.say("/pause")
    opening = await harness.prompt("final_review")
    assert "first to last: 4 → 6." in opening[-1].text
    assert "what has helped you most?" in opening[-1].text
    assert "keep doing" in await harness.texts("Preparing properly")
    assert "Last time you said 6." in await harness.texts("Weekly planning")
    assert "coaching relationship with Alex Coach" in await harness.texts("8")
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
    assert final == {"helped": "Preparing properly", "keep_doing": "Weekly planning", "scaling": "8",
                     "relationship": "Being asked rather than told"}
    assert readings == [4, 6, 8]
