"""Dates and session times the way people in the UK type them, and nothing invented from a stray number."""

from __future__ import annotations

import calendar
import re
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flows
from flows.dates import date_from, parse_when
from flows.parsing import Parsed, Problem, parse_date

TODAY = date(2026, 11, 20)  # a Friday
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 19, 12, 0, tzinfo=LONDON)  # a Thursday, midday


@pytest.mark.parametrize(("text", "expected"), [
    ("in a month", date(2026, 12, 20)), ("in 2 months", date(2027, 1, 20)), ("in two months", date(2027, 1, 20)),
    ("in a fortnight", date(2026, 12, 4)), ("in 2 fortnights", date(2026, 12, 18)), ("in a year", date(2027, 11, 20)),
    ("in three days", date(2026, 11, 23)), ("2 weeks time", date(2026, 12, 4)), ("in 2 weeks' time", date(2026, 12, 4)),
    ("a week from now", date(2026, 11, 27)), ("next week", date(2026, 11, 27)), ("next month", date(2026, 12, 20)),
    ("day after tomorrow", date(2026, 11, 22)), ("tmrw", date(2026, 11, 21)),
    ("end of the month", date(2026, 11, 30)), ("end of the week", TODAY),
    ("march 15", date(2027, 3, 15)), ("15th march", date(2027, 3, 15)), ("15 Mar", date(2027, 3, 15)),
    ("the 15th of March", date(2027, 3, 15)), ("March the 15th", date(2027, 3, 15)), ("dec 3", date(2026, 12, 3)),
    ("december 3rd", date(2026, 12, 3)), ("Monday 15 March 2027", date(2027, 3, 15)),
    ("friday 27 november", date(2026, 11, 27)), ("14/2/27", date(2027, 2, 14)),
    ("tue", date(2026, 11, 24)), ("tues", date(2026, 11, 24)), ("Tuesday", date(2026, 11, 24)),
    ("next tues", date(2026, 11, 24)), ("this coming tuesday", date(2026, 11, 24)), ("weds", date(2026, 11, 25)),
    ("thurs", date(2026, 11, 26)), ("thu", date(2026, 11, 26)), ("fri", date(2026, 11, 27)),
    ("sat", date(2026, 11, 21)), ("sun", date(2026, 11, 22)),
])
def test_the_forms_people_write(text: str, expected: date) -> None:
    assert date_from(text, TODAY) == expected


@pytest.mark.parametrize("text", ["15.03.2027", "March 15th, 2027", "15-Mar-2027", "2027/03/15", "15/03/2027",
                                  "15 March, 2027", "Mon, 15 Mar 2027"])
def test_the_long_tail_is_read_by_dateutil_day_first(text: str) -> None:
    assert date_from(text, TODAY) == date(2027, 3, 15)


@pytest.mark.parametrize(("today", "text", "expected"), [
    (date(2026, 1, 31), "in a month", date(2026, 2, 28)),
    (date(2028, 1, 31), "in a month", date(2028, 2, 29)),
    (date(2026, 12, 31), "in 2 months", date(2027, 2, 28)),
    (date(2027, 12, 31), "in 2 months", date(2028, 2, 29)),
    (date(2026, 10, 31), "in 4 months", date(2027, 2, 28)),
    (date(2026, 8, 31), "in 6 months", date(2027, 2, 28)),
    (date(2026, 3, 31), "in a month", date(2026, 4, 30)),
    (date(2026, 11, 30), "in 3 months", date(2027, 2, 28)),
    (date(2028, 2, 29), "in a year", date(2029, 2, 28)),
    (date(2026, 1, 31), "next month", date(2026, 2, 28)),
])
def test_a_month_is_a_calendar_month_clamped_to_its_last_day(today: date, text: str, expected: date) -> None:
    assert date_from(text, today) == expected


