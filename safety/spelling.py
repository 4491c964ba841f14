"""Misspelt and run-together risk words, read back as the words a person meant.

Someone typing through tears writes "sucidal", "overdsoe", "iwanttodie". A hand list of
misspellings only covers the ones someone thought of, so two general repairs run on any word
that is not an English word:
- within one edit (a wrong, missing, extra or swapped letter) of a risk word: read as that word;
- a run of words with no spaces: split back into words (wordninja, English word frequencies),
  kept only when the pieces are all known words and one of them carries risk, or the run is long
  and clear (three words or more, ten letters or more), so the model reads words either way.
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
_MIN_PLAIN_RUN = 10
"""A run with no risk word in it is split back only when it is this long and three words or more."""
_SHORT_PIECES = frozenset({"i", "a"})
_COST: dict[str, float] = wordninja.DEFAULT_LANGUAGE_MODEL._wordcost
_WORDS: frozenset[str] = frozenset(_COST)
_MAX_PLAIN_COST = 12.7
"""About the 28,000 commonest words: a drug's name ("sertraline") is no run of them ("sert ra line")."""
_SPEAKING = frozenset({"i", "im", "me", "my", "myself", "you", "your", "we", "us", "our", "he", "she", "him", "her",
                       "they", "them", "it", "this", "that", "would", "will", "could", "should", "can", "cant",
                       "dont", "want", "just", "am", "is", "was", "not", "no", "never", "nobody", "everyone",
                       "anyone", "someone", "nothing", "everything"})
"""Pronouns and the little words of a sentence: a run with none of them is more likely a name ("halo per idol")."""
_SHORT_COMMON = frozenset({"i", "a", "me", "my", "to", "in", "on", "it", "of", "is", "be", "do", "so", "no", "up",
                           "at", "am", "im", "go", "he", "we", "us", "or", "an", "if", "as", "by", "ok"})
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
    if any(p in _RISKY or correct(p) for p in pieces):
        return pieces
    # No risk word in it, but a clear run of words ("nobodywouldmissme"): the model reads the words, not the run.
    if len(pieces) < 3 or len(word) < _MIN_PLAIN_RUN or correct(word):
        return None  # a misspelt risk word ("paracetmol") is that word, not a run
    common = all(_COST[p] <= _MAX_PLAIN_COST and (len(p) > 2 or p in _SHORT_COMMON) for p in pieces)
    said = any(p in _SPEAKING for p in pieces)  # a person saying something, not syllables of a name
    return pieces if common and said and len(word) / len(pieces) >= 3 else None
