"""Each phrase-rule category, with phrasings, slang and misspellings the rules must generalise to."""

from __future__ import annotations

import pytest

from safety.rules import ALL_RULES, FALLBACK_RULES
from safety.screener import default_screener
from safety.types import Tier


def screen(text: str) -> tuple[Tier, tuple[str, ...]]:
    result = default_screener().screen(text)
    return result.tier, result.rules


def fired_category(rules: tuple[str, ...], category: str) -> bool:
    return any(r.startswith(category + ".") for r in rules)


PASSIVE = [
    "Some nights I pray I just don't wake up",
    "honestly I'd be better off not waking up",
    "everyone would be happier if I was gone",
    "I wish I could just stop existing",
    "I want to disappear and never come back",
    "no one would even notice if I died",
    "I don't want to be alive anymore",
    "life isn't worth living any more",
    "Death would be a relief",
    "i just wanna sleep forever",
    "I'd be doing everyone a favour if I disappeared",
    "part of me wants to die",
]
ACTIVE = [
    "I keep thinking I should just end it all",
    "I think about ending it most days",
    "i wanna kms",
    "honestly thinking of unaliving myself",
    "been having sewerslide thoughts",
    "feeling suicidle again",
    "thinking bout suicide alot",
    "I keep thinking about walking in front of a bus",
    "I'm thinking of driving my car into the river",
    "I looked up how many paracetamol would kill me",
    "My mind keeps telling me to jump",
    "im gonna top meself",
]
SELF_HARM = [
    "I've been cutting my legs so nobody sees",
    "i've relapsed, been cutting again",
    "I've been self-harmin",
    "I burn myself when it gets too much",
    "the urge to cut is really strong tonight",
    "been sh again",
    "I've been scratching at my skin till it bleeds",
]
EMERGENCY = [
    "I've taken 16 co-codamol",
    "I just swallowed a load of pills",
    "I've just necked a bottle of pills",
    "I've been stockpiling my meds for weeks",
    "I've bought a load of paracetamol",
    "I've got 50 paracetamol lined up",
    "I have a noose in my room",
    "I'm going to end it tonight",
    "I'm going to hang myself when my husband goes to work",
    "I'm ending it after my shift",
    "I've decided, I'm doing it this weekend",
    "I'm about to jump off the car park roof",
    "im on the bridge and im going to jump",
    "I've cut my wrist and it won't stop bleeding",
    "I've written my suicide note",
]
GOODBYES = [
    "Goodbye. I'm sorry for everything",
    "this is my last message to anyone",
    "bye everyone, i can't do this anymore",
    "Please tell my kids I love them",
    "you won't have to put up with me much longer",
]
HARM_OTHERS = [
    "I have urges to hurt my baby",
    "I think I might hurt someone at work",
    "I want to punch my manager in the face",
    "I fantasise about hurting him",
]
ABUSE = [
    "my boyfriend strangled me last week",
    "I'm frightened to go home to him",
    "I feel unsafe at home",
    "my stepdad hits my mum and me",
    "He threatened to kill me if I leave",
    "I'm being bullied at home by my husband, he won't let me leave the house",
]
HOPELESS = [
    "There's no way out for me",
    "I'm so hopeless about everything",
    "I feel like a waste of oxygen",
    "life is pointless and I'm done with it",
    "I've lost the will to live",
    "I'm nothing but a burden to my family",
]
SEVERE = [
    "The voices are back",
    "I keep hearing someone whisper my name",
    "I haven't slept in four days",
    "I haven't eaten properly for a week",
    "I think my neighbours are reading my thoughts",
    "I'm scared of what I might do to myself",
]
STRESS = [
    "Work's doing my head in and I can't sleep",
    "I'm constantly on the verge of tears",
    "I've been signed off for a fortnight with work stress",
    "My nerves are shot",
    "im soooo stressed rn",
    "i cry in the loos most days",
    "The anxiety is unbearable, I keep having panic attacks",
    "Im so burnt out i cant function",
    "I'm at the end of my rope with this job",
    "I can't switch my brain off at night",
    "I'm having a breakdown",
    "I'm stressed out",
]
CHECK = [
    "what's even the point",
    "I'm done. Just done.",
    "I've made my decision.",
    "I'm tired of fighting",
    "nobody would even notice",
]


