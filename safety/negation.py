"""Negation and hedging: "I would never hurt myself" is not a plan; "...probably" is a `check`.

Only looks at the few words just before a phrase, inside its clause, so "I can't stop
thinking about death" and "nobody knows I self-harm" keep their meaning.
"""

from __future__ import annotations

import re
from enum import Enum

__all__ = ["Negation", "has_hedge", "negation_before"]


class Negation(Enum):
    """How a phrase is negated."""

    NONE = "none"
    EXPLICIT = "explicit"
    """Plainly denied: the phrase does not count."""
    HEDGED = "hedged"
    """Denied with a hedge ("probably", "I don't think", "not yet"): ask directly."""


_NEGATORS = frozenset({"not", "never", "no", "nobody", "noone", "nothing", "nor", "neither", "without"})
_NOT_NEGATING_NEXT = (
    ("sure",),
    ("know",),
    ("stop",),
    ("help",),
    ("even", "sure"),
    ("think", "i", "can"),
    ("think", "i", "could"),
    ("see", "how"),
    ("long",),
    ("only",),
    ("felt", "so"),
    ("been", "so"),
    ("felt", "this"),
    ("been", "this"),
    ("felt", "more"),
    ("been", "more"),
    ("wait",),
    ("care", "if"),
    ("understand",),
    ("matter",),
    ("one",),
    ("point",),
    ("longer", "able"),
)
_THINK_WORDS = frozenset({"think", "believe", "reckon", "suppose", "expect", "imagine"})
_CLAUSE_BREAKS = frozenset(
    {".", ",", "!", "?", ";", ":", "...", "but", "and", "because", "so", "although", "though", "while", "cos", "or",
     "yet", "then"}
)  # fmt: skip
_WINDOW = 6

_HEDGE = re.compile(
    r"\b(?:probably|maybe|perhaps|i think|i do not think|not sure|i guess|i suppose|hopefully|i hope|for now|yet|"
    r"at the moment|right now|not today|not tonight|most likely|likely|unlikely|i doubt|i do not know|touch wood|"
    r"i reckon|at least not|not really|kind of|sort of|possibly|might|for the moment|i would like to think)\b"
    r"|\.\.\."
)


def has_hedge(text: str) -> bool:
    """Does the message hedge ("probably", "I don't think", "not yet", "...")?"""
    return _HEDGE.search(text) is not None


def negation_before(text: str, start: int) -> Negation:
    """How the phrase starting at `start` is negated by the words just before it."""
    tokens = text[:start].split()
    clause: list[str] = []
    for token in reversed(tokens):
        if token in _CLAUSE_BREAKS or len(clause) >= _WINDOW:
            break
        clause.append(token)
    clause.reverse()
    for index in range(len(clause) - 1, -1, -1):
        if clause[index] not in _NEGATORS:
            continue
        after = clause[index + 1 :]
        if any(tuple(after[: len(prefix)]) == prefix for prefix in _NOT_NEGATING_NEXT):
            return Negation.NONE
        if after and after[0] in _THINK_WORDS:
            return Negation.HEDGED
        if "i" in after:
            return Negation.NONE
        return Negation.HEDGED if has_hedge(text) else Negation.EXPLICIT
    return Negation.NONE
