"""The coach's digest before a session: what the coachee said for that session, a short history, and what the
service did for their safety; only what they agreed to share, and a plain word where they kept something back.

Per session, not a mix: the answers shown as this session's are the questions before it (session 1's pre-session
questions, a later session's follow-up), answered since the last session. Anything older appears only in the
history, with its date and where it came from.

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

from bot.chart import Reading, SessionMark, chart_alt, chart_png, source_label
from bot.storage import store
from bot.storage.records import ActionRow, Coachee, SafetyEventRow, Session, StoredAnswer
from bot.types import Attachment, Reply
from bot.wording import DigestWording, EngineWording
from flows.registry import FlowError, FlowRegistry

SPARK = "▁▂▃▄▅▆▇█"
UPCOMING = ("planned", "moved")
CHART_NAME = "scaling.png"
_BEFORE = frozenset({"pre_session", "follow_up"})
"""The flows asked before a session: what the coachee says for that session."""
_REASONS = frozenset({"why_now", "new_why_now", "goal_keep_why", "goal_change_why"})
"""The questions that ask why a goal was set, kept, changed or replaced."""


class Digest(BaseModel):
    """One coachee's digest for their coach: Markdown text, and the scaling chart when there are readings."""

    model_config = ConfigDict(frozen=True)

    coach_id: int
    coachee_id: int
    text: str
    readings: tuple[Reading, ...] = ()
    chart_png: bytes | None = None
    chart_alt: str | None = None  # what the chart shows, in words; set whenever there are readings


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
        attachment = Attachment(filename=CHART_NAME, media_type="image/png", data=digest.chart_png,
                                alt_text=digest.chart_alt)
    (outbox_id,) = store.add_outbox(conn, to=store.address_of(identities[0]), kind="digest", at=now,
                                    replies=[Reply(text=digest.text, attachment=attachment, markdown=True)],
                                    coachee_id=digest.coachee_id)
    return outbox_id


def build_digest(
    conn: Connection, *, coachee_id: int, flows: FlowRegistry, now: datetime, default_timezone: str = "UTC",
    session_id: int | None = None, chart: bool = True, words: DigestWording | None = None,
) -> Digest:
    """The digest for the coachee's next session (or the session given), as the coach should see it now: what they
    said for that session, then a short history, then what the service did for their safety."""
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

    calendar = _Calendar(tuple(sorted((s for s in sessions if s.status != "cancelled"), key=lambda s: s.at)))
    view = _View(answers=store.answers_of(conn, coachee_id), since=since, zone=zone, who=who, words=w,
                 calendar=calendar)
    lines += [*_this_session(view, flows, upcoming=upcoming, last=last), ""]
    readings, scaling = _scaling(conn, coachee_id, view)
    topic, section = w.topics, w.sections
    final = frozenset({"final_review"})
    history = [
        _goal_history(view, flows),
        _actions(store.actions_of(conn, coachee_id), view, flows, today=now.astimezone(zone).date()),
        scaling,
        _latest_section(view, section.exceptions, (
            _Topic(topic.exception, _BEFORE, frozenset({"exception"})),
            _Topic(topic.strengths, _BEFORE, flows.remembered_questions("strengths") | {"strengths"}),
            _Topic(topic.role_model, _BEFORE, frozenset({"role_model"})),
        )),
        _dated_section(view, section.checkins, flows, lambda a: a.flow == "checkin" and _base(a.question)
                       not in ("scaling", "action_status", "action_obstacle")),
        _dated_section(view, section.journal, flows, lambda a: a.flow == "journal"),
        _latest_section(view, section.looking_back, (
            _Topic(topic.helped, final, frozenset({"helped"})),
            _Topic(topic.keep_doing, final, frozenset({"keep_doing"})),
            _Topic(topic.relationship, final, frozenset({"relationship"})),
        )),
    ]
    shown = [part for part in history if part]
    if shown:
        lines += [f"## {w.history}", ""]
    for part in shown:
        lines += [*part, ""]
    lines += safety
    png = alt = None
    if readings:
        marks = [SessionMark(number=s.number, at=s.at) for s in calendar.sessions
                 if upcoming is None or s.at <= upcoming.at]
        alt = chart_alt(readings, marks, zone=zone.key, words=w.chart, sources=w.sources)
        if chart:
            png = chart_png(readings, marks, zone=zone.key, words=w.chart, sources=w.sources)
    return Digest(coach_id=coach.id, coachee_id=coachee_id, text=_join(lines), readings=tuple(readings),
                  chart_png=png, chart_alt=alt)


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


