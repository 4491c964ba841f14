"""What a phrase rule is: a stable id, a tier, a pattern and how guards may treat it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cache

from safety.types import Tier

__all__ = ["Rule", "Subject", "rule"]


class Subject(Enum):
    """Whose experience the phrase must be about for the rule to count."""

    ANY = "any"
    """The phrase carries its own subject ("kill myself", "my colleague said she...")."""
    SELF = "self"
    """First person or no subject at all ("want to die", "suicidal"); not "patients who..."."""
    OTHER = "other"
    """Someone else, named before the phrase ("she is suicidal"); never the coachee."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One phrase rule. Guards read the flags; the id explains every decision."""

    id: str
    tier: Tier
    source: str
    """The regex, written against `normalise` output. The screener runs it split into its alternatives."""
    subject: Subject = Subject.ANY
    negatable: bool = True
    """A negation just before the match ("I would never...") cancels it, or makes it `check` if hedged."""
    soft: bool = False
    """Idiom, mild-wording, mitigation and topic guards may lower it. Only allowed up to `stress`."""
    scoped: bool = True
    """Clinical-topic spans ("suicide prevention training") cancel it."""
    third_party: bool = False
    """About someone else with no relationship named: cancelled when the message is clinical talk."""
    idiomatic: bool = False
    """Often hyperbole ("losing my mind", "drowning"): a humour marker (lol, haha) may lower it."""
    veiled: bool = False
    """Veiled ("I'm going to do it today"): a coaching task named in the message ("book the meeting") cancels it."""

    def __post_init__(self) -> None:
        if (self.soft or self.idiomatic) and self.tier > Tier.STRESS:
            raise ValueError(f"{self.id}: the idiom guard may never lower a crisis or emergency rule")
        if "." not in self.id:
            raise ValueError(f"{self.id}: rule ids are category.name")

    @property
    def pattern(self) -> re.Pattern[str]:
        """The whole pattern, compiled on first use: the screener itself only compiles the alternatives it runs."""
        return _compile(self.source)


@cache
def _compile(source: str) -> re.Pattern[str]:
    return re.compile(source)


def rule(
    rule_id: str,
    tier: Tier,
    pattern: str,
    *,
    subject: Subject = Subject.ANY,
    negatable: bool = True,
    soft: bool = False,
    scoped: bool = True,
    third_party: bool = False,
    idiomatic: bool = False,
    veiled: bool = False,
) -> Rule:
    """Build a rule. Nothing is compiled here: importing the rules must stay cheap for every command."""
    return Rule(
        id=rule_id,
        tier=tier,
        source=pattern,
        subject=subject,
        negatable=negatable,
        soft=soft,
        scoped=scoped,
        third_party=third_party,
        idiomatic=idiomatic,
        veiled=veiled,
    )
