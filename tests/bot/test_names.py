"""Names as the bot shows them: one visible line, so a name can't forge a digest's section or pass for another."""

from __future__ import annotations

import pytest

from bot.names import MAX_NAME, clean_name


@pytest.mark.parametrize(("given", "shown"), [
    ("Sam Jones", "Sam Jones"),
    ("  Sam   Jones ", "Sam Jones"),
    ("Sam\nSafety events: None", "Sam Safety events: None"),
    ("Sam\u2028Jones", "Sam Jones"),  # a line separator
    ("S\u200bam", "Sam"),  # zero-width space
    ("\u202eenoJ maS", "enoJ maS"),  # a right-to-left override that would show it reversed
    ("Siân Ní Bhriain", "Siân Ní Bhriain"),  # accents and letters of other languages stay
    ("Sia\u0302n", "Siân"),  # a combining accent is composed, not dropped
    ("李小龍", "李小龍"),
    ("\x00\x07\x1b[31m", "[31m"),  # control characters go, printable text stays
    ("\u200b\u200d\u2060", "there"),  # nothing visible left
    ("", "there"),
])
def test_a_name_is_one_visible_line(given: str, shown: str) -> None:
    assert clean_name(given) == shown


def test_a_long_name_is_cut_to_a_sane_length() -> None:
    assert len(clean_name("a" * 1000)) == MAX_NAME
    assert clean_name("word " * 100).endswith("word")  # no trailing space where it was cut
