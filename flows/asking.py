"""Noticing a question typed where an answer was expected ("what kind of things can I work on?"), so it is
answered and the question asked again, instead of being stored as the coachee's goal.

Only a question *about the bot's question* counts: it ends with a question mark or opens like one, and it
talks about the question itself (what it means, an example, what counts, what they should say). A goal that
happens to be a question ("How do I get my team to speak up?") is left alone, and anyone the bot misreads
just sends the same words again: the second time they are kept as the answer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from flows.parsing import fold

__all__ = ["fingerprint", "is_question_about_the_question"]

_OPENERS = re.compile(r"^(?:what|whats|what's|how|can|could|do|does|should|is|are|which|why|sorry|um|erm|eh|"
                      r"huh|hm+|like)\b")
_MAX_WORDS = 16
"""A question about the question is short; a long message with a question mark in it is an answer."""
_PLAIN_WORDS = 10
_SPOKEN = {"kinda": "kind of", "sorta": "sort of", "wat": "what", "wot": "what", "u": "you", "ya": "you",
           "dunno": "don't know", "dont": "don't", "eg": "example", "e.g": "example"}
"""Phone spellings read as the words they stand for; a number reads as "number" ("what does 10 mean?")."""


def is_question_about_the_question(text: str, *, markers: Sequence[str], plain: Sequence[str] = ()) -> bool:
    """`markers` count in a short message shaped like a question; `plain` in any short message."""
    folded = fold(text)
    words = [_SPOKEN.get(w, "number" if w.isdigit() else w) for w in re.findall(r"[a-z0-9']+", folded)]
    if not words or len(words) > _MAX_WORDS:
        return False
    spaced = " " + " ".join(words) + " "
    if len(words) <= _PLAIN_WORDS and any(f" {marker} " in spaced for marker in plain):
        return True
    if not (folded.rstrip(" .!").endswith("?") or _OPENERS.match(folded)):
        return False
    return any(f" {marker} " in spaced for marker in markers)


def fingerprint(text: str) -> str:
    """What a misread question is remembered by, so sending it again keeps it: a hash, never the words."""
    return hashlib.sha256(fold(text).rstrip(" ?.!").encode("utf-8")).hexdigest()[:16]
