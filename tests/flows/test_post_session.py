"""After a session: actions with due dates read naturally, in the coachee's own time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.storage import store
from tests.conftest import Clock, Harness, onboard


async def record_actions(h: Harness, actions: list[tuple[str, str]], *, scale: str = "4",
                         share: str | None = "Yes") -> list[str]:
    """Walk the post-session flow for these (action, when) pairs, then the obstacles, how to get past them, the
    scale (by button) and whether to share (None: not asked, as for a coachee who shares nothing); returns every
    reply's text."""
    texts = [r.text for r in await h.prompt("post_session")]
    for n, (action, when) in enumerate(actions):
        texts += [r.text for r in await h.say(action)]
        texts += [r.text for r in await h.say(when)]
        texts += [r.text for r in await h.press("Yes" if n < len(actions) - 1 else "No")]
    texts += [r.text for r in await h.say("Night shifts make it hard to catch people")]
    texts += [r.text for r in await h.say("Ask the deputy to cover the handover")]
    texts += [r.text for r in await h.press(scale)]
    if share is not None:
        assert "see what you've said here" in texts[-1]
        texts += [r.text for r in await h.press(share)]
    return texts


async def test_each_action_is_stored_with_a_due_date_from_natural_language(harness: Harness) -> None:
    # Thursday 19 November 2026, 23:30 UTC: already Friday 20th in Auckland, still Thursday in London.
    harness.use_clock(Clock(datetime(2026, 11, 19, 23, 30, tzinfo=UTC)))
    await onboard(harness)
    texts = await record_actions(harness, [("Book a 1:1 with each band 6", "next Friday"),
                                           ("Draft a shorter agenda", "in 2 weeks")])
    assert "agree to do before your next session" in texts[0]
    assert "Got it: by Friday 20 November." in texts
    assert "Got it: by Thursday 3 December." in texts
    assert "I'll ask how it went" in texts[-1]
    with harness.app.db.connect() as conn:
        actions = [(a.text, a.due_on, a.status) for a in store.actions_of(conn, harness.coachee_id)]
    assert actions == [("Book a 1:1 with each band 6", date(2026, 11, 20), "open"),
                       ("Draft a shorter agenda", date(2026, 12, 3), "open")]


async def test_due_dates_follow_the_coachees_time_zone(harness: Harness) -> None:
    harness.use_clock(Clock(datetime(2026, 11, 19, 23, 30, tzinfo=UTC)))
    for answer in ("hello", "yes", "yes", "yes", "Auckland"):
        await harness.say(answer)
    await record_actions(harness, [("Ask for feedback", "tomorrow")])
    with harness.app.db.connect() as conn:
        (action,) = store.actions_of(conn, harness.coachee_id)
    assert action.due_on == date(2026, 11, 21)  # it is already the 20th in Auckland


async def test_an_unreadable_or_past_date_is_asked_again_kindly(harness: Harness) -> None:
    harness.use_clock(Clock(datetime(2026, 11, 19, 12, 0, tzinfo=UTC)))
    await onboard(harness)
    await harness.prompt("post_session")
    await harness.say("Shadow the matron's handover")
    assert "couldn't read that as a date" in await harness.texts("when the moon is full")
    assert "already passed" in await harness.texts("1 November 2026")
    assert "Got it: by Friday 27 November." in await harness.texts("by 27 November")
    await harness.press("No")
    with harness.app.db.connect() as conn:
        (action,) = store.actions_of(conn, harness.coachee_id)
    assert action.due_on == date(2026, 11, 27)


async def test_back_from_the_date_lets_the_action_be_reworded(harness: Harness) -> None:
    harness.use_clock(Clock(datetime(2026, 11, 19, 12, 0, tzinfo=UTC)))
    await onboard(harness)
    await harness.prompt("post_session")
    await harness.say("Talk to HR")
    assert "agree to do" in await harness.texts("/back")
    await harness.say("Talk to HR about the rota")
    await harness.say("friday")
    await harness.press("No")
    with harness.app.db.connect() as conn:
        assert [a.text for a in store.actions_of(conn, harness.coachee_id)] == ["Talk to HR about the rota"]


async def test_after_a_session_it_asks_what_might_get_in_the_way_how_to_get_past_it_and_scales_again(
    harness: Harness,
) -> None:
    harness.use_clock(Clock(datetime(2026, 11, 19, 12, 0, tzinfo=UTC)))
    await onboard(harness)
    await harness.prompt("post_session")
    await harness.say("Book a 1:1 with each band 6")
    await harness.say("next Friday")
    assert "get in the way" in (await harness.press("No"))[-1].text
    assert "how could you get past it" in (await harness.texts("Night shifts"))
    scaling = (await harness.say("Ask the deputy to cover"))[-1]
    assert "scale of 1 to 10" in scaling.text and [b.label for b in scaling.buttons][:10] == [
        str(n) for n in range(1, 11)]
    assert "see what you've said here" in await harness.texts("6")
    closing = await harness.texts("Yes")
    assert "noted your plan" in closing and "next session" in closing
    with harness.app.db.connect() as conn:
        readings = [value for value, _ in store.scale_readings(conn, harness.coachee_id)]
        answers = {a.question: a.text for a in store.answers_of(conn, harness.coachee_id)}
    assert readings == [6]
    assert answers["obstacles"] == "Night shifts" and answers["overcome"] == "Ask the deputy to cover"