# which session

@dataclass(frozen=True)
class _Calendar:
    """Which session an answer or a reading belongs to, by when it was given."""

    sessions: tuple[Session, ...]  # not cancelled, by time

    def before(self, moment: datetime) -> Session | None:
        return next((s for s in self.sessions if s.at > moment), None)

    def after(self, moment: datetime) -> Session | None:
        return max((s for s in self.sessions if s.at <= moment), key=lambda s: s.at, default=None)

    def where(self, flow: str, moment: datetime, words: DigestWording) -> str:
        """'before session 2', 'after session 1', or the flow it came from ('check-in')."""
        if flow in _BEFORE and (ahead := self.before(moment)) is not None:
            return words.before_session.format(number=ahead.number)
        if flow == "post_session" and (behind := self.after(moment)) is not None:
            return words.after_session.format(number=behind.number)
        return source_label(flow, words.sources)


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
                 words: DigestWording, calendar: _Calendar):
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


def _base(question: str) -> str:
    return question.split(".")[0]


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _section(title: str, lines: Sequence[str]) -> list[str]:
    return [f"### {title}", *lines] if lines else []


def _heading(flows: FlowRegistry, answer: StoredAnswer, words: DigestWording) -> str:
    """The short heading the coachee saw in their review ("What helped"), not the question's wording."""
    if answer.question == "for_coach":
        return words.for_you
    try:
        return flows.spec(answer.flow).state(_base(answer.question)).heading
    except (KeyError, FlowError):
        return _base(answer.question).replace("_", " ").capitalize()


def _choice_value(flows: FlowRegistry, answer: StoredAnswer) -> str | None:
    """The value of a choice answered by its label ("Keep it" → "keep")."""
    try:
        choices = flows.spec(answer.flow).state(_base(answer.question)).choices
    except (KeyError, FlowError):
        return None
    label = (answer.text or "").rpartition(": ")[2]
    return next((c.value for c in choices if c.label == label), None)


# this session

def _this_session(view: _View, flows: FlowRegistry, *, upcoming: Session | None, last: Session | None) -> list[str]:
    """What they said for the session this digest is for: the latest questions before it, answered since the last
    session, exactly as they saw them in their review. Never an earlier session's answers as if they were these."""
    w = view.words
    start, end = (last.at if last else None), (upcoming.at if upcoming else None)
    runs = [run for run in view.runs(_BEFORE)
            if (start is None or run[0].created_at >= start) and (end is None or run[0].created_at < end)]
    if not runs and upcoming is None:
        return []
    title = f"## {w.this_session.format(number=upcoming.number) if upcoming else w.next_one}"
    if not runs:
        return [title, w.this_session_nothing.format(who=view.who)]
    run = runs[-1]
    shared = [a for a in run if a.shared]
    lines = [title]
    if shared:
        lines.append(w.this_session_from.format(source=source_label(run[0].flow, w.sources),
                                                day=view.day(max(a.created_at for a in run))))
    lines += [w.answer_line.format(heading=_heading(flows, a, w), text=_one_line(a.text)) for a in shared]
    return lines + view.kept(len(run) - len(shared), spaced=bool(shared))


# history

