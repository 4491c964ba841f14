"""Reading a typed date, and a day with a time, the way people in the UK write them.

The common forms are read here ("tues", "in a fortnight", "15th March", "noon tomorrow"); python-dateutil's
parser, day first, reads the long tail ("15.03.2027", "March 15th, 2027"), but only text made of nothing
but date words and numbers, and only when it names a day and a month: it would otherwise find a date in
"maybe 5". Months are calendar months: a month from 31 January is the last day of February.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta

from dateutil import parser as dateutil_parser
from dateutil.relativedelta import relativedelta

from flows.folding import fold

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}
MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_AMOUNTS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a couple of": 2, "a few": 3}
_DAYS_IN = {"day": 1, "week": 7, "fortnight": 14}
_MONTHS_IN = {"month": 1, "year": 12}

_WEEKDAY = "|".join(sorted(WEEKDAYS, key=len, reverse=True))
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_AMOUNT = r"\d{1,3}|" + "|".join(sorted(_AMOUNTS, key=len, reverse=True))
_ORDINAL = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?: (\d{4}|'\d{2}))?"

_RELATIVE = re.compile(rf"(?:in )?({_AMOUNT}) (day|week|fortnight|month|year)s?(?:'? time| from (?:now|today))?")
_ON_WEEKDAY = re.compile(rf"(?:(?:next|this|on|this coming|coming) )?({_WEEKDAY})")
_DAY_MONTH = re.compile(rf"(?:({_WEEKDAY}) )?(?:the )?{_ORDINAL} (?:of )?({_MONTH}){_YEAR}")
_MONTH_DAY = re.compile(rf"(?:({_WEEKDAY}) )?({_MONTH}) (?:the )?{_ORDINAL}{_YEAR}")
_NUMERIC = re.compile(r"(?:(" + _WEEKDAY + r") )?(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

_NUMERIC_DATE = re.compile(r"\d{1,2}([/.-])\d{1,2}\1\d{2,4}|\d{4}([/.-])\d{1,2}\2\d{1,2}")
_FALLBACK_WORD = re.compile(rf"\d{{1,2}}(?:st|nd|rd|th)?|\d{{4}}|{_WEEKDAY}|{_MONTH}|of|the|on|[,-]")
_DEFAULTS = (datetime(2000, 1, 1), datetime(2004, 2, 2))
"""Two leap-year defaults: what dateutil fills in differs between them, so what the person wrote doesn't."""


def date_from(text: str, today: date) -> date | None:
    """The day `text` names, on or after `today` unless it gives a year; None when it names no day."""
    folded = " ".join(fold(text).replace(",", " ").split()).rstrip("!.? ")
    for read in (_named_day, _relative, _on_weekday, _written):
        found = read(folded, today)
        if found is not None:
            return found
    return _fallback(folded, today)


def _named_day(folded: str, today: date) -> date | None:
    if folded in ("today", "tonight", "this evening", "this afternoon", "this morning"):
        return today
    if folded in ("tomorrow", "tmrw", "tmw", "tomorrow morning", "tomorrow afternoon", "tomorrow evening"):
        return today + timedelta(days=1)
    if folded in ("the day after tomorrow", "day after tomorrow"):
        return today + timedelta(days=2)
    if folded == "next week":
        return today + timedelta(days=7)
    if folded == "next month":
        return today + relativedelta(months=1)
    if folded in ("end of the week", "end of week", "the end of the week"):
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if folded in ("end of the month", "end of month", "the end of the month"):
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    iso = _ISO.fullmatch(folded)
    return _real_date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3))) if iso else None


def _relative(folded: str, today: date) -> date | None:
    """ "in a fortnight", "in 2 months" (calendar months, so 31 January + 1 month is 28 or 29 February)."""
    found = _RELATIVE.fullmatch(folded)
    if found is None:
        return None
    amount = _AMOUNTS.get(found.group(1)) or int(found.group(1))
    unit = found.group(2)
    try:
        if unit in _DAYS_IN:
            return today + timedelta(days=amount * _DAYS_IN[unit])
        return today + relativedelta(months=amount * _MONTHS_IN[unit])
    except (OverflowError, ValueError):
        return None


def _on_weekday(folded: str, today: date) -> date | None:
    """The coming one, never today: "next Friday" is read as the coming Friday; the bot echoes the date."""
    found = _ON_WEEKDAY.fullmatch(folded)
    if found is None:
        return None
    return today + timedelta(days=(WEEKDAYS[found.group(1)] - today.weekday()) % 7 or 7)


