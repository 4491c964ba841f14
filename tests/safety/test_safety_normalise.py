"""Each normalisation step, through the public `normalise`."""

from __future__ import annotations

import pytest

from safety.normalise import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # lower-case, NFKC, curly quotes, zero-width characters
        ("I’M DONE", "i am done"),
        ("ｓｔｒｅｓｓｅｄ", "stressed"),
        ("sui\u200bcide", "suicide"),
        ("can\u2019t cope", "can not cope"),
        # contractions, with and without the apostrophe
        ("I'd rather be dead", "i would rather be dead"),
        ("I'd taken them", "i had taken them"),
        ("won't, can't, don't", "will not , can not , do not"),
        (
            "im ok, ive tried, cant sleep, dont care, wont stop",
            "i am ok , i have tried , can not sleep , do not care , will not stop",
        ),
        ("it's fine", "it is fine"),
        ("my mum's car", "my mums car"),
        # stretched letters
        ("soooo stressed", "so stressed"),
        ("pleeease help", "please help"),
        ("killlll me", "kill me"),
        # letters typed apart
        ("k i l l myself", "kill myself"),
        ("s.u.i.c.i.d.e", "suicide"),
        ("k-i-l-l me", "kill me"),
        ("I m a nurse", "i am a nurse"),
        ("a b c d", "a b c d"),
        # a whole phrase typed apart is split back into its words
        ("k i l l m y s e l f", "kill myself"),
        ("i w a n t t o d i e", "i want to die"),
        ("t e a m m e e t i n g", "t e a m m e e t i n g"),
        # misspellings
        ("suicidle", "suicidal"),
        ("sucide", "suicide"),
        ("suacide", "suicide"),
        ("overdoes", "overdose"),
        ("tabelts and pils", "tablets and pills"),
        ("hurtin myslef", "hurting myself"),
        # slang and abbreviations
        ("kms", "kill myself"),
        ("kys", "kill yourself"),
        ("unalive myself", "kill myself"),
        ("want to be unalive", "want to be dead"),
        ("took an od", "took an overdose"),
        ("took an o.d.", "took an overdose"),
        ("thinking about od'ing", "thinking about overdosing"),
        ("ctb", "commit suicide"),
        ("sewerslide", "suicide"),
        ("sewer slide", "suicide"),
        ("su1c1de", "suicide"),
        ("been sh again", "been self harm again"),
        ("sh, be quiet", "sh , be quiet"),
        ("stressed af", "so stressed"),
        ("want 2 die", "want to die"),
        ("kill my self", "kill myself"),
        ("my self esteem", "my self esteem"),
        ("sui side", "suicide"),
        ("sewer slidal", "suicidal"),
        ("i ve had enough", "i have had enough"),
        ("he's gone and she's taken them", "he has gone and she has taken them"),
        ("it's got worse", "it has got worse"),
        ("this is got", "this is got"),
        ("co-codamol", "co codamol"),
        ("tmrw 2nite", "tomorrow tonight"),
        # digits that are not leetspeak stay
        ("band 7 at 3am", "band 7 at 3am"),
        # punctuation becomes tokens; an ellipsis is kept as a hesitation
        ("I'm fine...probably", "i am fine ... probably"),
        ("A&E", "a and e"),
        ("", ""),
        ("   \t\n ", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_control_characters_become_spaces() -> None:
    assert normalise("kill\x00my\x07self") in {"kill my self", "kill myself"}
    assert "\x00" not in normalise("a\x00b")


# --- characters a person can't trip by accident or on purpose -----------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # look-alike letters from other scripts (Unicode TR39 skeleton): Cyrillic, Greek, maths letters
        ("ѕuісіdе", "suicide"),
        ("kіll mуsеlf", "kill myself"),
        ("οverdοse", "overdose"),  # Greek omicron
        ("𝐬𝐮𝐢𝐜𝐢𝐝𝐞", "suicide"),
        # invisible and direction-control characters inside a word
        ("ki\u200dll my\u2060self", "kill myself"),
        ("su\u202eic\u202cide", "suicide"),
        ("over\u00addose", "overdose"),
        # accents
        ("súïcídé", "suicide"),
        ("kíll mysélf", "kill myself"),
        # symbols and digits for letters
        ("k1ll mys3lf", "kill myself"),
        ("d!e", "die"),
        ("$u!c!de", "suicide"),
        ("0verd0sing", "overdosing"),
        ("s3lf h@rm", "self harm"),
        ("kil1 myself", "kill myself"),  # a 1 for an l as well as for an i
        ("i c@n't do th1s @nym0re", "i can not do this anymore"),  # inside a contraction
        ("€nd it", "end it"),  # a currency sign for a letter
        # run together with no spaces with no spaces
        ("iwanttodie", "i want to die"),
        ("wanttokillmyself", "want to kill myself"),
        ("nobodywouldmissme", "nobody would miss me"),  # no risk word at all: the model reads the words
        ("ijustwanttosleepforever", "i just want to sleep forever"),
        # one wrong, missing, extra or swapped letter in a risk word
        ("sucidal", "suicidal"),
        ("overdsoe", "overdose"),
        ("paracetmol", "paracetamol"),
        ("tabelts", "tablets"),
        # emoji used as words
        ("💀", "skull"),
        ("⚰️", "coffin"),
        # text-speak and Scots
        ("cnt do this n e more", "can not do this any more"),
        ("a cannae dae this nae mair", "i can not do this no more"),
        ("feelin like nothin matters", "feeling like nothing matters"),
    ],
)
def test_disguised_risk_words_read_as_the_words_meant(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "ordinary",
    ["dye my hair", "send it", "the 1st at 3pm", "ward 7b", "bed 12", "band 6", "hello", "café", "naïve plan", "£20"],
)
def test_ordinary_words_are_left_as_they_are(ordinary: str) -> None:
    folded = normalise(ordinary)
    assert folded.split() == [w for w in folded.split() if w]  # no stray spaces
    for word in ("die", "kill", "suicide", "overdose", "dead"):
        assert word not in folded.split()


MEDICINES = (
    "sertraline", "citalopram", "fluoxetine", "mirtazapine", "venlafaxine", "amitriptyline", "olanzapine",
    "quetiapine", "zopiclone", "diazepam", "lorazepam", "pregabalin", "gabapentin", "codeine", "tramadol",
    "oxycodone", "ibuprofen", "metformin", "levothyroxine", "ondansetron", "metoclopramide", "amoxicillin",
    "clarithromycin", "enoxaparin", "furosemide", "bisoprolol", "ramipril", "atorvastatin", "lansoprazole",
    "omeprazole", "salbutamol", "prednisolone", "hydrocortisone", "haloperidol", "promethazine", "propranolol",
)


@pytest.mark.parametrize("medicine", MEDICINES)
def test_a_medicines_name_is_never_split_into_a_run_of_words(medicine: str) -> None:
    """Long names outside the word list look like words run together; they are names, and stay whole."""
    assert normalise(f"I have just swallowed all my {medicine}") == f"i have just swallowed all my {medicine}"

