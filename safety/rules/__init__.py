"""Phrase rules by category. Each module holds one category; ids are `category.name` and stable."""

from __future__ import annotations

from safety.rules import (
    abuse,
    active_ideation,
    acts_goodbyes,
    check,
    harm_others,
    hopelessness,
    passive_ideation,
    plain_words,
    plan_means,
    self_harm,
    severe_distress,
    stress,
    third_party,
)
from safety.rules.model import Rule, Subject, rule

__all__ = ["ALL_RULES", "FALLBACK_RULES", "IDEATION_CATEGORIES", "Rule", "Subject", "rule"]

ALL_RULES: tuple[Rule, ...] = (
    *passive_ideation.RULES,
    *active_ideation.RULES,
    *self_harm.RULES,
    *plan_means.RULES,
    *acts_goodbyes.RULES,
    *plain_words.RULES,
    *harm_others.RULES,
    *abuse.RULES,
    *hopelessness.RULES,
    *severe_distress.RULES,
    *third_party.RULES,
    *stress.RULES,
    *check.RULES,
)
"""Every phrase rule, in category order."""

FALLBACK_RULES: tuple[Rule, ...] = check.FALLBACK
"""Rules tried only when no other rule fired at all."""

IDEATION_CATEGORIES = frozenset(
    {"passive_ideation", "active_ideation", "self_harm", "plan", "means", "preparation", "act", "goodbye"}
)
"""Categories about the coachee's own suicide or self-harm risk: a time or a follow-up can make them imminent."""
