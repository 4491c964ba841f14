"""First person versus talk about clinical work; a colleague's (or friend's) risk disclosed."""

from __future__ import annotations

import pytest

from safety.screener import default_screener
from safety.types import Tier


def screen(text: str) -> tuple[Tier, tuple[str, ...]]:
    result = default_screener().screen(text)
    return result.tier, result.rules


@pytest.mark.parametrize(
    "text",
    [
        "I'm leading the suicide prevention training next month",
        "I'm reviewing our overdose protocol for the acute unit",
        "We had a patient who self-harmed on the ward and I want to debrief the team",
        "I'm writing a policy on self-harm in ED",
        "I want to understand suicide risk assessment better",
        "I hear patients talk about wanting to die on most shifts in the hospice",
        "A man in A&E said he wanted to die",
        "The patient threatened to kill himself so we sectioned him",
        "We had three overdoses in ED last night, busy shift",
        "I want to write a reflective piece on burnout",
        "We need a ligature risk review on ward 4",
        "I'm a mental health nurse and often talk to people who are suicidal",
        "I supported a family after their son's suicide",
    ],
)
def test_talk_about_clinical_work_is_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules


@pytest.mark.parametrize(
    "text",
    [
        "I've been self-harming again",
        "I've had suicidal thoughts since the suicide prevention training",
        "I want to kill myself",
    ],
)
def test_first_person_is_risk_even_beside_clinical_words(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS, rules


@pytest.mark.parametrize(
    "text",
    [
        "my colleague said she wants to kill herself",
        "I'm worried my coworker might be suicidal",
        "one of my HCAs told me she's been having suicidal thoughts",
        "A friend on my team said he's been thinking of ending his life",
        "my best mate keeps talking about ending it",
        "My daughter said she wants to die",
        "She's been self harming and I'm really worried about her",
    ],
)
def test_colleague_or_friend_risk_disclosed_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS, rules
    assert any(r.startswith(("colleague.", "third_party.")) for r in rules)


def test_colleague_act_under_way_is_emergency() -> None:
    tier, rules = screen("my colleague has just taken a load of pills and locked herself in the toilet")
    assert tier is Tier.EMERGENCY, rules


@pytest.mark.parametrize(
    "text",
    [
        "My colleague is off with stress and I'm covering",
        "A colleague of mine just got promoted and I'm thrilled",
        "My colleague is stressed about her exams",
    ],
)
def test_colleague_without_risk_is_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules
