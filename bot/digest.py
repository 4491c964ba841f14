"""The coach's digest before a session: only what the coachee agreed to share, and a plain word where they kept
something back.

An answer counts as shared once its run was sent (or, for flows shared by consent, as soon as it was given). An
answer left out of a run that was sent was kept private: the digest says so, by count, and never shows it. Runs
never sent (a review still open, a journal entry kept "just for you") are not mentioned at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection

from bot.chart import Reading, chart_png
from bot.storage import store
from bot.storage.records import ActionRow, Coachee, Session, StoredAnswer
from bot.types import Attachment, Reply
from bot.wording import DigestTopics, DigestWording, EngineWording
from flows.registry import FlowError, FlowRegistry

SPARK = "▁▂▃▄▅▆▇█"
UPCOMING = ("planned", "moved")
CHART_NAME = "scaling.png"
_BEFORE = frozenset({"pre_session", "follow_up"})
class Digest(BaseModel):
    """One coachee's digest for their coach: Markdown text, and the scaling chart when there are readings."""

    model_config = ConfigDict(frozen=True)

    coach_id: int
    coachee_id: int
    text: str
    readings: tuple[Reading, ...] = ()
    chart_png: bytes | None = None


def sparkline(values: Sequence[int]) -> str:
    """The trend in one line of text, for chats that show no images."""
    return "".join(SPARK[min(7, max(0, round((v - 1) * 7 / 9)))] for v in values)


def render_digest(
    conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime | None = None,
    default_timezone: str = "UTC", words: DigestWording | None = None,
) -> str:
    """The digest's text alone, as the coach's /digest command shows it: no chart is drawn."""
    return build_digest(conn, coachee_id=coachee_id, flows=flows, now=now or datetime.now(UTC),
                        default_timezone=default_timezone, chart=False, words=words).text


def send_digest(
    conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime, default_timezone: str = "UTC",
    session_id: int | None = None, words: DigestWording | None = None,
) -> int | None:
    """Build the digest and queue it for the coach, in the caller's transaction; None if the coach has no chat."""
    digest = build_digest(conn, coachee_id=coachee_id, flows=flows, now=now, default_timezone=default_timezone,
                          session_id=session_id, words=words)
    return queue_digest(conn, digest, now=now)


def queue_digest(conn: Connection, digest: Digest, *, now: datetime) -> int | None:
    """One outbox row of kind "digest" to the coach's first chat: the text, with the chart attached if there is one."""
    identities = store.identities_of(conn, coach_id=digest.coach_id)
    if not identities:
        return None
    attachment = None
    if digest.chart_png is not None:
        attachment = Attachment(filename=CHART_NAME, media_type="image/png", data=digest.chart_png)
    (outbox_id,) = store.add_outbox(conn, to=store.address_of(identities[0]), kind="digest", at=now,
                                    replies=[Reply(text=digest.text, attachment=attachment, markdown=True)],
                                    coachee_id=digest.coachee_id)
    return outbox_id


