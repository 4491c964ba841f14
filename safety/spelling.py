"""Misspelt and run-together risk words, read back as the words a person meant.

Someone typing through tears writes "sucidal", "overdsoe", "iwanttodie". A hand list of
misspellings only covers the ones someone thought of, so two general repairs run on any word
that is not an English word:
- within one edit (a wrong, missing, extra or swapped letter) of a risk word: read as that word;
- a run of words with no spaces: split back into words (wordninja, English word frequencies),
  kept only when the pieces are all known words and one of them carries risk.
Known English words are never changed ("dye" stays "dye"), so ordinary text is untouched.
"""

from __future__ import annotations

from functools import lru_cache

import wordninja
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

__all__ = ["RISK_WORDS", "correct", "is_known", "split_run"]

RISK_WORDS: tuple[str, ...] = (
    "suicide", "suicidal", "suicides", "overdose", "overdosed", "overdosing", "tablets", "paracetamol",
    "myself", "killing", "kill", "hanging", "noose", "stockpiled", "stockpiling", "goodbye", "insulin",
    "morphine", "razor", "razors", "blades", "wrists", "bridge", "jumping", "strangle", "stabbing",
    "selfharm", "harming", "hurting", "unalive", "anymore", "worthless", "hopeless", "burden", "pointless",
    "stressed", "anxious", "anxiety", "overwhelmed", "exhausted", "panicking", "breakdown", "struggling",
    "depressed", "crying", "sobbing", "terrified", "dying",
)  # fmt: skip
"""Words the rules and the model lean on. One edit from one of these (and no English word) reads as it."""

_MIN_FUZZY = 5
"""Shorter words are too close to too many others ("dye", "cur") to correct safely."""
_MIN_RUN = 7
_SHORT_PIECES = frozenset({"i", "a"})
_WORDS: frozenset[str] = frozenset(wordninja.DEFAULT_LANGUAGE_MODEL._wordcost)
_RISKY = frozenset(RISK_WORDS) | {"die", "dead", "pills", "od", "kms", "hang", "jump", "cut", "end", "rope", "knife"}


def is_known(word: str) -> bool:
    """An English word (or one of the risk words themselves)."""
    return word in _WORDS or word in _RISKY


@lru_cache(maxsize=16384)
def correct(word: str) -> str | None:
    """The risk word `word` is one edit away from, if it is no English word itself."""
    if len(word) < _MIN_FUZZY or not word.isalpha() or is_known(word):
        return None
    found = process.extractOne(word, RISK_WORDS, scorer=DamerauLevenshtein.distance, score_cutoff=1)
    return None if found is None else str(found[0])


@lru_cache(maxsize=16384)
def split_run(word: str) -> tuple[str, ...] | None:
    """`word` split into the words run together in it, when that reveals a risk word."""
    if len(word) < _MIN_RUN or not word.isalpha() or word in _WORDS:
        return None
    pieces = tuple(wordninja.split(word))
    if len(pieces) < 2 or "".join(pieces) != word:
        return None
    if any(len(p) == 1 and p not in _SHORT_PIECES for p in pieces) or not all(p in _WORDS for p in pieces):
        return None
    if not any(p in _RISKY or correct(p) for p in pieces):
        return None
    return pieces
