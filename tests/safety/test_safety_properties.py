"""Properties: never raises, always a valid tier, deterministic, on any Unicode input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety.screener import RULESET_VERSION, RuleScreener, default_screener
from safety.types import Tier, Turn

FRESH = RuleScreener()
"""A second, independently built screener: same input, same answer."""

RISKY = st.sampled_from(
    ["kill myself", "kms", "suicide", "tablets", "tonight", "not", "lol", "...", "i'm", "killing me"]
)
TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8")),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F)),
    st.lists(st.one_of(RISKY, st.text(max_size=8)), max_size=30).map(" ".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_never_raises_valid_tier_and_deterministic(text: str) -> None:
    first = default_screener().screen(text)
    assert isinstance(first.tier, Tier)
    assert first.ruleset_version == RULESET_VERSION
    assert list(first.rules) == sorted(set(first.rules))
    assert default_screener().screen(text) == first
    assert FRESH.screen(text) == first


@settings(max_examples=50, deadline=None)
@given(TEXT, st.lists(st.tuples(st.sampled_from(["coachee", "bot"]), TEXT), max_size=5))
def test_context_never_raises(text: str, turns: list[tuple[str, str]]) -> None:
    context = tuple(Turn(speaker="coachee" if s == "coachee" else "bot", text=t) for s, t in turns)
    result = default_screener().screen(text, context=context)
    assert result.tier >= default_screener().screen(text).tier


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.text(min_size=1, max_size=20))
def test_100kb_messages(chunk: str) -> None:
    text = (chunk * (100_000 // len(chunk) + 1))[:100_000]
    assert isinstance(default_screener().screen(text).tier, Tier)


def test_100kb_message_with_risk_in_the_middle_is_not_missed() -> None:
    filler = "the rota is fine and the team is lovely. " * 1250
    text = filler + "I want to kill myself. " + filler
    assert len(text) > 100_000
    assert default_screener().screen(text).tier is Tier.CRISIS