def build_digest(
    conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime, default_timezone: str = "UTC",
    session_id: int | None = None, chart: bool = True, words: DigestWording | None = None,
) -> Digest:
    """The digest for the coachee's next session (or the session given), as the coach should see it now."""
    w = words or EngineWording.load().digest
    coachee = store.get_coachee(conn, coachee_id)
    coach = store.get_coach(conn, coachee.coach_id)
    sessions = store.list_sessions(conn, coachee_id=coachee_id)
    upcoming, last = _around(sessions, now=now, session_id=session_id)
    zone = ZoneInfo(coachee.timezone or (upcoming.timezone if upcoming else default_timezone))
    since = last.at if last else None
    same_name = coachee.name.casefold()
    namesakes = [c for c in store.list_coachees(conn, coach_id=coach.id) if c.name.casefold() == same_name]
    named = coachee.name if len(namesakes) < 2 else w.namesake.format(coachee=coachee.name, id=coachee.id)
    lines = [w.title.format(coach=coach.name, coachee=named), ""]
    lines += _header(coachee, upcoming, last, zone, w)
    safety = _safety(conn, coachee_id, since=since, zone=zone, words=w)
    who = coachee.first_name
    refusal = None
    if coachee.consent_store is None:
        refusal = w.not_started.format(who=who)
    elif not coachee.consent_store:
        refusal = w.not_kept.format(who=who)
    elif not coachee.consent_share:
        refusal = w.not_shared.format(who=who)
    if refusal is not None:
        lines += [refusal, "", *safety]
        return Digest(coach_id=coach.id, coachee_id=coachee_id, text=_join(lines))

    view = _View(answers=store.answers_of(conn, coachee_id), since=since, zone=zone, who=who, words=w)
    readings, scaling = _scaling(conn, coachee_id, view)
    topic, section = w.topics, w.sections
    final = frozenset({"final_review"})
    sections = [
        _latest_section(view, section.goal, _goal_topics(flows, topic)),
        scaling,
        _latest_section(view, section.exceptions, (
            _Topic(topic.exception, _BEFORE, frozenset({"exception"})),
            _Topic(topic.strengths, _BEFORE, flows.remembered_questions("strengths") | {"strengths"}),
            _Topic(topic.role_model, _BEFORE, frozenset({"role_model"})),
        )),
        _actions(store.actions_of(conn, coachee_id), view, flows, today=now.astimezone(zone).date()),
        _dated_section(view, section.checkins, flows, lambda a: a.flow == "checkin" and _base(a.question)
                       not in ("scaling", "action_status", "action_obstacle")),
        _dated_section(view, section.journal, flows, lambda a: a.flow == "journal"),
        _latest_section(view, section.looking_back, (
            _Topic(topic.helped, final, frozenset({"helped"})),
            _Topic(topic.keep_doing, final, frozenset({"keep_doing"})),
            _Topic(topic.relationship, final, frozenset({"relationship"})),
        )),
    ]
    shown = [part for part in sections if part]
    for part in shown:
        lines += [*part, ""]
    if not shown:
        lines += [w.nothing_shared, ""]
    lines += safety
    anything = _latest_section(view, section.anything_else, (
        _Topic(topic.anything_else, _BEFORE, frozenset({"anything_else"})),))
    if anything:
        lines += ["", *anything]
    png = chart_png(readings, zone=zone.key) if chart and readings else None
    return Digest(coach_id=coach.id, coachee_id=coachee_id, text=_join(lines), readings=tuple(readings),
                  chart_png=png)


# sessions

def _around(sessions: Sequence[Session], *, now: datetime, session_id: int | None) -> tuple[Session | None,
                                                                                            Session | None]:
    """The session this digest is for (the next upcoming one, or the one named) and the last one before it that
    happened: marked done, or its time has passed. Cancelled sessions never happened."""
    live = [s for s in sessions if s.status != "cancelled"]
    if session_id is not None:
        upcoming = next((s for s in sessions if s.id == session_id), None)
        if upcoming is None:
            raise store.NotFound(f"no session {session_id} for this coachee")
    else:
        upcoming = min((s for s in live if s.status in UPCOMING and s.at > now), key=lambda s: s.at, default=None)
    past = [s for s in live if s != upcoming and (s.status == "done" or s.at <= now)
            and (upcoming is None or s.at < upcoming.at)]
    return upcoming, max(past, key=lambda s: s.at, default=None)


def _header(coachee: Coachee, upcoming: Session | None, last: Session | None, zone: ZoneInfo,
            w: DigestWording) -> list[str]:
    lines = []
    if upcoming is not None:
        lines.append(w.next_session.format(number=upcoming.number, zone=zone.key,
                                           when=f"{upcoming.at.astimezone(zone):%A %-d %B %Y, %H:%M}"))
    else:
        lines.append(w.no_session)
    if last is not None:
        lines.append(w.last_session.format(number=last.number, when=f"{last.at.astimezone(zone):%A %-d %B %Y}"))
    lines.append("")
    status = {"hold": w.on_hold, "paused": w.paused, "stopped": w.stopped}.get(coachee.status)
    if status is not None:
        lines += [status, ""]
    return lines


# answers

@dataclass(frozen=True)
class _Topic:
    heading: str
    flows: frozenset[str]
    questions: frozenset[str]

    def holds(self, answer: StoredAnswer) -> bool:
        return answer.flow in self.flows and _base(answer.question) in self.questions


