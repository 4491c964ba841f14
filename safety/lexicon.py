"""Shared word lists for the phrase rules, written against `normalise` output.

Normalised text is lower-case words and punctuation tokens separated by single spaces, with
contractions spelled out ("i am", "do not", "can not"). The fragments below are regex source
strings; rules combine them so each category module reads as phrases, not as regex soup.
"""

from __future__ import annotations

__all__ = [
    "ABUSER",
    "ADV",
    "FAMILY",
    "MEANS",
    "PERSON",
    "PILLS",
    "QUANTITY",
    "REL",
    "TIME",
    "TIME_PLAN",
    "W",
    "alt",
    "gap",
]


def alt(*parts: str) -> str:
    """A non-capturing alternation of regex parts."""
    return "(?:" + "|".join(parts) + ")"


W = r"[a-z0-9]+"
"""One word token."""


def gap(most: int) -> str:
    """Up to `most` intervening words or commas (never a sentence end), each with its leading space."""
    return rf"(?: (?:{W}|,)){{0,{most}}}?"


ADV = alt(
    "really",
    "just",
    "still",
    "actually",
    "honestly",
    "sometimes",
    "often",
    "always",
    "again",
    "kind of",
    "sort of",
    "literally",
    "seriously",
    "genuinely",
    "so",
    "even",
    "also",
    "now",
    "recently",
    "lately",
    "constantly",
    "properly",
    "totally",
    "completely",
    "absolutely",
    "basically",
    "truly",
    "simply",
    "only",
    "almost",
    "nearly",
    "definitely",
    "probably",
    "maybe",
    "quite",
    "pretty",
    "very",
    "fucking",
    "bloody",
    "secretly",
    "desperately",
)
"""Adverbs and fillers that may sit inside a phrase without changing it."""

PILLS = alt(
    r"pills?",
    r"tablets?",
    "meds",
    r"medications?",
    r"medicines?",
    "paracetamol",
    "co codamol",
    "codeine",
    "dihydrocodeine",
    "tramadol",
    "morphine",
    "oramorph",
    "oxycodone",
    r"fentanyl",
    "insulin",
    "sertraline",
    "citalopram",
    "fluoxetine",
    "mirtazapine",
    "amitriptyline",
    "propranolol",
    "diazepam",
    "zopiclone",
    "lithium",
    "quetiapine",
    "olanzapine",
    "pregabalin",
    "gabapentin",
    "venlafaxine",
    "paroxetine",
    "ibuprofen",
    "aspirin",
    "naproxen",
    r"benzos?",
    r"opioids?",
    r"opiates?",
    r"anti ?depressants?",
    r"painkillers?",
    r"sleeping (?:pills|tablets)",
    "tabs",
    "night nurse",
    "nytol",
    "antihistamines?",
    "prescription",
    r"(?:months|weeks) (?:supply|prescription|meds|tablets|pills)",
)
"""Medication people name when they talk about overdose."""

MEANS = alt(PILLS, "rope", "noose", "ligature", r"knife", "knives", r"blades?", r"razors?", r"razor blades?", "gun")
"""Means of self-harm or suicide."""

QUANTITY = alt(
    "all",
    "all of",
    "every one of",
    "too many",
    "a lot of",
    "a load of",
    "loads of",
    "lots of",
    "a bunch of",
    "a handful of",
    "handfuls of",
    "the whole",
    "a whole",
    "the lot of",
    "the rest of",
    r"a (?:full )?(?:bottle|box|packet|pack|strip|tub|jar|blister) of",
    r"(?:two|three|four|five|six|several|a few|\d+) (?:boxes|packets|bottles|packs|strips|tubs) of",
    r"\d{2,}",
    r"(?:over|about|around|like|maybe|at least) \d+",
    r"(?:ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|hundred|a hundred)(?: \w+)?",
    "double",
    "extra",
    "enough",
    "a stash of",
    "my stash of",
)
"""How much: the difference between taking your tablets and an overdose."""

