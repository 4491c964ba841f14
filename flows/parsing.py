"""Reading a typed answer: scales, yes/no, choices, dates and time zones, kindly and without crashing."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict

from flows.spec import AnswerKind, StateSpec

MAX_ANSWER_CHARS = 4000


class Parsed(BaseModel):
    """A usable answer: `value` is what branches on, `text` what gets stored."""

    model_config = ConfigDict(frozen=True)

    value: str
    text: str
    scale: int | None = None
    trimmed: bool = False


class Problem(BaseModel):
    """Why an answer couldn't be used; `reason` picks the kind re-ask wording."""

    model_config = ConfigDict(frozen=True)

    reason: str
    detail: str = ""


_NUMBER_WORDS = {
    "zero": 0, "nought": 0, "nil": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20,
    "hundred": 100,
}
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?|\b(?:" + "|".join(_NUMBER_WORDS) + r")\b")
_RANGE = re.compile(r"\b(\d+|" + "|".join(_NUMBER_WORDS) + r")\s*(?:-|–|—|to|or|/)\s*(\d+|"
                    + "|".join(_NUMBER_WORDS) + r")\b")
_OUT_OF = re.compile(r"(?:/|\bout of\b|\bof\b)\s*10\b")

_YES = {"yes", "y", "yeah", "yea", "yep", "yup", "sure", "ok", "okay", "of course", "please", "yes please",
        "go ahead", "i agree", "agree", "i do", "that's fine", "thats fine", "fine", "definitely", "absolutely",
        "👍", "✅", "aye", "certainly", "happy to", "ja", "oui"}
_NO = {"no", "n", "nope", "nah", "no thanks", "no thank you", "not really", "i don't", "i dont", "don't",
       "dont", "rather not", "i'd rather not", "id rather not", "i do not", "do not", "never", "👎", "❌",
       "not now", "no way", "not at all"}

_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"]

_ZONE_ALIASES = {
    "uk": "Europe/London", "gmt": "Europe/London", "bst": "Europe/London", "london": "Europe/London",
    "england": "Europe/London", "scotland": "Europe/London", "wales": "Europe/London",
    "northern ireland": "Europe/London", "britain": "Europe/London", "great britain": "Europe/London",
    "ireland": "Europe/Dublin", "dublin": "Europe/Dublin", "utc": "UTC", "cet": "Europe/Paris",
    "paris": "Europe/Paris", "berlin": "Europe/Berlin", "madrid": "Europe/Madrid", "india": "Asia/Kolkata",
    "ist": "Asia/Kolkata", "new york": "America/New_York", "est": "America/New_York",
    "sydney": "Australia/Sydney", "auckland": "Pacific/Auckland", "new zealand": "Pacific/Auckland",
}


