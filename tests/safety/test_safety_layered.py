"""The layered screener: the model only raises, names itself, and the coachee's recent turns are read together."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from safety.layered import JOINED_RULE, LayeredScreener, ScreenRequest, default_screener
from safety.screener import default_screener as rule_screener
from safety.semantic.embedder import THREADS, default_embedder
from safety.semantic.layer import NOTHING, Reading
from safety.types import Tier, Turn

LABELLED = Path(__file__).resolve().parent / "labelled.jsonl"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FixedLayer:
    """A learned layer that reads what the test says (the real one is tested below and in test_safety_model)."""

    version = "fixed"

    def __init__(self, readings: dict[str, Reading] | None = None) -> None:
        self.readings = readings or {}
        self.batches: list[int] = []

    def read(self, texts: Sequence[str], *, hints: Sequence[Tier] | None = None) -> list[Reading]:
        self.batches.append(len(texts))
        return [self.readings.get(text, NOTHING) for text in texts]


def _rules_only() -> LayeredScreener:
    return LayeredScreener(layer=FixedLayer())  # type: ignore[arg-type]


def coachee(text: str, minutes_ago: float) -> Turn:
    return Turn(speaker="coachee", text=text, at=NOW - timedelta(minutes=minutes_ago))


def test_the_model_never_lowers_what_the_rules_found() -> None:
    screener = default_screener()
    rules = rule_screener()
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        assert screener.screen(text).tier >= rules.screen(text).tier, text


def test_a_model_reading_raises_the_tier_and_names_itself_and_no_guard_lowers_it() -> None:
    # "never" cancels the rule hit; the model's reading of the same message still stands.
    text = "i would never kill myself"
    layer = FixedLayer({text: Reading(Tier.CRISIS, "model.crisis", 0.97)})
    screening = LayeredScreener(layer=layer).screen(text)  # type: ignore[arg-type]
    assert screening.tier is Tier.CRISIS
    assert "model.crisis" in screening.rules and "negation.explicit" in screening.rules
    assert screening.score == pytest.approx(0.97)


def test_a_model_reading_lower_than_the_rules_changes_nothing_and_is_not_listed() -> None:
    text = "i have taken all my tablets"
    layer = FixedLayer({text: Reading(Tier.CHECK, "model.check", 0.5)})
    screening = LayeredScreener(layer=layer).screen(text)  # type: ignore[arg-type]
    assert screening.tier is Tier.EMERGENCY
    assert "model.check" not in screening.rules


def test_the_real_model_reads_risk_that_no_rule_names() -> None:
    # everyday words only: no rule phrase for any of them
    for text in ("the days just blur and i cant see why i keep going", "i have stopped seeing a future for myself"):
        assert rule_screener().screen(text).tier < Tier.CRISIS, text
        screening = default_screener().screen(text)
        assert screening.tier >= Tier.CHECK, text
        assert any(rule.startswith("model.") for rule in screening.rules)


def test_every_screening_carries_the_model_score_and_a_versioned_ruleset() -> None:
    screening = default_screener().screen("I want to kill myself")
    assert screening.score is not None and screening.score > 0.5
    assert "+model." in screening.ruleset_version


def test_screen_many_reads_a_batch_in_one_model_call_and_keeps_order() -> None:
    layer = FixedLayer()
    screener = LayeredScreener(layer=layer)  # type: ignore[arg-type]
    texts = ["hello", "I want to die", "I've taken all my pills", "send it"]
    results = screener.screen_many([ScreenRequest(text=t) for t in texts])
    assert [r.tier for r in results] == [Tier.NONE, Tier.CRISIS, Tier.EMERGENCY, Tier.NONE]
    assert layer.batches == [4]


# --- conversation level ------------------------------------------------------------------------


def test_a_disclosure_split_over_two_messages_is_read_as_one() -> None:
    screener = _rules_only()
    first, second = "my shift finishes at 8 tonight", "then i am going to kill myself"
    assert screener.screen(first).tier is Tier.NONE
    assert screener.screen(second).tier is Tier.CRISIS
    together = screener.screen(second, context=[coachee(first, 2)], at=NOW)
    assert together.tier is Tier.EMERGENCY
    assert JOINED_RULE in together.rules


def test_only_turns_within_the_hour_are_joined() -> None:
    screener = _rules_only()
    first, second = "my shift finishes at 8 tonight", "then i am going to kill myself"
    late = screener.screen(second, context=[coachee(first, 90)], at=NOW)
    assert late.tier is Tier.CRISIS and JOINED_RULE not in late.rules


def test_bot_turns_are_not_joined() -> None:
    screener = _rules_only()
    context = [Turn(speaker="bot", text="my shift finishes at 8 tonight", at=NOW)]
    assert screener.screen("then i am going to kill myself", context=context, at=NOW).tier is Tier.CRISIS


def test_an_earlier_risk_message_does_not_colour_an_ordinary_reply() -> None:
    screener = default_screener()
    context = [coachee("I want to die", 3), Turn(speaker="bot", text="Thank you for telling me.", at=NOW)]
    reply = screener.screen("ok thank you", context=context, at=NOW)
    assert reply.tier is Tier.NONE and JOINED_RULE not in reply.rules


def test_an_act_after_a_crisis_turn_is_an_emergency() -> None:
    screener = default_screener()
    done = screener.screen("I've done it", context=[coachee("I want to die", 5)], at=NOW)
    assert done.tier is Tier.EMERGENCY


def test_at_most_three_earlier_turns_are_joined() -> None:
    screener = _rules_only()
    context = [coachee("my shift finishes at 8 tonight", 10)] + [coachee(f"ok {n}", 9 - n) for n in range(3)]
    assert screener.screen("then i am going to kill myself", context=context, at=NOW).tier is Tier.CRISIS


def test_the_model_runs_on_the_threads_it_is_given_and_reads_the_same() -> None:
    one = default_embedder(1)
    assert one.threads == 1 and one is not default_embedder(2)
    # however it is asked for, the process holds one model per thread count (each session costs 230 MB)
    assert default_embedder() is default_embedder(THREADS) and default_screener() is default_screener(THREADS)
    texts = ["I want to kill myself", "Can we move Thursday's session to the afternoon?"]
    assert (abs(one.embed(texts) - default_embedder(2).embed(texts)) < 1e-4).all()
    assert default_screener(1).screen(texts[0]).tier >= Tier.CRISIS
