"""Session 1's pre-session flow, walked through the engine on a real SQLite file: every stage, /skip,
/back, the review (send, change an answer, keep one private), interruptions and a restart."""

from __future__ import annotations

from bot.config import Config
from bot.digest import render_digest
from bot.storage import store
from tests.conftest import Harness, MarkerScreener, make_harness, onboard, restarted

ANSWERS = {
    "goal": "Lead calmer ward meetings",
    "why_now": "I've just stepped up to band 7",
    "session_want": "A plan for Monday's meeting",
    "know_useful": "I'd leave with one thing to try",
    "miracle": "People arrive on time and everyone gets heard",
    "costs": "Less time on the floor at first",
    "cost_worth": "No, it's worth it for a calmer team",
}
LATER = {
    "exception": "The audit huddle last spring went well",
    "strengths": "Preparation and patience",
    "role_model": "My old ward manager, who always listened first",
    "role_model_talk": "Yes, I could ask her how she ran huddles",
    "anything_else": "I'm anxious about the restructure",
}


async def answer_up_to_review(h: Harness) -> str:
    """Every question of session 1, the scale by button; returns the review's text."""
    for text in ANSWERS.values():
        await h.say(text)
    await h.press("4")
    replies: list[str] = []
    for text in LATER.values():
        replies = [r.text for r in await h.say(text)]
    return replies[-1]


async def test_session_one_asks_each_stage_once_in_order_one_question_per_message(harness: Harness) -> None:
    await onboard(harness)
    questions = []
    for text in ANSWERS.values():
        questions += [r.text for r in await harness.say(text)]
    questions += [r.text for r in await harness.press("4")]
    for text in LATER.values():
        questions += [r.text for r in await harness.say(text)]
    expected = ["why now", "first session with Alex Coach", "session was useful", "miracle has happened",
                "cost you", "outweigh", "scale of 1 to 10", "did something similar well", "strengths",
                "someone you respect", "talk to them", "anything else you'd like Alex Coach to know",
                "exactly what Alex Coach will see"]
    assert len(questions) == len(expected)
    for text, marker in zip(questions, expected, strict=True):
        assert marker in text
        assert text.count("?") <= 2  # one question (the miracle question is one question in two parts)
    review = questions[-1]
    for answer in [*ANSWERS.values(), *LATER.values(), "Scaling: 4"]:
        assert answer in review


async def test_nothing_reaches_the_coach_until_the_review_is_sent(harness: Harness) -> None:
    await onboard(harness)
    await answer_up_to_review(harness)
    with harness.app.db.connect() as conn:
        assert store.answers_of(conn, harness.coachee_id, shared_only=True) == []
        digest = render_digest(conn, coachee_id=harness.coachee_id, flows=harness.app.flows.registry)
    assert ANSWERS["goal"] not in digest

    closing = await harness.texts(payload=_review_button(harness, "Send to Alex Coach"))
    assert "Sent" in closing and "session goes well" in closing
    with harness.app.db.connect() as conn:
        shared = {a.question: a.text for a in store.answers_of(conn, harness.coachee_id, shared_only=True)}
    assert shared["goal"] == ANSWERS["goal"] and shared["scaling"] == "4" and len(shared) == 13


async def test_the_review_can_keep_one_answer_private_and_the_digest_leaves_it_out(harness: Harness) -> None:
    await onboard(harness)
    await answer_up_to_review(harness)
    listing = await harness.press("Keep one private")
    assert "Which answer" in listing[-1].text
    assert [b.label for b in listing[-1].buttons][-1] == "Back to the summary"
    summary = await harness.press("Anything else")
    assert "stays private" in summary[-1].text and "(kept private)" in summary[-1].text
    assert LATER["anything_else"] not in summary[-1].text
    await harness.press("Send to Alex Coach")
    with harness.app.db.connect() as conn:
        digest = render_digest(conn, coachee_id=harness.coachee_id, flows=harness.app.flows.registry)
        answers = {a.question: a.shared for a in store.answers_of(conn, harness.coachee_id)}
    assert answers["anything_else"] is False and answers["goal"] is True
    assert LATER["anything_else"] not in digest and "restructure" not in digest
    assert ANSWERS["goal"] in digest and "kept 1 answer private" in digest


async def test_an_answer_kept_private_can_be_shared_again_before_sending(harness: Harness) -> None:
    await onboard(harness)
    await answer_up_to_review(harness)
    await harness.press("Keep one private")
    await harness.press("Goal")
    await harness.press("Keep one private")
    again = await harness.press("Goal (private: pick to share)")
    assert "will be shared after all" in again[-1].text and ANSWERS["goal"] in again[-1].text
    await harness.say("send")
    with harness.app.db.connect() as conn:
        assert all(a.shared for a in store.answers_of(conn, harness.coachee_id))


