"""What every flow shares: /back, a safety interruption and /resume, and carrying on after a restart."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.storage import store
from tests.conftest import Harness, MarkerScreener, make_harness, onboard, restarted

# flow: (how it starts, a first answer, a marker of the second question)
FLOWS = {
    "pre_session": ("What would you like to work on", "Lead calmer meetings", "why now"),
    "follow_up": ("How have things gone since", "A busy fortnight", "What would you like to work on now?"),
    "checkin": ("a quick check-in", "5", "What has helped you get this far?"),
    "post_session": ("What did you agree to do", "Book the rota meeting", "By when"),
    "final_review": ("what has helped you most?", "Writing things down", "keep doing"),
    "journal": ("What would you like to note down", "A hard shift", "see this entry"),
}


async def start(h: Harness, flow: str) -> str:
    await onboard(h)
    if flow == "journal":
        return await h.texts("/journal")
    return "\n".join(r.text for r in await h.prompt(flow))


@pytest.mark.parametrize("flow", FLOWS)
async def test_back_returns_to_the_first_question_and_the_new_answer_replaces_the_old(
    harness: Harness, flow: str
) -> None:
    opening, answer, second = FLOWS[flow]
    assert opening in await start(harness, flow)
    assert second in await harness.texts(answer)
    assert opening in await harness.texts("/back")
    assert second in await harness.texts(answer + " (changed)")
    with harness.app.db.connect() as conn:
        texts = [a.text for a in store.answers_of(conn, harness.coachee_id) if a.flow == flow]
    if flow == "checkin":
        assert texts == ["5"]  # one reading, not two
    elif flow != "post_session":  # an action is stored when its date is given
        assert texts == [answer + " (changed)"]


@pytest.mark.parametrize("flow", FLOWS)
async def test_a_safety_interruption_pauses_and_resume_returns_to_the_same_question(
    harness: Harness, flow: str
) -> None:
    _, answer, second = FLOWS[flow]
    await start(harness, flow)
    await harness.say(answer)
    await harness.say("[stress] everything is too much at work")
    assert "paused" in await harness.texts("hello")
    assert second in await harness.texts("/resume")


@pytest.mark.parametrize("flow", FLOWS)
async def test_a_flow_carries_on_after_a_restart(config: Config, screener: MarkerScreener, flow: str) -> None:
    _, answer, second = FLOWS[flow]
    first = make_harness(config, screener)
    await first.transport.start(first.app.engine.handle)
    await start(first, flow)
    first.app.db.dispose()
    app, transport = await restarted(config, screener)
    await transport.receive(transport.message("u1", answer, message_id="after-restart"))
    await app.outbox.deliver_due()
    assert second in transport.texts_to("u1")[-1]


@pytest.mark.parametrize("flow", FLOWS)
async def test_skip_never_skips_a_required_question(harness: Harness, flow: str) -> None:
    await start(harness, flow)
    reply = await harness.texts("/skip")
    if flow == "checkin":
        assert "skip this check-in" in reply  # a check-in may be skipped as a whole
    else:
        assert "can't be skipped" in reply