def test_29_february_without_a_year_is_the_next_one_there_is() -> None:
    assert date_from("29 feb", TODAY) == date(2028, 2, 29)
    assert date_from("29/2", TODAY) == date(2028, 2, 29)
    assert date_from("29 February", date(2028, 1, 10)) == date(2028, 2, 29)
    assert date_from("29 feb 2027", TODAY) is None


@pytest.mark.parametrize("text", [
    "I don't know", "sometime", "soon", "maybe 5", "5", "15", "2027", "march", "March 2027", "15 3", "the 5th",
    "I'll do it in 5", "in 5", "after my shift on 3", "not sure, maybe 10", "asap", "when I can", "10.30", "5 pm",
    "31/4", "march 32", "30 feb", "Tuesday 15 March 2027", "saturday 27 november", "week", "next", "in a",
    "15 marchh", "tomorrow or friday", "1 2 3", "", "   ",
])
def test_text_that_names_no_day_is_refused(text: str) -> None:
    assert date_from(text, TODAY) is None
    assert parse_date(text, today=TODAY) == Problem(reason="date")


def test_parse_date_reads_due_date_wording_and_refuses_a_past_day() -> None:
    assert parse_date("by tues", today=TODAY) == Parsed(value="2026-11-24", text="2026-11-24")
    assert parse_date("by the end of the month", today=TODAY) == Parsed(value="2026-11-30", text="2026-11-30")
    assert parse_date("Before 15th March!", today=TODAY, not_before=TODAY) == Parsed(value="2027-03-15",
                                                                                    text="2027-03-15")
    assert parse_date("1/1/2020", today=TODAY, not_before=TODAY) == Problem(reason="date_past")
    assert parse_date("15th March 2026", today=TODAY, not_before=TODAY) == Problem(reason="date_past")
    assert parse_date("tue " * 40, today=TODAY) == Problem(reason="date")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(("text", "expected"), [
    ("tues 10am", _at(date(2026, 11, 24), 10)), ("10am tues", _at(date(2026, 11, 24), 10)),
    ("tue 10 am", _at(date(2026, 11, 24), 10)), ("next tues 2pm", _at(date(2026, 11, 24), 14)),
    ("tuesday 10.30", _at(date(2026, 11, 24), 10, 30)), ("next Tuesday 10:00", _at(date(2026, 11, 24), 10)),
    ("noon tomorrow", _at(date(2026, 11, 20), 12)), ("tomorrow at noon", _at(date(2026, 11, 20), 12)),
    ("tomorrow at 12 noon", _at(date(2026, 11, 20), 12)), ("12pm tomorrow", _at(date(2026, 11, 20), 12)),
    ("12am tomorrow", _at(date(2026, 11, 20), 0)), ("midday friday", _at(date(2026, 11, 20), 12)),
    ("friday midday", _at(date(2026, 11, 20), 12)), ("thurs 9am", _at(date(2026, 11, 26), 9)),
    ("3 Dec 2pm", _at(date(2026, 12, 3), 14)), ("2pm 3 Dec", _at(date(2026, 12, 3), 14)),
    ("3rd December at 2pm", _at(date(2026, 12, 3), 14)), ("december 3 2pm", _at(date(2026, 12, 3), 14)),
    ("in a fortnight 10am", _at(date(2026, 12, 3), 10)), ("friday, 3pm", _at(date(2026, 11, 20), 15)),
    ("at 3pm on friday", _at(date(2026, 11, 20), 15)), ("9am", _at(date(2026, 11, 19), 9)),
    ("tomorrow 2.30 p.m.", _at(date(2026, 11, 20), 14, 30)), ("10 o'clock tomorrow", _at(date(2026, 11, 20), 10)),
    ("15/03/2027 14:00", _at(date(2027, 3, 15), 14)), ("2026-12-01T10:00", _at(date(2026, 12, 1), 10)),
])
def test_a_day_and_a_time_in_either_order(text: str, expected: datetime) -> None:
    found = parse_when(text, now=NOW)
    assert found == expected and found is not None and found.tzinfo is LONDON


