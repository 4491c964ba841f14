"""Reading a typed answer: scales, yes/no, choices, dates and time zones, kindly and without crashing."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from pydantic import BaseModel, ConfigDict

from flows.dates import date_from, parse_when
from flows.folding import fold
from flows.spec import AnswerKind, StateSpec
from flows.timezones import zone_for

__all__ = ["MAX_ANSWER_CHARS", "Parsed", "Problem", "clean_text", "fold", "parse_answer", "parse_choice",
           "parse_date", "parse_review_pick", "parse_scale", "parse_timezone", "parse_when", "parse_yes_no"]

MAX_ANSWER_CHARS = 4000
MAX_DATE_CHARS = 80
"""A date is a few words; anything longer is a sentence, and is asked about again rather than searched."""


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


def parse_timezone(state: StateSpec, text: str) -> Parsed | Problem:
    """One of the offered choices, or a place, an abbreviation or an IANA name (flows/timezones.py)."""
    folded = fold(text).rstrip("!. ")
    for index, choice in enumerate(state.choices, start=1):
        if folded in {choice.value.lower(), fold(choice.label), str(index)}:
            return Parsed(value=choice.value, text=choice.value)
    zone = zone_for(text)
    if zone is None:
        return Problem(reason="timezone")
    return Parsed(value=zone, text=zone)


def parse_date(text: str, *, today: date, not_before: date | None = None) -> Parsed | Problem:
    """Natural dates (flows/dates.py): "tomorrow", "tues", "in a month", "15th March", "2026-12-01"."""
    folded = fold(text).rstrip("!. ")
    for prefix in ("by ", "on ", "before ", "for ", "until ", "due "):
        folded = folded.removeprefix(prefix)
    found = date_from(folded, today) if len(folded) <= MAX_DATE_CHARS else None
    if found is None:
        return Problem(reason="date")
    if not_before is not None and found < not_before:
        return Problem(reason="date_past")
    return Parsed(value=found.isoformat(), text=found.isoformat())


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
