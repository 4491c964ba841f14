"""Idiom guard, negation and hedged negation, past-and-resolved, mild wording and coaching topics."""

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
        "This audit is killing me slowly lol",
        "I could kill for a holiday right now",
        "Dying for a brew",
        "I smashed my revalidation, killed it",
        "I'd murder a bacon sandwich right now",
        "I'm dead on my feet after that run of lates",
        "We need to cut costs on agency staff",
        "Shoot me an email with the dates",
        "Knock 'em dead at the panel",
        "I'll die of embarrassment if the slides crash",
        "Hanging on by a thread with this IT system lol",
        "I'm losing my mind with these IT outages lol",
        "I'm drowning in paperwork but it's nothing new",
        "The fire drill was a nightmare lol",
        "I'm sick to death of chasing blood results",
    ],
)
def test_workplace_idioms_are_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("this job is killing me and honestly I want to kill myself", Tier.CRISIS),
        ("the rota is killing me lol and I keep thinking about ending my life", Tier.CRISIS),
        ("I'm dying to get out of here, I want to die", Tier.CRISIS),
        ("haha I'm dead tired but I've got the pills counted out", Tier.EMERGENCY),
        ("cutting costs all week and now I'm cutting myself again", Tier.CRISIS),
    ],
)
def test_idiom_guard_never_lowers_explicit_crisis_or_emergency(text: str, tier: Tier) -> None:
    got, rules = screen(text)
    assert got is tier, rules


def test_idiom_guard_is_reported_when_it_changes_the_outcome() -> None:
    tier, rules = screen("Hanging on by a thread with this IT system")
    assert tier is Tier.NONE
    assert "guard.idiom" in rules and "stress.falling_apart" in rules


@pytest.mark.parametrize(
    "text",
    [
        "I would never hurt myself",
        "I'd never kill myself, my kids need me",
        "I'm not suicidal, just frustrated with the job",
        "I have no thoughts of suicide at all",
        "I'm not depressed or anything, I just want a new challenge",
        "I'm not stressed, just a bit bored",
    ],
)
def test_plain_negation_is_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules


@pytest.mark.parametrize(
    "text",
    [
        "I wouldn't do anything... probably",
        "I'm not going to hurt myself. Probably.",
        "I don't think I'd actually kill myself",
        "I'm not suicidal, not right now anyway",
        "I won't do anything silly, I promise... I think",
    ],
)
def test_hedged_negation_is_check(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.CHECK, rules
    assert "negation.hedged" in rules or "check.hedged_denial" in rules


def test_negation_in_one_clause_does_not_hide_the_next() -> None:
    tier, rules = screen("I'm not suicidal or anything but I do wish I could disappear forever")
    assert tier is Tier.CRISIS, rules


@pytest.mark.parametrize(
    "text",
    [
        "I can't stop thinking about death",
        "I don't think I can keep living like this",
        "I don't want to live anymore",
        "nobody knows I self harm",
    ],
)
def test_negation_words_that_are_part_of_the_risk_keep_it(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS, rules


@pytest.mark.parametrize(
    "text",
    [
        "I used to panic about public speaking but now it's fine",
        "I was stressed during the inspection but it went fine",
        "I used to self harm as a teenager but that's long behind me",
        "I was suicidal years ago but I've had therapy and I'm in a good place",
        "My GP signed me off with stress last year but I'm back and thriving",
    ],
)
def test_past_and_resolved_is_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules


def test_past_attempt_without_resolution_is_history_not_emergency() -> None:
    tier, rules = screen("I took an overdose years ago")
    assert tier is Tier.CRISIS and "guard.past" in rules


@pytest.mark.parametrize(
    "text",
    [
        "A little anxious about the interview but mostly excited",
        "I'm a bit stressed about the CQC visit but it's manageable",
        "I'm a bit overwhelmed with the new role but getting there",
        "I want to help my team cope with burnout",
        "I'd like to get better at managing stress in busy clinics",
    ],
)
def test_mild_mitigated_or_topical_stress_is_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to do it tomorrow, book the meeting with HR",
        "I hurt myself lifting a patient last week",
        "I cut myself on a broken ampoule, all fine now",
    ],
)
def test_task_and_accident_context_is_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules


@pytest.mark.parametrize(
    "text",
    [
        "not tonight, at the weekend i'm going to take all my tablets",
        "i am not going to take my tablets tonight, at the weekend when the house is empty",
        "not going to do it tonight, maybe tomorrow",
        "no i have taken all my tablets",
        "No, I've written my note and it's in the drawer",
        "I've taken all my pills, also need to send the rota",
    ],
)
def test_a_deferral_a_task_or_a_leading_no_never_cancels_an_explicit_act_or_plan(text: str) -> None:
    assert default_screener().screen(text).tier is Tier.EMERGENCY


@pytest.mark.parametrize(
    "text", ["i would never take an overdose", "no i would never hurt myself", "i am not going to kill myself"]
)
def test_a_plain_denial_still_cancels(text: str) -> None:
    assert default_screener().screen(text).tier <= Tier.CHECK