class _View:
    """The coachee's answers as the coach may see them: shared ones, and a count of those kept private."""

    def __init__(self, *, answers: Sequence[StoredAnswer], since: datetime | None, zone: ZoneInfo, who: str,
                 words: DigestWording):
        self.answers = [a for a in answers if a.text]
        self.sent_runs = {a.run_id for a in self.answers if a.shared}
        self.since, self.zone, self.who, self.words = since, zone, who, words

    def counted(self, answer: StoredAnswer) -> bool:
        """Shared, or kept out of a run that was sent: what the coach sees, or is told was held back."""
        return answer.shared or answer.run_id in self.sent_runs

    def recent(self, answer: StoredAnswer) -> bool:
        return self.since is None or answer.created_at >= self.since

    def day(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%-d %b}"

    def kept(self, count: int, *, readings: bool = False, spaced: bool = True) -> list[str]:
        """The plain word that something was held back: a count, never which answer or what it said. `spaced`
        sets it apart from a list above it, which Markdown would otherwise run it into."""
        if not count:
            return []
        w = self.words
        template = (w.kept_reading if count == 1 else w.kept_readings) if readings else (
            w.kept_answer if count == 1 else w.kept_answers)
        return [*([""] if spaced else []), template.format(who=self.who, count=count)]


def _base(question: str) -> str:
    return question.split(".")[0]


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _goal_topics(flows: FlowRegistry, topic: DigestTopics) -> tuple[_Topic, ...]:
    return (
        _Topic(topic.goal, _BEFORE, flows.remembered_questions("goal") | {"goal", "goal_changed", "new_goal"}),
        _Topic(topic.why_now, _BEFORE, frozenset({"why_now", "new_why_now"})),
        _Topic(topic.since, frozenset({"follow_up"}), frozenset({"since"})),
        _Topic(topic.session_want, _BEFORE, frozenset({"session_want"})),
        _Topic(topic.know_useful, _BEFORE, frozenset({"know_useful", "new_know"})),
        _Topic(topic.miracle, _BEFORE, frozenset({"miracle"})),
        _Topic(topic.costs, _BEFORE, frozenset({"costs"})),
    )


def _latest_section(view: _View, title: str, topics: Sequence[_Topic]) -> list[str]:
    """Each topic's latest shared answer, and how many answers newer than it were kept private."""
    lines, kept = [], 0
    for topic in topics:
        candidates = [a for a in view.answers if topic.holds(a) and view.counted(a)]
        shared = [i for i, a in enumerate(candidates) if a.shared]
        after = shared[-1] + 1 if shared else 0
        kept += len(candidates) - after
        if shared:
            answer = candidates[shared[-1]]
            lines.append(f"- **{topic.heading}** ({view.day(answer.created_at)}): {_one_line(answer.text)}")
    lines += view.kept(kept, spaced=bool(lines))
    return [f"## {title}", *lines] if lines else []


def _dated_section(view: _View, title: str, flows: FlowRegistry, belongs: Callable[[StoredAnswer], bool]) -> list[str]:
    """Every shared answer of this kind since the last session, with its date."""
    lines, kept = [], 0
    for answer in view.answers:
        if not (belongs(answer) and view.recent(answer) and view.counted(answer)):
            continue
        if not answer.shared:
            kept += 1
            continue
        heading = _heading(flows, answer, view.words)
        lines.append(f"- {view.day(answer.created_at)}, {heading}: {_one_line(answer.text)}")
    lines += view.kept(kept, spaced=bool(lines))
    return [f"## {title}", *lines] if lines else []


def _heading(flows: FlowRegistry, answer: StoredAnswer, words: DigestWording) -> str:
    """The short heading the coachee saw in their review ("What helped"), not the question's wording."""
    if answer.question == "for_coach":
        return words.for_you
    try:
        return flows.spec(answer.flow).state(_base(answer.question)).heading
    except (KeyError, FlowError):
        return _base(answer.question).replace("_", " ").capitalize()


# scaling

