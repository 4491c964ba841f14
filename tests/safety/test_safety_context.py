"""Short follow-ups read against the coachee's earlier turns (and only the coachee's)."""

from __future__ import annotations

import pytest

from safety.screener import default_screener
from safety.types import Tier, Turn


def coachee(*texts: str) -> tuple[Turn, ...]:
    return tuple(Turn(speaker="coachee", text=t) for t in texts)


@pytest.mark.parametrize(
    ("earlier", "message", "rule"),
    [
        ("I keep thinking about taking all my tablets", "I have them here", "context.means_at_hand"),
        ("I keep thinking about taking all my tablets", "they're in my bag", "context.means_at_hand"),
        ("I've been thinking about an overdose", "got loads at home", "context.means_at_hand"),
        ("I want to kill myself", "tonight", "context.plan_time"),
        ("I don't want to be here anymore", "probably after my shift", "context.plan_time"),
        ("I've been thinking about an overdose", "I've done it", "context.act_done"),
        ("I've been cutting again", "I did it again", "context.act_done"),
        ("I want to kill myself", "I'm going to do it", "context.veiled_intent"),
    ],
)
def test_follow_up_after_risk_is_emergency(earlier: str, message: str, rule: str) -> None:
    result = default_screener().screen(message, context=coachee(earlier))
    assert result.tier is Tier.EMERGENCY
    assert rule in result.rules


@pytest.mark.parametrize("message", ["I have them here", "they're in my bag", "tonight", "I've done it"])
def test_same_follow_up_without_context_is_none_or_check(message: str) -> None:
    assert default_screener().screen(message).tier <= Tier.CHECK


@pytest.mark.parametrize(
    ("earlier", "message"),
    [
        ("My goal is to present at the conference", "tonight"),
        ("I need to send the rota", "I've done it"),
        ("I need my tablets for my migraine", "I have them here"),
        ("I would never take all my tablets", "I have them here"),
    ],
)
def test_follow_up_after_ordinary_talk_stays_low(earlier: str, message: str) -> None:
    assert default_screener().screen(message, context=coachee(earlier)).tier <= Tier.CHECK


def test_bot_turns_are_not_read_as_the_coachees() -> None:
    context = (Turn(speaker="bot", text="Some people think about killing themselves. Do you?"),)
    assert default_screener().screen("tonight", context=context).tier is Tier.NONE


def test_only_the_last_few_turns_count() -> None:
    context = coachee("I want to kill myself", *["my goal is the audit"] * 6)
    assert default_screener().screen("tonight", context=context).tier is Tier.NONE


def test_context_never_lowers_the_message_itself() -> None:
    result = default_screener().screen("I've taken all my pills", context=coachee("hello"))
    assert result.tier is Tier.EMERGENCY
