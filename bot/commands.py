"""Every chat command in one table: its word, who may use it, and what else it allows.

The engine runs a coachee's command through its method `_coachee_<word>` and a coach's through the coach
desk's method `<word>` (checked when the engine is built, so a command without a handler stops start-up).
Transports read the words from here too (Slack shows them without the slash). What a command says it
does is wording: the coachee's menu is `[[commands]]` in the locale's engine file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["COMMANDS", "Audience", "Command", "bare_words", "coach_words", "handler_name", "words"]

Audience = Literal["coachee", "coach"]


@dataclass(frozen=True, slots=True)
class Command:
    word: str
    audience: Audience
    bare: bool = True
    """Works without the slash ("help"): Slack keeps "/word" for its own slash commands."""
    takes_text: bool = False
    """Bare, it may be followed by more ("checkins 9am")."""
    after_stop: bool = False
    """Still works once someone has left the programme: a person's rights over their data outlast it."""
    group: bool = False
    """A peer-group command, run by the groups listener."""


def _coachee(word: str, **more: bool) -> Command:
    return Command(word=word, audience="coachee", **more)


def _coach(word: str, **more: bool) -> Command:
    return Command(word=word, audience="coach", **more)


COMMANDS: tuple[Command, ...] = (
    _coachee("help"), _coachee("privacy"), _coachee("start", bare=False), _coachee("skip"), _coachee("back"),
    _coachee("pause"), _coachee("resume"), _coachee("stop"), _coachee("journal"),
    _coachee("shared", takes_text=True, after_stop=True),
    _coachee("mydata", after_stop=True), _coachee("forget", after_stop=True), _coachee("checkins", takes_text=True),
    _coach("help"), _coach("coachees"), _coach("digest"), _coach("resume"), _coach("schedule"), _coach("invite"),
    _coach("web"),
    *(_coach(word, group=True) for word in ("groups", "group", "groupnew", "groupadd", "groupleave")),
)


def handler_name(command: Command) -> str:
    """A command is its desk's method of the same word (the coachee desk's or the coach desk's); a group
    command is the coach desk's `group`."""
    return "group" if command.group else command.word


def words(audience: Audience) -> frozenset[str]:
    return frozenset(c.word for c in COMMANDS if c.audience == audience)


def bare_words(audience: Audience) -> frozenset[str]:
    return frozenset(c.word for c in COMMANDS if c.audience == audience and c.bare)


def coach_words() -> frozenset[str]:
    """Words only a coach may use (a coachee who types one is told so)."""
    return words("coach") - words("coachee")