def _goal_history(view: _View, flows: FlowRegistry) -> list[str]:
    """Each goal they set, kept, changed or replaced, oldest first, with why when they said."""
    w = view.words
    goals = flows.remembered_questions("goal") | {"goal", "goal_changed", "new_goal"}
    lines, kept = [], 0
    for run in view.runs(_BEFORE | {"final_review"}):
        goal = next((a for a in run if _base(a.question) in goals), None)
        choice = next((a for a in run if _base(a.question) == "goal_choice"), None)
        reasons = [a for a in run if _base(a.question) in _REASONS]
        told = [a for a in (goal, choice, *reasons) if a is not None]
        kept += sum(not a.shared for a in told)
        line = None
        if goal is not None and goal.shared:
            template = {("follow_up", "goal_changed"): w.goal_changed, ("follow_up", "new_goal"): w.goal_new,
                        ("final_review", "new_goal"): w.goal_forward}.get((goal.flow, _base(goal.question)),
                                                                            w.goal_set)
            line = template.format(day=view.day(goal.created_at), where=view.where(goal), goal=_one_line(goal.text))
        elif goal is None and choice is not None and choice.shared and _choice_value(flows, choice) == "keep":
            line = w.goal_kept.format(day=view.day(choice.created_at), where=view.where(choice))
        if line is None:
            continue
        lines.append(line)
        lines += [w.goal_reason.format(reason=_one_line(a.text)) for a in reasons if a.shared]
    lines += view.kept(kept, spaced=bool(lines))
    return _section(w.goal_history, lines)


def _actions(actions: Sequence[ActionRow], view: _View, flows: FlowRegistry, *, today: date) -> list[str]:
    """Each agreed action: when, by when, and how it went at each check-in and follow-up, as far as the coachee
    shared that; then what they thought might get in the way. The actions table is updated as soon as they answer,
    so the status shown comes from their shared answers, never from the table."""
    labels = _status_labels(flows)
    w = view.words
    words = {"done": w.status.done, "partly": w.status.partly, "not_yet": w.status.not_yet, "open": w.status.open}
    unfinished = (w.status.open, w.status.partly, w.status.not_yet)
    notes = {"action_done": w.topics.action_done, "action_obstacle": w.topics.action_obstacle,
             "action_replan": w.topics.action_replan}
    lines, kept = [], 0
    for action in actions:
        said = [a for a in view.answers if a.question.partition(".")[2] == str(action.id) and view.counted(a)]
        statuses = [a for a in said if _base(a.question) == "action_status"]
        steps, status = [], w.status.open
        for answer in statuses:
            if not answer.shared:
                kept += 1
                continue
            label = answer.text.rpartition(": ")[2] if answer.text else ""
            status = words.get(labels.get(label, ""), label.lower() or w.status.open)
            steps.append(w.action_step.format(status=status, source=source_label(answer.flow, w.sources),
                                              day=view.day(answer.created_at)))
        if statuses and not statuses[-1].shared:
            status = w.status.kept_private
            steps.append(status)
        after = view.calendar.after(action.created_at)
        day = view.day(action.created_at)
        agreed = (w.action_agreed_after.format(day=day, number=after.number) if after is not None
                  else w.action_agreed.format(day=day))
        due = w.action_due.format(date=f"{action.due_on:%a %-d %b}") if action.due_on else ""
        late = action.due_on is not None and action.due_on < today and status in unfinished
        lines.append(w.action_line.format(action=_one_line(action.text), agreed=agreed, due=due,
                                          trail=" → ".join(steps or [w.status.open]),
                                          overdue=w.action_overdue if late else ""))
        for base in dict.fromkeys(_base(a.question) for a in said if _base(a.question) != "action_status"):
            same = [a for a in said if _base(a.question) == base]
            shown = [i for i, a in enumerate(same) if a.shared]
            kept += len(same) - (shown[-1] + 1 if shown else 0)
            if shown:
                note = same[shown[-1]]
                lines.append(w.action_note.format(
                    heading=notes.get(base) or _heading(flows, note, w), day=view.day(note.created_at),
                    note=_one_line(note.text).removeprefix(_one_line(action.text) + ": ")))
    plan = _latest_lines(view, (_Topic(w.topics.obstacles, frozenset({"post_session"}), frozenset({"obstacles"})),
                                _Topic(w.topics.overcome, frozenset({"post_session"}), frozenset({"overcome"}))))
    lines += plan.lines
    lines += view.kept(kept + plan.kept, spaced=bool(lines))
    return _section(w.actions, lines)