@pytest.mark.parametrize("text", PASSIVE)
def test_passive_ideation_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS, rules


@pytest.mark.parametrize("text", ACTIVE)
def test_active_ideation_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS, rules


@pytest.mark.parametrize("text", SELF_HARM)
def test_self_harm_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS and fired_category(rules, "self_harm"), rules


@pytest.mark.parametrize("text", EMERGENCY)
def test_plan_means_preparation_timing_and_acts_are_emergency(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.EMERGENCY, rules


@pytest.mark.parametrize("text", GOODBYES)
def test_goodbyes_are_emergency(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.EMERGENCY and fired_category(rules, "goodbye"), rules


@pytest.mark.parametrize("text", HARM_OTHERS)
def test_harm_to_others_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS and fired_category(rules, "harm_others"), rules


@pytest.mark.parametrize(
    "text",
    ["I'm going to hurt him tonight when he gets home", "I've got a knife and I'm going to stab my manager tomorrow"],
)
def test_imminent_threat_to_others_is_emergency(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.EMERGENCY and "harm_others.imminent" in rules


@pytest.mark.parametrize("text", ABUSE)
def test_abuse_and_unsafe_at_home_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS and fired_category(rules, "abuse"), rules


@pytest.mark.parametrize(
    "text",
    ["He's got a knife and he's threatening to kill me", "My partner is hitting me right now and I'm in the bathroom"],
)
def test_attack_under_way_is_emergency(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.EMERGENCY, rules


@pytest.mark.parametrize("text", HOPELESS)
def test_hopelessness_and_burden_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS, rules


@pytest.mark.parametrize("text", SEVERE)
def test_severe_distress_is_crisis(text: str) -> None:
    tier, rules = screen(text)
    assert tier >= Tier.CRISIS and fired_category(rules, "severe_distress"), rules


@pytest.mark.parametrize("text", STRESS)
def test_high_stress_anxiety_and_burnout_is_stress(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.STRESS and fired_category(rules, "stress"), rules


@pytest.mark.parametrize("text", CHECK)
def test_ambiguous_signals_are_check(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.CHECK and fired_category(rules, "check"), rules


@pytest.mark.parametrize(
    "text",
    [
        "6",
        "about a seven",
        "My role model is my mum, she was a district nurse",
        "If a miracle happened I'd walk into a calm handover",
        "The cost would be a few late nights",
        "I'd love to get my band 7 by next year",
        "Thanks for today, bye!",
        "I want to stop saying yes to every extra shift",
    ],
)
def test_ordinary_coaching_answers_are_none(text: str) -> None:
    tier, rules = screen(text)
    assert tier is Tier.NONE, rules


def test_rule_ids_are_unique_and_named_by_category() -> None:
    ids = [r.id for r in (*ALL_RULES, *FALLBACK_RULES)]
    assert len(ids) == len(set(ids))
    assert all(i.count(".") == 1 for i in ids)
    categories = {i.split(".")[0] for i in ids}
    assert {
        "passive_ideation",
        "active_ideation",
        "self_harm",
        "plan",
        "means",
        "preparation",
        "act",
        "goodbye",
        "harm_others",
        "abuse",
        "hopelessness",
        "severe_distress",
        "stress",
        "check",
        "colleague",
    } <= categories


def test_soft_rules_never_above_stress() -> None:
    """The idiom guard may only ever lower rules flagged soft, and those are never crisis or emergency."""
    assert all(r.tier <= Tier.STRESS for r in ALL_RULES if r.soft or r.idiomatic)