def _written(folded: str, today: date) -> date | None:
    """ "15th March", "March 15", "tue 15 march 2027", "1/12", "1/12/27"."""
    day_month = _DAY_MONTH.fullmatch(folded)
    month_day = _MONTH_DAY.fullmatch(folded)
    numeric = _NUMERIC.fullmatch(folded)
    if day_month:
        weekday, day, month, year = day_month.group(1), day_month.group(2), MONTHS[day_month.group(3)], \
            day_month.group(4)
    elif month_day:
        weekday, month, day, year = month_day.group(1), MONTHS[month_day.group(2)], month_day.group(3), \
            month_day.group(4)
    elif numeric:
        weekday, day, month, year = numeric.group(1), numeric.group(2), int(numeric.group(3)), numeric.group(4)
    else:
        return None
    found = _dated(int(day), month, int(year.lstrip("'")) if year else None, today)
    if found is None or (weekday is not None and found.weekday() != WEEKDAYS[weekday]):
        return None
    return found


def _fallback(folded: str, today: date) -> date | None:
    """dateutil, strictly: only date words and numbers; either a month named among bare numbers ("March 15th,
    2027") or one numeric date ("15.03.2027"); and the day and the month both written, never defaulted."""
    tokens = re.findall(r"\d+(?:[/.-]\d+)+|\d+(?:st|nd|rd|th)?|[a-z]+|[^\sa-z\d]", folded)
    if not tokens or len(folded) > 40 or not all(
            _FALLBACK_WORD.fullmatch(token) or _NUMERIC_DATE.fullmatch(token) for token in tokens):
        return None
    named = [token for token in tokens if token in MONTHS]
    numeric = [token for token in tokens if _NUMERIC_DATE.fullmatch(token)]
    days = [token for token in tokens if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", token)]
    years = [token for token in tokens if re.fullmatch(r"\d{4}", token)]
    written = len(named) == 1 and not numeric and len(days) == 1 and len(years) <= 1
    if not (written or (not named and len(numeric) == 1 and not days and not years)):
        return None
    try:
        first, second = (dateutil_parser.parse(folded, dayfirst=True, default=d) for d in _DEFAULTS)
    except (ValueError, OverflowError):
        return None
    if (first.month, first.day) != (second.month, second.day) or {first.time(), second.time()} != {time(0)}:
        return None
    found = _dated(first.day, first.month, first.year if first.year == second.year else None, today)
    weekdays = {WEEKDAYS[token] for token in tokens if token in WEEKDAYS}
    if found is None or (weekdays and weekdays != {found.weekday()}):
        return None
    return found


def _dated(day: int, month: int, year: int | None, today: date) -> date | None:
    """A day and month with the year given, or else the next time that day comes (29 February included)."""
    if year is not None:
        return _real_date(year + 2000 if year < 100 else year, month, day)
    for ahead in range(9):
        found = _real_date(today.year + ahead, month, day)
        if found is not None and found >= today:
            return found
    return None


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


MAX_WHEN_CHARS = 80
"""A day and a time are a few words; a longer text is refused rather than searched."""

_CLOCK = re.compile(r"(?:at )?(?:(?:12 )?(?P<noon>noon|midday)"
                    r"|(?P<hour>\d{1,2})(?:[:.](?P<minute>\d{2}))?(?: ?(?P<half>am|pm))?(?: o'?clock)?)")


def parse_when(text: str, *, now: datetime) -> datetime | None:
    """A moment for a session: ISO 8601, or a day and a time in either order ("tues 10am", "noon tomorrow").

    `now` carries the time zone the answer is read in; the result is in that zone. No day means today.
    """
    stripped = text.strip()
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        moment = None
    if moment is not None:
        return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)
    folded = fold(stripped).replace("a.m.", "am").replace("p.m.", "pm").rstrip("!.? ")
    if len(folded) > MAX_WHEN_CHARS:
        return None
    words = folded.replace(",", " ").split()
    time_last = [(words[:cut], words[cut:]) for cut in range(len(words) - 1, -1, -1)]
    time_first = [(words[cut:], words[:cut]) for cut in range(1, len(words))]
    for day_words, clock_words in time_last + time_first:
        clock = _clock(" ".join(clock_words))
        if clock is None:
            continue
        day_text = " ".join(day_words).removesuffix(" at").removesuffix(" on")
        day = date_from(day_text, now.date()) if day_text else now.date()
        if day is not None:
            return datetime.combine(day, clock, tzinfo=now.tzinfo)
    return None


def _clock(text: str) -> time | None:
    """ "10am", "10.30", "2:15 pm", "14:00", "noon", "12 noon", "at 3", "10 o'clock"."""
    found = _CLOCK.fullmatch(text)
    if found is None:
        return None
    if found.group("noon"):
        return time(12, 0)
    hour, minute, half = int(found.group("hour")), int(found.group("minute") or 0), found.group("half")
    if half is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)