def fold(text: str) -> str:
    """Lower case, NFKC, straight quotes, single spaces: how typed answers are compared."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    return " ".join(text.strip().lower().split())


def _number(token: str) -> float:
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return float(token.replace(",", "."))


def clean_text(text: str) -> Parsed | Problem:
    """Free text: refuse empty, keep at most MAX_ANSWER_CHARS and say when we trimmed."""
    stripped = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    if not stripped:
        return Problem(reason="empty")
    if all(unicodedata.category(ch)[0] in "SPZ" or ch in "\ufe0f\u200d" for ch in stripped):
        return Problem(reason="emoji_only")
    trimmed = len(stripped) > MAX_ANSWER_CHARS
    kept = stripped[:MAX_ANSWER_CHARS]
    return Parsed(value=kept, text=kept, trimmed=trimmed)


def parse_scale(text: str) -> Parsed | Problem:
    """A 1 to 10 reading: "7", "7/10", "seven", "about a 6"; "6-7" asks which; "11" says the range."""
    folded = fold(text)
    if not folded:
        return Problem(reason="empty")
    folded = _OUT_OF.sub(" ", folded)
    ranged = _RANGE.search(folded)
    if ranged:
        low, high = _number(ranged.group(1)), _number(ranged.group(2))
        if low != high and 1 <= low <= 10 and 1 <= high <= 10:
            return Problem(reason="scale_between", detail=f"{int(low)}|{int(high)}")
    found = [_number(m.group(0)) for m in _NUMBER.finditer(folded)]
    distinct = sorted(set(found))
    if not distinct:
        return Problem(reason="scale_not_number")
    if len(distinct) > 1:
        inside = [n for n in distinct if 1 <= n <= 10]
        if len(inside) == 2:
            return Problem(reason="scale_between", detail=f"{int(inside[0])}|{int(inside[1])}")
        return Problem(reason="scale_not_number")
    value = distinct[0]
    if value != int(value) or not 1 <= value <= 10:
        return Problem(reason="scale_range")
    return Parsed(value=str(int(value)), text=str(int(value)), scale=int(value))


def parse_yes_no(text: str) -> Parsed | Problem:
    folded = fold(text).rstrip("!. ")
    if folded in _YES or folded.startswith(("yes ", "yes,", "yeah ", "yep ", "sure ")):
        return Parsed(value="yes", text="yes")
    if folded in _NO or folded.startswith(("no ", "no,", "nope ", "nah ")):
        return Parsed(value="no", text="no")
    return Problem(reason="yes_no")


def parse_choice(state: StateSpec, text: str) -> Parsed | Problem:
    folded = fold(text).rstrip("!. ")
    for index, choice in enumerate(state.choices, start=1):
        names = {choice.value.lower(), fold(choice.label), str(index), *(fold(s) for s in choice.synonyms)}
        if folded in names:
            return Parsed(value=choice.value, text=choice.label)
    return Problem(reason="choice")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_timezone(state: StateSpec, text: str) -> Parsed | Problem:
    folded = fold(text).rstrip("!. ")
    for index, choice in enumerate(state.choices, start=1):
        if folded in {choice.value.lower(), fold(choice.label), str(index)}:
            return Parsed(value=choice.value, text=choice.value)
    zone = _ZONE_ALIASES.get(folded) or _zones().get(folded.replace(" ", "_"))
    if zone is None:
        return Problem(reason="timezone")
    ZoneInfo(zone)
    return Parsed(value=zone, text=zone)


def parse_date(text: str, *, today: date, not_before: date | None = None) -> Parsed | Problem:
    """Natural dates: "today", "tomorrow", "friday", "next friday", "in 2 weeks", "15 March", "2026-12-01"."""
    folded = fold(text).rstrip("!. ")
    for prefix in ("by ", "on ", "before "):
        folded = folded.removeprefix(prefix)
    found = _date_from(folded, today)
    if found is None:
        return Problem(reason="date")
    if not_before is not None and found < not_before:
        return Problem(reason="date_past")
    return Parsed(value=found.isoformat(), text=found.isoformat())


def _date_from(folded: str, today: date) -> date | None:
    if folded in ("today", "tonight"):
        return today
    if folded == "tomorrow":
        return today + timedelta(days=1)
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", folded)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
    relative = re.fullmatch(r"in (\d+|a|an|one|two|three|four) (day|week|month)s?", folded)
    if relative:
        amount = 1 if relative.group(1) in ("a", "an") else int(_number(relative.group(1)))
        unit = relative.group(2)
        days = amount * {"day": 1, "week": 7, "month": 30}[unit]
        return today + timedelta(days=days)
    if folded == "next week":
        return today + timedelta(days=7)
    weekday = re.fullmatch(r"(?:(next|this|on) )?(" + "|".join(_WEEKDAYS) + r")", folded)
    if weekday:
        target = _WEEKDAYS.index(weekday.group(2))
        # "next Friday" is read as the coming Friday; the bot echoes the date so it can be corrected.
        return today + timedelta(days=(target - today.weekday()) % 7 or 7)
    day_month = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?(" + "|".join(m[:3] for m in _MONTHS)
                             + r")[a-z]*(?: (\d{4}))?", folded)
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", folded)
    if day_month or numeric:
        if day_month:
            day = int(day_month.group(1))
            month = [m[:3] for m in _MONTHS].index(day_month.group(2)[:3]) + 1
            year_text = day_month.group(3)
        else:
            assert numeric is not None
            day, month, year_text = int(numeric.group(1)), int(numeric.group(2)), numeric.group(3)
        year = int(year_text) if year_text else today.year
        year = year + 2000 if year < 100 else year
        try:
            found = date(year, month, day)
        except ValueError:
            return None
        if not year_text and found < today:
            found = found.replace(year=year + 1)
        return found
    return None


def parse_answer(state: StateSpec, text: str, *, today: date) -> Parsed | Problem:
    """Dispatch on the state's answer kind."""
    if state.answer is AnswerKind.SCALE:
        return parse_scale(text)
    if state.answer is AnswerKind.YES_NO:
        return parse_yes_no(text)
    if state.answer is AnswerKind.CHOICE:
        return parse_choice(state, text)
    if state.answer is AnswerKind.TIMEZONE:
        return parse_timezone(state, text)
    if state.answer is AnswerKind.DATE:
        return parse_date(text, today=today, not_before=today if state.action == "due" else None)
    return clean_text(text)


def parse_review_pick(text: str, *, options: tuple[str, ...], synonyms: dict[str, str]) -> str | None:
    """One of `options`, by its number in the list shown, its own name, or a synonym; None if unclear."""
    folded = fold(text).rstrip("!. ")
    if folded in options:
        return folded
    if folded.isdigit() and 1 <= int(folded) <= len(options):
        return options[int(folded) - 1]
    picked = synonyms.get(folded)
    return picked if picked in options else None


_TIME = re.compile(r"(?:\bat\s+)?\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_when(text: str, *, now: datetime) -> datetime | None:
    """A moment for a session: ISO 8601, or a natural date then a time ("next Tuesday 10:00", "3 Dec 2pm").

    `now` carries the time zone the answer is read in; the result is in that zone.
    """
    stripped = text.strip()
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        moment = None
    if moment is not None:
        return moment if moment.tzinfo else moment.replace(tzinfo=now.tzinfo)
    folded = fold(stripped).rstrip("!. ")
    clock = _TIME.search(folded)
    if clock is None:
        return None
    hour, minute, half = int(clock.group(1)), int(clock.group(2) or 0), clock.group(3)
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    day_text = folded[: clock.start()].strip().removesuffix(",").strip()
    day = _date_from(day_text, now.date()) if day_text else now.date()
    if day is None:
        return None
    return datetime.combine(day, time(hour, minute), tzinfo=now.tzinfo)