def _status_labels(flows: FlowRegistry) -> dict[str, str]:
    """Button label → status value ("Not yet" → "not_yet"), from every flow that asks how an action went."""
    labels: dict[str, str] = {}
    for name in flows.names():
        for state in flows.spec(name).states:
            if state.action == "status":
                labels.update({choice.label: choice.value for choice in state.choices})
    return labels


def _scaling(conn: Connection, coachee_id: int, view: _View) -> tuple[list[Reading], list[str]]:
    """Every shared reading, oldest first, with where it came from. A reading counts as shared only if its answer
    was."""
    by_key = {(a.run_id, a.question): a for a in view.answers}
    readings: list[Reading] = []
    kept = 0
    for at, value, run_id, question in store.scale_rows(conn, coachee_id):
        answer = by_key.get((run_id or "", question or ""))
        if answer is None or not view.counted(answer):
            continue
        if answer.shared:
            readings.append(Reading(at=at, value=value, source=answer.flow))
        else:
            kept += 1
    lines = []
    w = view.words
    if readings:
        values = [r.value for r in readings]
        said = " → ".join(w.reading.format(value=r.value, day=view.day(r.at), source=source_label(r.source, w.sources))
                          for r in readings)
        lines += [w.scaling_line.format(values=" → ".join(map(str, values)), spark=sparkline(values)),
                  w.readings_line.format(readings=said)]
    lines += view.kept(kept, readings=True, spaced=bool(lines))
    return readings, _section(w.scaling, lines)


@dataclass(frozen=True)
class _Latest:
    lines: list[str]
    kept: int


def _latest_lines(view: _View, topics: Sequence[_Topic]) -> _Latest:
    """Each topic's latest shared answer with its date and where it came from, and how many answers newer than it
    were kept private."""
    lines, kept = [], 0
    for topic in topics:
        candidates = [a for a in view.answers if topic.holds(a) and view.counted(a)]
        shared = [i for i, a in enumerate(candidates) if a.shared]
        kept += len(candidates) - (shared[-1] + 1 if shared else 0)
        if shared:
            answer = candidates[shared[-1]]
            lines.append(view.words.history_note.format(heading=topic.heading, day=view.day(answer.created_at),
                                                        where=view.where(answer), note=_one_line(answer.text)))
    return _Latest(lines=lines, kept=kept)


def _latest_section(view: _View, title: str, topics: Sequence[_Topic]) -> list[str]:
    latest = _latest_lines(view, topics)
    return _section(title, [*latest.lines, *view.kept(latest.kept, spaced=bool(latest.lines))])


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
    return _section(title, lines)


# safety

def _safety(conn: Connection, coachee_id: int, *, since: datetime | None, zone: ZoneInfo,
            words: DigestWording) -> list[str]:
    """What the service did and when, since the last session, and whether the coachee said an alert was a
    mistake: tier and routing only, never what was written. Repeats of the same routing in a row are counted, not
    listed."""
    events = store.safety_events_of(conn, coachee_id, since=since)
    title = f"## {words.safety_since if since is not None else words.safety}"
    if not events:
        return [title, words.safety_none]
    grouped: list[tuple[SafetyEventRow, int]] = []
    for event in events:
        if grouped and event.said_mistake_at is None and grouped[-1][0].said_mistake_at is None and (
                grouped[-1][0].tier, grouped[-1][0].action) == (event.tier, event.action):
            grouped[-1] = (grouped[-1][0], grouped[-1][1] + 1)
        else:
            grouped.append((event, 1))
    lines = [title]
    for event, count in grouped:
        level = words.safety_tier.format(tier=event.tier) if event.tier != "none" else ""
        times = words.safety_times.format(count=count) if count > 1 else ""
        routing = words.routing.model_dump().get(event.action) or event.action.replace("_", " ")
        mistake = "" if event.said_mistake_at is None else words.safety_mistake.format(
            when=f"{event.said_mistake_at.astimezone(zone):%-d %b %H:%M}")
        lines.append(f"- {event.at.astimezone(zone):%-d %b %H:%M}{level}: {routing}{times}{mistake}")
    return lines


def _join(lines: Sequence[str]) -> str:
    text = "\n".join(lines).rstrip("\n")
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text + "\n"
