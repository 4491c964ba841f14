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
