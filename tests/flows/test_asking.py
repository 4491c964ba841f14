"""A question typed where an answer was expected is answered and the question asked again; nothing is stored,
and the same words sent again are kept after all. Through the engine on a real SQLite file."""

from __future__ import annotations

import pytest

from bot.storage import store
from flows.asking import is_question_about_the_question
from flows.registry import FlowRegistry
from flows.spec import AnswerKind
from flows.stepper import Wording
from tests.conftest import Harness, onboard

WORDS = Wording.load().asking


@pytest.mark.parametrize("text", [
    "what kind of things can I work on?", "What do you mean?", "like what?", "can you give me an example",
    "not sure what you mean", "what is the miracle question?", "Do I have to answer this?", "Any ideas?",
    "how should I answer this?", "why do you ask?", "Sorry, what does that mean?", "What sort of goals do people pick",
    "examples?", "WHAT KIND OF THINGS CAN I WORK ON", "what kinda things do people work on?",
])
def test_questions_about_the_question_are_noticed(text: str) -> None:
    assert is_question_about_the_question(text, markers=WORDS.markers, plain=WORDS.plain)


@pytest.mark.parametrize("text", [
    "Lead calmer ward meetings", "How do I get my team to speak up?", "What kind of leader do I want to be?",
    "How should I handle a difficult colleague?", "I don't understand why my manager ignores my ideas in every "
    "meeting we have, and what I could do about it?", "Delegating more. I always end up doing everything myself",
    "4", "next friday", "", "?", "Can I be better at saying no?",
])
def test_answers_that_happen_to_be_questions_are_left_alone(text: str) -> None:
    assert not is_question_about_the_question(text, markers=WORDS.markers, plain=WORDS.plain)


def test_every_question_people_often_ask_about_has_its_own_help() -> None:
    """The session-1 questions are where people most often ask what is meant: each has its own answer."""
    spec = FlowRegistry.load().spec("pre_session")
    asked = [s for s in spec.states if s.answer in (AnswerKind.TEXT, AnswerKind.SCALE)]
    assert asked and all(s.help for s in asked), [s.name for s in asked if not s.help]


async def test_a_question_typed_as_the_goal_is_answered_and_the_goal_asked_again(harness: Harness) -> None:
    await onboard(harness)
    replies = await harness.say("what kind of things can I work on?")
    text = replies[-1].text
    goal_help = FlowRegistry.load().spec("pre_session").state("goal").help
    assert goal_help in text and "work on in your coaching" in text  # the help, then the question again
    with harness.app.db.connect() as conn:
        assert store.answers_of(conn, harness.coachee_id) == []
    replies = await harness.say("Lead calmer ward meetings")
    assert "why now" in replies[-1].text
    with harness.app.db.connect() as conn:
        assert [(a.question, a.text) for a in store.answers_of(conn, harness.coachee_id)] == [
            ("goal", "Lead calmer ward meetings")]


async def test_the_same_words_sent_again_are_kept_as_the_answer(harness: Harness) -> None:
    await onboard(harness)
    first = await harness.texts("What kind of goals are ok?")
    assert "send it again" in first
    assert "why now" in await harness.texts("What kind of goals are ok?")
    with harness.app.db.connect() as conn:
        assert [a.text for a in store.answers_of(conn, harness.coachee_id)] == ["What kind of goals are ok?"]


async def test_a_question_at_a_scale_is_not_read_as_a_number(harness: Harness) -> None:
    await onboard(harness)
    for text in ("Lead calmer ward meetings", "New role", "A plan", "One thing to try", "Calm meetings",
                 "Time", "No, it's worth it"):
        await harness.say(text)
    reply = await harness.texts("what does 10 mean?")
    assert "1 means you're far from where you want to be" in reply and "scale of 1 to 10" in reply
    with harness.app.db.connect() as conn:
        assert store.scale_history(conn, harness.coachee_id) == []
    assert "did something similar well" in await harness.texts("4")
