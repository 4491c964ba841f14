"""Answer parsing: what people really type, and never a crash on anything."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.parsing import (
    MAX_ANSWER_CHARS,
    Parsed,
    Problem,
    clean_text,
    parse_answer,
    parse_date,
    parse_review_pick,
    parse_scale,
)
from flows.registry import FlowRegistry
from flows.spec import AnswerKind, StateSpec
from flows.stepper import FlowContext, FlowRunner, Position


@pytest.mark.parametrize(("text", "value"), [
    ("7", 7), ("7/10", 7), ("seven", 7), ("about a 6", 6), ("I'd say a 4 out of 10", 4), ("10", 10), ("1", 1),
    (" 3 ", 3), ("Eight", 8),
])
def test_scale_readings(text: str, value: int) -> None:
    parsed = parse_scale(text)
    assert isinstance(parsed, Parsed) and parsed.scale == value


@pytest.mark.parametrize(("text", "reason"), [
    ("0", "scale_range"), ("11", "scale_range"), ("eleven", "scale_range"), ("6-7", "scale_between"),
    ("6 or 7", "scale_between"), ("lots", "scale_not_number"), ("", "empty"), ("5.5", "scale_range"),
])
def test_scale_problems(text: str, reason: str) -> None:
    parsed = parse_scale(text)
    assert isinstance(parsed, Problem) and parsed.reason == reason


TODAY = date(2026, 11, 20)  # a Friday


@pytest.mark.parametrize(("text", "expected"), [
    ("today", date(2026, 11, 20)), ("tomorrow", date(2026, 11, 21)), ("next Friday", date(2026, 11, 27)),
    ("monday", date(2026, 11, 23)), ("in 2 weeks", date(2026, 12, 4)), ("15 March", date(2027, 3, 15)),
    ("1/12", date(2026, 12, 1)), ("2026-12-01", date(2026, 12, 1)), ("3rd of December", date(2026, 12, 3)),
])
def test_dates(text: str, expected: date) -> None:
    parsed = parse_date(text, today=TODAY)
    assert isinstance(parsed, Parsed) and parsed.value == expected.isoformat()


def test_long_answers_are_trimmed_and_flagged() -> None:
    parsed = clean_text("a" * 5000)
    assert isinstance(parsed, Parsed) and parsed.trimmed and len(parsed.text) == MAX_ANSWER_CHARS


@pytest.mark.parametrize("text", ["", "   ", "\u200b", "🙂🙂", "👍"])
def test_empty_and_emoji_only_text_is_not_an_answer(text: str) -> None:
    assert isinstance(clean_text(text), Problem)


STATES = [state for flow in FlowRegistry.load().names() for state in FlowRegistry.load().spec(flow).states
          if state.answer is not AnswerKind.NONE]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), index=st.integers(min_value=0, max_value=len(STATES) - 1))
def test_parsing_never_crashes_on_any_unicode(text: str, index: int) -> None:
    state: StateSpec = STATES[index]
    result = parse_answer(state, text, today=TODAY)
    assert isinstance(result, Parsed | Problem)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=-1000, max_value=1000), form=st.sampled_from(["{}", "{}/10", "about a {}", " {} ",
                                                                            "{} out of 10", "I'd say {}"]))
def test_a_whole_number_is_read_or_refused_with_the_range(n: int, form: str) -> None:
    result = parse_scale(form.format(n))
    if 1 <= n <= 10:
        assert isinstance(result, Parsed) and result.scale == n
    else:
        assert isinstance(result, Problem) and result.reason in {"scale_range", "scale_not_number"}


@settings(max_examples=200, deadline=None)
@given(text=st.text(min_size=1, max_size=9000))
def test_kept_text_is_never_longer_than_the_cap_and_trimming_is_always_said(text: str) -> None:
    result = clean_text(text)
    if isinstance(result, Parsed):
        assert len(result.text) <= MAX_ANSWER_CHARS
        assert result.trimmed == (len(result.text) == MAX_ANSWER_CHARS and len(text.strip()) > MAX_ANSWER_CHARS)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_a_due_date_is_never_in_the_past(text: str) -> None:
    result = parse_date(text, today=TODAY, not_before=TODAY)
    if isinstance(result, Parsed):
        assert date.fromisoformat(result.value) >= TODAY


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=40), options=st.lists(st.sampled_from(["send", "change", "private", "goal"]),
                                                  min_size=1, max_size=4, unique=True))
def test_a_review_pick_is_one_of_the_options_or_nothing(text: str, options: list[str]) -> None:
    assert parse_review_pick(text, options=tuple(options), synonyms={"ok": "send"}) in (*options, None)


RUNNER = FlowRunner(FlowRegistry.load())
POSITIONS = [(flow, state.name) for flow in RUNNER.registry.names() for state in RUNNER.registry.spec(flow).states
             if not state.final]


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200), index=st.integers(min_value=0, max_value=len(POSITIONS) - 1),
       as_button=st.booleans())
def test_any_text_or_button_at_any_question_gives_a_reply_and_never_crashes(
    text: str, index: int, as_button: bool
) -> None:
    flow, state = POSITIONS[index]
    position = Position(flow=flow, state=state, run_id="r1")
    ctx = FlowContext(name="Sam", coach="Alex", today=TODAY)
    payload = f"{flow}:{state}:{text}" if as_button else None
    step = RUNNER.answer(position, ctx, text=None if as_button else text, payload=payload)
    assert step.replies
    assert all(reply.text.strip() for reply in step.replies)
    if step.position is not None:
        assert step.position.state in {s.name for s in RUNNER.registry.spec(step.position.flow).states}


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=60))
def test_a_session_time_is_read_or_refused_never_a_crash(text: str) -> None:
    from datetime import UTC, datetime

    from flows.parsing import parse_when

    now = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
    result = parse_when(text, now=now)
    assert result is None or result.tzinfo is not None