async def test_the_review_can_change_an_answer_and_comes_straight_back(harness: Harness) -> None:
    await onboard(harness)
    await answer_up_to_review(harness)
    await harness.say("change")
    listing = await harness.say("Goal")
    assert "Here's that question again" in listing[-1].text and "work on in your coaching" in listing[-1].text
    back = await harness.texts("Run shorter, calmer ward meetings")
    assert "exactly what Alex Coach will see" in back
    assert "Run shorter, calmer ward meetings" in back and ANSWERS["goal"] not in back
    await harness.say("2")  # typed numbers pick the numbered option: change an answer
    await harness.press("Scaling")
    back = await harness.texts("5")
    assert "Scaling: 5" in back
    await harness.say("looks good")
    with harness.app.db.connect() as conn:
        answers = [(a.question, a.text) for a in store.answers_of(conn, harness.coachee_id)]
        readings = [v for _, v in store.scale_history(conn, harness.coachee_id)]
    assert answers.count(("goal", "Run shorter, calmer ward meetings")) == 1
    assert [q for q, _ in answers].count("goal") == 1  # replaced, not added
    assert readings == [5]


async def test_skip_works_on_optional_questions_only_and_back_changes_the_previous_answer(
    harness: Harness,
) -> None:
    await onboard(harness)
    assert "can't be skipped" in await harness.texts("/skip")
    await harness.say(ANSWERS["goal"])
    assert "first session" in await harness.texts("/skip")  # why now is optional
    assert "can't be skipped" in await harness.texts("/skip")  # what they want from the session is not
    assert "why now" in await harness.texts("/back")
    assert "first session" in await harness.texts("Because the team is new")
    with harness.app.db.connect() as conn:
        answers = {a.question: a.text for a in store.answers_of(conn, harness.coachee_id)}
    assert answers == {"goal": ANSWERS["goal"], "why_now": "Because the team is new"}


async def test_a_scale_accepts_words_and_re_asks_kindly_then_offers_buttons(harness: Harness) -> None:
    await onboard(harness)
    for text in ANSWERS.values():
        await harness.say(text)
    assert "goes from 1 to 10" in await harness.texts("eleven")
    assert "closer, 6 or 7" in await harness.texts("6-7")
    third = await harness.texts("no idea")
    assert "tap one of the buttons" in third
    assert "did something similar well" in await harness.texts("about a 6")
    with harness.app.db.connect() as conn:
        assert [v for _, v in store.scale_history(conn, harness.coachee_id)] == [6]


async def test_a_stress_interruption_pauses_the_flow_and_resume_picks_up_the_same_question(
    harness: Harness,
) -> None:
    await onboard(harness)
    await harness.say(ANSWERS["goal"])
    stress = await harness.texts("[stress] I can't cope with the workload")
    assert "Stress Support" in stress or "stress" in stress.lower()
    assert "paused" in await harness.texts("Anyway")
    resumed = await harness.texts("/resume")
    assert "why now" in resumed
    await harness.say(ANSWERS["why_now"])
    with harness.app.db.connect() as conn:
        answers = {a.question for a in store.answers_of(conn, harness.coachee_id)}
    assert answers == {"goal", "why_now"}


async def test_the_review_survives_a_restart(config: Config, screener: MarkerScreener) -> None:
    first = make_harness(config, screener)
    await first.transport.start(first.app.engine.handle)
    await onboard(first)
    await answer_up_to_review(first)
    await first.press("Keep one private")
    await first.press("Role model")
    first.app.db.dispose()

    app, transport = await restarted(config, screener)
    await transport.receive(transport.message("u1", "send", message_id="after-restart"))
    await app.outbox.deliver_due()
    assert "Sent" in transport.texts_to("u1")[0]
    with app.db.connect() as conn:
        shared = {a.question: a.shared for a in store.answers_of(conn, first.coachee_id)}
    assert shared["role_model"] is False and shared["goal"] is True


async def test_a_coachee_who_declined_sharing_gets_no_review_and_nothing_is_shared(harness: Harness) -> None:
    await onboard(harness, share=False)
    closing = await answer_up_to_review(harness)
    assert "exactly what" not in closing and "Thank you for giving these questions your time" in closing
    with harness.app.db.connect() as conn:
        assert store.answers_of(conn, harness.coachee_id, shared_only=True) == []
        assert len(store.answers_of(conn, harness.coachee_id)) == 13


def _review_button(h: Harness, label: str) -> str:
    for reply in reversed(h.transport.replies_to(h.coachee_user)):
        for button in reply.buttons:
            if button.label == label:
                return button.payload
    raise AssertionError(f"no {label!r} button")
