"""The learned layer's decision: class probabilities to a tier, which can only raise the rules' tier.

A cascade keeps it cheap: the gate (wording only) reads every message; the full head (meaning
too) reads every message the gate or the rules find any risk or stress in. An ordinary answer
("Tuesday at 3", "send it") is settled by the gate; anything else gets the sentence model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from safety.semantic.embedder import Embedder, default_embedder
from safety.semantic.features import lexical
from safety.semantic.head import Floats, Head, Thresholds, default_head
from safety.types import Tier

__all__ = ["Reading", "SemanticLayer", "decide", "has_words"]

_NONE, _STRESS, _CRISIS, _EMERGENCY = range(4)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the model read in one message."""

    tier: Tier
    rule: str | None
    """`model.<tier>` when the model found anything, else None."""
    score: float
    """P(crisis or emergency), rounded: what `coachbot screen` shows as "score"."""


NOTHING = Reading(Tier.NONE, None, 0.0)

_LETTERS = re.compile(r"[a-z]{2,}")
_NOT_WORDS = frozenset({"am", "pm", "th", "st", "nd", "rd", "ish", "hrs", "hr", "mins", "min", "sec", "secs"})


def has_words(text: str) -> bool:
    """Whether a normalised message has a word in it for the model to read. A time, a date or a number alone
    ("7.30am", "12/3", "8") carries no meaning the model was trained on, so only the rules read it."""
    return any(word not in _NOT_WORDS for word in _LETTERS.findall(text))


def decide(probs: Floats, thresholds: Thresholds) -> Reading:
    """The tier one row of class probabilities gives under `thresholds`."""
    risk = float(probs[_CRISIS] + probs[_EMERGENCY])
    score = round(risk, 3)
    if risk >= thresholds.crisis:
        if float(probs[_EMERGENCY]) >= thresholds.emergency:
            return Reading(Tier.EMERGENCY, "model.emergency", score)
        return Reading(Tier.CRISIS, "model.crisis", score)
    if risk + float(probs[_STRESS]) >= thresholds.stress:
        return Reading(Tier.STRESS, "model.stress", score)
    if risk >= thresholds.check:
        return Reading(Tier.CHECK, "model.check", score)
    return Reading(Tier.NONE, None, score)


class SemanticLayer:
    """Reads normalised messages in batches (one model call for all the messages waiting together)."""

    def __init__(self, head: Head | None = None, embedder: Embedder | None = None) -> None:
        self._head = head or default_head()
        self._embedder = embedder or default_embedder()

    @property
    def version(self) -> str:
        return self._head.version

    def read(self, texts: Sequence[str], *, hints: Sequence[Tier] | None = None) -> list[Reading]:
        """One reading per normalised text; `hints` are the rules' tiers (any risk there gets the full head)."""
        if not texts:
            return []
        features = [lexical(text) for text in texts]
        gate = self._head.gate(features)
        thresholds = self._head.thresholds
        alert = gate[:, _STRESS:].sum(axis=1) >= thresholds.gate
        if hints is not None:
            alert |= np.fromiter((hint >= Tier.CHECK for hint in hints), dtype=bool, count=len(texts))
        worded = [has_words(text) for text in texts]
        alert &= np.array(worded, dtype=bool)
        readings = [decide(row, thresholds) if read else NOTHING for read, row in zip(worded, gate, strict=True)]
        chosen = [int(i) for i in np.flatnonzero(alert)]
        if chosen:
            vectors = self._embedder.embed([texts[i] for i in chosen])
            probs = self._head.full(vectors, [features[i] for i in chosen])
            for row, i in zip(probs, chosen, strict=True):
                readings[i] = decide(row, thresholds)
        return readings