def test_an_iso_moment_with_its_own_offset_keeps_it() -> None:
    found = parse_when("2026-12-01T10:00+05:30", now=NOW)
    assert found is not None and found.utcoffset() == timedelta(hours=5, minutes=30) and found.hour == 10


@pytest.mark.parametrize("text", [
    "13pm", "0am", "25:00", "10:61", "march 15", "tomorrow", "next tues", "maybe 5", "I don't know",
    "sometime soon", "after 5", "soon", "", "at some point 3", "tomorrow at 25", "10am " * 30,
])
def test_a_moment_needs_a_real_time_and_a_real_day(text: str) -> None:
    assert parse_when(text, now=NOW) is None


DAYS = st.sampled_from(["tomorrow", "tues", "next tuesday", "friday", "3 Dec", "15th march", "march 15",
                        "in a fortnight", "in 2 months", "1/12", "thurs"])
TIMES = st.sampled_from(["10am", "10.30", "2pm", "noon", "midday", "14:00", "9:15am", "12 noon"])


@settings(max_examples=200, deadline=None)
@given(day=DAYS, clock=TIMES)
def test_the_day_and_the_time_may_come_in_either_order(day: str, clock: str) -> None:
    first = parse_when(f"{day} {clock}", now=NOW)
    assert first is not None and first == parse_when(f"{clock} {day}", now=NOW)
    assert first == parse_when(f"{day} at {clock}", now=NOW)
    assert first.date() == date_from(day, NOW.date())


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), months=st.integers(1, 36))
def test_in_n_months_keeps_the_day_or_takes_the_last_day_of_that_month(start: date, months: int) -> None:
    found = date_from(f"in {months} months", start)
    total = start.year * 12 + start.month - 1 + months
    year, month = divmod(total, 12)
    assert found == date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


WORDS = st.sampled_from(["i", "don't", "know", "maybe", "sometime", "soon", "later", "the", "report", "ward",
                         "shift", "it", "on", "in", "of", "after", "my", "when", "can", "do", "by", "about", "or"])


@settings(max_examples=300, deadline=None)
@given(words=st.lists(WORDS, min_size=1, max_size=8), number=st.integers(0, 99), where=st.integers(0, 8))
def test_a_sentence_with_a_stray_number_never_becomes_a_date(words: list[str], number: int, where: int) -> None:
    words.insert(min(where, len(words)), str(number))
    text = " ".join(words)
    assert date_from(text, TODAY) is None
    assert parse_date(text, today=TODAY) == Problem(reason="date")


PHRASES = st.sampled_from(["next", "this", "coming", "in", "a", "an", "two", "fortnight", "week", "weeks", "month",
                           "months", "year", "tomorrow", "today", "end", "of", "the", "tue", "friday", "sun",
                           "march", "dec", "from", "now", "time"])


@settings(max_examples=300, deadline=None)
@given(words=st.lists(PHRASES, min_size=1, max_size=5))
def test_words_without_a_year_never_name_a_past_day(words: list[str]) -> None:
    found = date_from(" ".join(words), TODAY)
    assert found is None or found >= TODAY


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_is_read_or_refused_never_a_crash(text: str) -> None:
    found = date_from(text, TODAY)
    assert found is None or isinstance(found, date)
    moment = parse_when(text, now=NOW)
    assert moment is None or moment.tzinfo is not None


def test_every_date_the_re_ask_suggests_is_understood() -> None:
    wording = tomllib.loads((Path(flows.__file__).parent / "wording.toml").read_text(encoding="utf-8"))
    suggested = re.findall(r'"([^"]+)"', wording["reasks"]["date"])
    assert len(suggested) >= 3
    assert all(isinstance(parse_date(text, today=TODAY, not_before=TODAY), Parsed) for text in suggested)
