"""The coachee's answers as their coach may see them, and which session each belongs to: what the digest's parts
read from. Shared answers are shown; an answer kept out of a run that was sent is counted, never shown; a run never
sent is not mentioned at all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chart import source_label
from bot.storage.records import Session, StoredAnswer
from bot.wording import DigestWording
from flows.registry import FlowError, FlowRegistry

BEFORE = frozenset({"pre_session", "follow_up"})
"""The flows asked before a session: what the coachee says for that session."""


@dataclass(frozen=True)
class Calendar:
    """Which session an answer or a reading belongs to, by when it was given."""

    sessions: tuple[Session, ...]  # not cancelled, by time

    def before(self, moment: datetime) -> Session | None:
        return next((s for s in self.sessions if s.at > moment), None)

    def after(self, moment: datetime) -> Session | None:
        return max((s for s in self.sessions if s.at <= moment), key=lambda s: s.at, default=None)

    def where(self, flow: str, moment: datetime, words: DigestWording) -> str:
        """'before session 2', 'after session 1', or the flow it came from ('check-in')."""
        if flow in BEFORE and (ahead := self.before(moment)) is not None:
            return words.before_session.format(number=ahead.number)
        if flow == "post_session" and (behind := self.after(moment)) is not None:
            return words.after_session.format(number=behind.number)
        return source_label(flow, words.sources)


@dataclass(frozen=True)
class Topic:
    """Answers the digest shows under one heading: these questions, asked in these flows."""

    heading: str
    flows: frozenset[str]
    questions: frozenset[str]

    def holds(self, answer: StoredAnswer) -> bool:
        return answer.flow in self.flows and base(answer.question) in self.questions


class AnswerView:
    """The coachee's answers as the coach may see them: shared ones, and a count of those kept private."""

    def __init__(self, *, answers: Sequence[StoredAnswer], since: datetime | None, zone: ZoneInfo, who: str,
                 words: DigestWording, calendar: Calendar):
        self.answers = [a for a in answers if a.text]
        self.sent_runs = {a.run_id for a in self.answers if a.shared}
        self.since, self.zone, self.who, self.words, self.calendar = since, zone, who, words, calendar

    def counted(self, answer: StoredAnswer) -> bool:
        """Shared, or kept out of a run that was sent: what the coach sees, or is told was held back."""
        return answer.shared or answer.run_id in self.sent_runs

    def recent(self, answer: StoredAnswer) -> bool:
        return self.since is None or answer.created_at >= self.since

    def day(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%-d %b}"

    def where(self, answer: StoredAnswer) -> str:
        return self.calendar.where(answer.flow, answer.created_at, self.words)

    def runs(self, flows: frozenset[str]) -> list[list[StoredAnswer]]:
        """The counted answers of each run of these flows, in the order they were asked; runs oldest first."""
        by_run: dict[str, list[StoredAnswer]] = {}
        for answer in self.answers:
            if answer.flow in flows and self.counted(answer):
                by_run.setdefault(answer.run_id, []).append(answer)
        return sorted(by_run.values(), key=lambda run: min(a.created_at for a in run))

    def kept(self, count: int, *, readings: bool = False, spaced: bool = True) -> list[str]:
        """The plain word that something was held back: a count, never which answer or what it said. `spaced`
        sets it apart from a list above it, which Markdown would otherwise run it into."""
        if not count:
            return []
        w = self.words
        template = (w.kept_reading if count == 1 else w.kept_readings) if readings else (
            w.kept_answer if count == 1 else w.kept_answers)
        return [*([""] if spaced else []), template.format(who=self.who, count=count)]


def base(question: str) -> str:
    return question.split(".")[0]


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def section(title: str, lines: Sequence[str]) -> list[str]:
    return [f"### {title}", *lines] if lines else []


def heading(flows: FlowRegistry, answer: StoredAnswer, words: DigestWording) -> str:
    """The short heading the coachee saw in their review ("What helped"), not the question's wording."""
    if answer.question == "for_coach":
        return words.for_you
    try:
        return flows.spec(answer.flow).state(base(answer.question)).heading
    except (KeyError, FlowError):
        return base(answer.question).replace("_", " ").capitalize()


def choice_value(flows: FlowRegistry, answer: StoredAnswer) -> str | None:
    """The value of a choice answered by its label ("Keep it" → "keep")."""
    try:
        choices = flows.spec(answer.flow).state(base(answer.question)).choices
    except (KeyError, FlowError):
        return None
    label = (answer.text or "").rpartition(": ")[2]
    return next((c.value for c in choices if c.label == label), None)