_DAY = alt("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

TIME_PLAN = alt(
    "tonight",
    r"tomorrow(?: night| morning| evening)?",
    rf"this (?:evening|afternoon|weekend|{_DAY})",
    "at the weekend",
    rf"on {_DAY}",
    rf"{_DAY} (?:night|evening)",
    r"after (?:my |this |the |tonight is |today is |tomorrow is |tonights |todays )?(?:last |next |night |late |long |early )?"
    r"(?:shift|shifts|work|nights|night shift|day shift|handover|clinic)",
    r"when i (?:get home|get back|get off|finish(?: (?:work|my shift|this shift|tonight|today|up))?|am home|am off|am done|am alone|clock off)",
    r"when (?:everyone|everybody) (?:is|s|has|goes) (?:asleep|in bed|to bed|away)",
    r"when the (?:kids|children|house|family) (?:are|is|go|goes) (?:asleep|in bed|at school|empty|quiet|to bed|to sleep)",
    r"when (?:he|she|they|my \w+|the kids|the children|the house) (?:is|are|has|have|s|goes|go|leaves|gets|get|falls|fall) "
    r"(?:away|asleep|in bed|at work|to work|off to work|to bed|to sleep|for work|quiet|empty|home|back|in from work)",
    "when it gets dark",
    r"in (?:an|a few|\d+|two|three|one|half an) (?:hours?|minutes?|mins)",
    r"before (?:the|my) (?:morning|shift|kids get up)",
    "later tonight",
    "later today",
    "once everyone is asleep",
)
"""A time that turns a thought into a plan (POLICY: "tonight", "after my shift")."""

TIME = alt(TIME_PLAN, "today", "right now", "now", "soon", "this week", "later", "next week")
"""Any time marker, for statements of intent ("I'm going to do it today")."""

PERSON_NOUNS = alt(
    "manager",
    "boss",
    "line manager",
    r"colleagues?",
    r"co ?workers?",
    "partner",
    "husband",
    "wife",
    "ex",
    "ex partner",
    "boyfriend",
    "girlfriend",
    "mum",
    "mother",
    "dad",
    "father",
    "son",
    "daughter",
    "baby",
    "kids",
    "children",
    "child",
    "family",
    r"neighbours?",
    "team",
    "supervisor",
    "consultant",
    "matron",
    "registrar",
    "student",
    "sister",
    "brother",
    "flatmate",
    "housemate",
    "stepdad",
    "stepmum",
    r"patients?",
    "staff",
)

PERSON = alt(
    "him",
    "her",
    "them",
    "someone",
    "somebody",
    "anyone",
    "anybody",
    "people",
    "other people",
    "others",
    "everyone",
    "everybody",
    rf"my {PERSON_NOUNS}",
    rf"the {PERSON_NOUNS}",
    r"a (?:patient|colleague|child|baby|nurse|doctor|member of staff|student)",
    r"patients",
    r"colleagues",
    r"my ex s? new \w+",
)
"""Someone the coachee might harm."""

FAMILY = alt(
    "mum",
    "mom",
    "mam",
    "mother",
    "dad",
    "father",
    "family",
    "kids",
    "children",
    "wife",
    "husband",
    "partner",
    "parents",
    "son",
    "daughter",
    "girlfriend",
    "boyfriend",
    "sister",
    "brother",
    "nan",
    "gran",
    "grandma",
    "grandad",
    "fiance",
    "fiancee",
    "loved ones",
    "friends",
    "best friend",
)
"""Close family and friends, the people goodbyes are addressed to."""

ABUSER = alt(
    "my " + alt('partner', 'husband', 'wife', 'boyfriend', 'girlfriend', 'ex', 'ex partner', 'ex husband', 'ex wife', 'fiance', 'fiancee', 'dad', 'father', 'stepdad', 'step dad', 'mum', 'mother', 'stepmum', 'son', 'daughter', 'brother', 'sister', 'uncle', 'flatmate', 'housemate', 'landlord', 'other half', 'in laws', 'father in law', 'mother in law'),
)
"""Someone at home who might be hurting the coachee."""

REL = alt(
    r"colleagues?",
    r"co ?workers?",
    r"work ?mates?",
    r"team ?mates?",
    r"members? of (?:my|the|our) (?:team|staff|ward)",
    r"one of (?:my|our|the) (?:\w+ )?(?:team|staff|nurses|hcas|colleagues|juniors|students|doctors|porters|reports|trainees|midwives|therapists|admin team|girls|lads)",
    "my " + alt('friend', 'best friend', 'mate', 'manager', 'boss', 'line manager', 'supervisor', 'student', 'junior', 'registrar', 'reg', 'consultant', 'matron', 'deputy', 'direct report', 'report', 'staff nurse', 'hca', 'porter', 'secretary', 'receptionist', 'flatmate', 'housemate', 'partner', 'husband', 'wife', 'son', 'daughter', 'mum', 'mother', 'dad', 'father', 'brother', 'sister', 'sibling', 'boyfriend', 'girlfriend', 'fiance', 'fiancee', 'teenager', 'kid', 'child', 'niece', 'nephew', 'cousin', 'aunt', 'uncle', 'trainee', 'preceptee', 'mentee', 'apprentice', r'band \d', 'pa', 'buddy', 'neighbour'),
    r"a (?:friend|colleague|co ?worker|mate|member of staff|nurse|doctor|porter|student|hca|midwife) (?:on|in|from|at) (?:my|our|the) (?:team|ward|unit|department|work|practice)",
    r"someone (?:on|in|from|at) (?:my|our) (?:team|ward|unit|department|work)",
    "a friend",
    r"(?:friend|colleague|mate) of mine",
)
"""Colleagues, friends and family whose risk the coachee may disclose (POLICY: crisis)."""
