"""Whose experience a phrase is about: "I want to die" versus "patients who want to die".

Walks back from the phrase to the start of its sentence. The nearest first-person word wins
over the nearest third-person word; with neither (a subjectless "want to die tbh"), the
message is read as the coachee's own, because under-triage is the failure that hurts people.
"""

from __future__ import annotations

__all__ = ["FIRST_PERSON", "THIRD_PERSON", "is_about_self", "subject_before"]

FIRST_PERSON = frozenset({"i", "me", "my", "myself", "mine", "im"})

THIRD_PERSON = frozenset(
    {
        "he", "she", "they", "patient", "patients", "client", "clients", "user", "users", "resident", "residents",
        "caller", "callers", "service", "people", "person", "someone", "somebody", "anyone", "anybody", "man", "men",
        "woman", "women", "lady", "ladies", "gentleman", "guy", "guys", "girl", "girls", "boy", "boys", "child",
        "children", "kid", "kids", "teenager", "teenagers", "adolescent", "adolescents", "youngster", "colleague",
        "colleagues", "coworker", "coworkers", "workmate", "friend", "friends", "mate", "nurse", "nurses", "doctor",
        "doctors", "staff", "student", "students", "who", "whom", "whose", "family", "relative", "relatives", "mum",
        "dad", "mother", "father", "son", "daughter", "husband", "wife", "partner", "boyfriend", "girlfriend",
        "brother", "sister", "sibling", "manager", "boss", "team", "everyone", "everybody", "folk", "folks", "those",
        "others", "cousin", "uncle", "aunt", "nan", "gran", "grandad", "grandma", "baby", "neighbour", "paramedic",
        "consultant", "registrar", "hca", "porter", "matron", "junior", "juniors", "trainee", "mentee", "admissions",
        "case", "cases", "referral", "referrals", "attender", "attenders"
    }
)  # fmt: skip

_OBJECT_MARKERS = frozenset(
    [
        "at",
        "to",
        "with",
        "for",
        "about",
        "of",
        "from",
        "on",
        "by",
        "than",
        "like",
        "in",
        "into",
        "towards",
        "around",
        "near",
        "over",
        "under",
        "without",
        "against",
        "among",
        "after",
        "before",
        "behind",
        "beside",
        "hate",
        "hates",
        "hated",
        "love",
        "loves",
        "told",
        "tell",
        "telling",
        "help",
        "helping",
        "helped",
        "see",
        "saw",
        "seeing",
        "annoy",
        "annoys",
        "miss",
        "support",
        "supporting",
        "treat",
        "treating",
        "nurse",
        "nursing",
        "caring",
        "let",
        "letting",
        "blame",
        "blaming",
        "disappoint",
        "disappointing",
        "fail",
        "failing",
        "failed",
        "look",
        "looking",
    ]
)
"""Words that put the next noun in object position ("snapping at everyone", "I nurse patients")."""


def subject_before(text: str, start: int, sentence_start: int = 0) -> int:
    """+1 if the phrase at `start` is first person, -1 if someone else's, 0 if no subject is named.

    `sentence_start` bounds the look-back (from `Sentences.start_of`).
    """
    if text.startswith(("i ", "my ", "me "), start):
        return 1
    tokens = text[sentence_start:start].split()
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        if token in FIRST_PERSON:
            return 1
        if token in THIRD_PERSON and (index == 0 or tokens[index - 1] not in _OBJECT_MARKERS):
            return -1
    return 0


def is_about_self(text: str, start: int, sentence_start: int = 0) -> bool:
    """True when the phrase at `start` is the coachee's own experience: first person, or no subject."""
    return subject_before(text, start, sentence_start) >= 0
