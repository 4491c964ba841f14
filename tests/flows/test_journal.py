"""/journal: a private note between sessions, shared only if the coachee chooses; an unfinished flow waits."""

from __future__ import annotations

from bot.digest import render_digest
from bot.storage import store
from tests.conftest import Harness, onboard


def digest(h: Harness) -> str:
    with h.app.db.connect() as conn:
        return render_digest(conn, coachee_id=h.coachee_id, flows=h.app.flows.registry)


async def test_a_journal_entry_stays_private_unless_shared(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("/journal")
    assert "Would you like Alex Coach to see this entry?" in await harness.texts("Felt flat after the handover")
    assert "just for you" in (await harness.press("No"))[0].text
    assert "Felt flat" not in digest(harness)

    await harness.say("/journal")
    await harness.say("Proud of how I chaired today")
    assert "next digest" in (await harness.press("Yes"))[0].text
    shown = digest(harness)
    assert "Proud of how I chaired today" in shown and "Felt flat" not in shown


async def test_a_journal_entry_mid_flow_then_back_to_the_same_question(harness: Harness) -> None:
    await onboard(harness)
    await harness.say("Lead calmer ward meetings")
    opening = await harness.texts("/journal")
    assert "note down" in opening
    await harness.say("Nervous about tomorrow")
    after = await harness.press("No")
    assert "just for you" in after[0].text
    assert "Back to where we were" in after[1].text and "why now" in after[1].text
    await harness.say("It matters to the team")
    with harness.app.db.connect() as conn:
        answers = {(a.flow, a.question): a.text for a in store.answers_of(conn, harness.coachee_id)}
    assert answers[("pre_session", "why_now")] == "It matters to the team"
    assert answers[("journal", "entry")] == "Nervous about tomorrow"


async def test_without_consent_to_share_the_journal_never_offers_to_share(harness: Harness) -> None:
    await onboard(harness, share=False)
    await harness.say("/journal")
    closing = await harness.texts("Long week")
    assert "just for you" in closing and "see this entry" not in closing
    assert "Long week" not in digest(harness)