def _scaling(conn: Connection, coachee_id: int, view: _View) -> tuple[list[Reading], list[str]]:
    """Every shared reading, oldest first. A reading counts as shared only if its answer was."""
    by_key = {(a.run_id, a.question): a for a in view.answers}
    readings: list[Reading] = []
    kept = 0
    for at, value, run_id, question in store.scale_rows(conn, coachee_id):
        answer = by_key.get((run_id or "", question or ""))
        if answer is None or not view.counted(answer):
            continue
        if answer.shared:
            readings.append(Reading(at=at, value=value))
        else:
            kept += 1
    lines = []
    w = view.words
    if readings:
        values = [r.value for r in readings]
        lines += [w.scaling_line.format(values=" → ".join(map(str, values)), spark=sparkline(values)),
                  w.readings_line.format(readings=" → ".join(f"{r.value} ({view.day(r.at)})" for r in readings))]
    lines += view.kept(kept, readings=True, spaced=bool(lines))
    return readings, ([f"## {w.scaling}", *lines] if lines else [])


# actions

def _actions(actions: Sequence[ActionRow], view: _View, flows: FlowRegistry, *, today: date) -> list[str]:
    """Each agreed action with its date and how it went, as far as the coachee shared that. The actions table is
    updated as soon as they answer, so the status shown comes from their shared answers, never from the table."""
    labels = _status_labels(flows)
    w = view.words
    words = {"done": w.status.done, "partly": w.status.partly, "not_yet": w.status.not_yet, "open": w.status.open}
    unfinished = (w.status.open, w.status.partly, w.status.not_yet)
    lines, kept = [], 0
    for action in actions:
        said = [a for a in view.answers if _base(a.question) in ("action_status", "action_obstacle")
                and a.question.partition(".")[2] == str(action.id) and view.counted(a)]
        statuses = [a for a in said if _base(a.question) == "action_status"]
        status = w.status.open
        if statuses and not statuses[-1].shared:
            kept += 1
            status = w.status.kept_private
        elif statuses:
            label = statuses[-1].text.rpartition(": ")[2] if statuses[-1].text else ""
            status = words.get(labels.get(label, ""), label.lower() or w.status.open)
        due = w.action_due.format(date=f"{action.due_on:%a %-d %b}") if action.due_on else ""
        late = action.due_on is not None and action.due_on < today and status in unfinished
        overdue = w.action_overdue if late else ""
        lines.append(f"- {_one_line(action.text)}{due}: {status}{overdue}")
        obstacles = [a for a in said if _base(a.question) == "action_obstacle"]
        if obstacles and not obstacles[-1].shared:
            kept += 1
        elif obstacles:
            note = _one_line(obstacles[-1].text).removeprefix(_one_line(action.text) + ": ")
            lines.append(w.action_obstacle.format(day=view.day(obstacles[-1].created_at), note=note))
    lines += view.kept(kept, spaced=bool(lines))
    return [f"## {w.actions}", *lines] if lines else []


def _status_labels(flows: FlowRegistry) -> dict[str, str]:
    """Button label → status value ("Not yet" → "not_yet"), from every flow that asks how an action went."""
    labels: dict[str, str] = {}
    for name in flows.names():
        for state in flows.spec(name).states:
            if state.action == "status":
                labels.update({choice.label: choice.value for choice in state.choices})
    return labels


# safety

def _safety(conn: Connection, coachee_id: int, *, since: datetime | None, zone: ZoneInfo,
            words: DigestWording) -> list[str]:
    """What the service did and when, since the last session: tier and routing only, never what was written.
    Repeats of the same routing in a row are counted, not listed."""
    events = store.safety_events_of(conn, coachee_id, since=since)
    title = f"## {words.safety_since if since is not None else words.safety}"
    if not events:
        return [title, words.safety_none]
    grouped: list[tuple[datetime, str, str, int]] = []
    for at, tier, action in events:
        if grouped and grouped[-1][1:3] == (tier, action):
            first, _, _, count = grouped[-1]
            grouped[-1] = (first, tier, action, count + 1)
        else:
            grouped.append((at, tier, action, 1))
    lines = [title]
    for at, tier, action, count in grouped:
        level = words.safety_tier.format(tier=tier) if tier != "none" else ""
        times = words.safety_times.format(count=count) if count > 1 else ""
        routing = words.routing.model_dump().get(action) or action.replace("_", " ")
        lines.append(f"- {at.astimezone(zone):%-d %b %H:%M}{level}: {routing}{times}")
    return lines


def _join(lines: Sequence[str]) -> str:
    text = "\n".join(lines).rstrip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text + "\n"
