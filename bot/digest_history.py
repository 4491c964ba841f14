"""The digest's short history: the goal over time, the actions and how they went, the scaling trend, and the
other answers worth seeing again, each with its date and where it came from."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from bot.chart import Reading, source_label
from bot.digest_view import BEFORE, AnswerView, Topic, base, choice_value, heading, one_line, section
from bot.markup import SPARK
from bot.storage import store
from bot.storage.records import ActionRow, StoredAnswer
from flows.registry import FlowRegistry

REASONS = frozenset({"why_now", "new_why_now", "goal_keep_why", "goal_change_why"})
"""The questions that ask why a goal was set, kept, changed or replaced."""


def sparkline(values: Sequence[int]) -> str:
    """The trend in one line of text, for chats that show no images."""
    return "".join(SPARK[min(7, max(0, round((v - 1) * 7 / 9)))] for v in values)


@dataclass(frozen=True)
class History:
    """The history's parts, each a Markdown section (empty ones left out), and the readings the chart draws."""

    parts: tuple[tuple[str, ...], ...]
    readings: tuple[Reading, ...]


def history(conn: Connection, *, coachee_id: int, view: AnswerView, flows: FlowRegistry, today: date) -> History:
    """Everything before this session worth seeing again, oldest first within each part."""
    topic, titles = view.words.topics, view.words.sections
    final = frozenset({"final_review"})
    readings, trend = scaling(conn, coachee_id, view)
    parts = [
        goal_history(view, flows),
        actions_history(store.actions_of(conn, coachee_id), view, flows, today=today),
        trend,
        _latest_section(view, titles.exceptions, (
            Topic(topic.exception, BEFORE, frozenset({"exception"})),
            Topic(topic.strengths, BEFORE, flows.remembered_questions("strengths") | {"strengths"}),
            Topic(topic.role_model, BEFORE, frozenset({"role_model"})),
        )),
        _dated_section(view, titles.checkins, flows, lambda a: a.flow == "checkin" and base(a.question)
                       not in ("scaling", "action_status", "action_obstacle")),
        _dated_section(view, titles.journal, flows, lambda a: a.flow == "journal"),
        _latest_section(view, titles.looking_back, (
            Topic(topic.helped, final, frozenset({"helped"})),
            Topic(topic.keep_doing, final, frozenset({"keep_doing"})),
            Topic(topic.relationship, final, frozenset({"relationship"})),
        )),
    ]
    return History(parts=tuple(tuple(part) for part in parts if part), readings=tuple(readings))


def goal_history(view: AnswerView, flows: FlowRegistry) -> list[str]:
    """Each goal they set, kept, changed or replaced, oldest first, with why when they said."""
    w = view.words
    goals = flows.remembered_questions("goal") | {"goal", "goal_changed", "new_goal"}
    lines, kept = [], 0
    for run in view.runs(BEFORE | {"final_review"}):
        goal = next((a for a in run if base(a.question) in goals), None)
        choice = next((a for a in run if base(a.question) == "goal_choice"), None)
        reasons = [a for a in run if base(a.question) in REASONS]
        told = [a for a in (goal, choice, *reasons) if a is not None]
        kept += sum(not a.shared for a in told)
        line = None
        if goal is not None and goal.shared:
            template = {("follow_up", "goal_changed"): w.goal_changed, ("follow_up", "new_goal"): w.goal_new,
                        ("final_review", "new_goal"): w.goal_forward}.get((goal.flow, base(goal.question)),
                                                                            w.goal_set)
            line = template.format(day=view.day(goal.created_at), where=view.where(goal), goal=one_line(goal.text))
        elif goal is None and choice is not None and choice.shared and choice_value(flows, choice) == "keep":
            line = w.goal_kept.format(day=view.day(choice.created_at), where=view.where(choice))
        if line is None:
            continue
        lines.append(line)
        lines += [w.goal_reason.format(reason=one_line(a.text)) for a in reasons if a.shared]
    lines += view.kept(kept, spaced=bool(lines))
    return section(w.goal_history, lines)


def actions_history(actions: Sequence[ActionRow], view: AnswerView, flows: FlowRegistry, *, today: date) -> list[str]:
    """Each agreed action: when, by when, and how it went at each check-in and follow-up, as far as the coachee
    shared that; then what they thought might get in the way. The actions table is updated as soon as they answer,
    so the status shown comes from their shared answers, never from the table."""
    labels = status_labels(flows)
    w = view.words
    words = {"done": w.status.done, "partly": w.status.partly, "not_yet": w.status.not_yet, "open": w.status.open}
    unfinished = (w.status.open, w.status.partly, w.status.not_yet)
    notes = {"action_done": w.topics.action_done, "action_obstacle": w.topics.action_obstacle,
             "action_replan": w.topics.action_replan}
    lines, kept = [], 0
    for action in actions:
        said = [a for a in view.answers if a.question.partition(".")[2] == str(action.id) and view.counted(a)]
        statuses = [a for a in said if base(a.question) == "action_status"]
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
        lines.append(w.action_line.format(action=one_line(action.text), agreed=agreed, due=due,
                                          trail=" → ".join(steps or [w.status.open]),
                                          overdue=w.action_overdue if late else ""))
        for kind in dict.fromkeys(base(a.question) for a in said if base(a.question) != "action_status"):
            same = [a for a in said if base(a.question) == kind]
            shown = [i for i, a in enumerate(same) if a.shared]
            kept += len(same) - (shown[-1] + 1 if shown else 0)
            if shown:
                note = same[shown[-1]]
                lines.append(w.action_note.format(
                    heading=notes.get(kind) or heading(flows, note, w), day=view.day(note.created_at),
                    note=one_line(note.text).removeprefix(one_line(action.text) + ": ")))
    plan = _latest_lines(view, (Topic(w.topics.obstacles, frozenset({"post_session"}), frozenset({"obstacles"})),
                                Topic(w.topics.overcome, frozenset({"post_session"}), frozenset({"overcome"}))))
    lines += plan.lines
    lines += view.kept(kept + plan.kept, spaced=bool(lines))
    return section(w.actions, lines)


def status_labels(flows: FlowRegistry) -> dict[str, str]:
    """Button label → status value ("Not yet" → "not_yet"), from every flow that asks how an action went."""
    labels: dict[str, str] = {}
    for name in flows.names():
        for state in flows.spec(name).states:
            if state.action == "status":
                labels.update({choice.label: choice.value for choice in state.choices})
    return labels


def scaling(conn: Connection, coachee_id: int, view: AnswerView) -> tuple[list[Reading], list[str]]:
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
    return readings, section(w.scaling, lines)


@dataclass(frozen=True)
class _Latest:
    lines: list[str]
    kept: int


def _latest_lines(view: AnswerView, topics: Sequence[Topic]) -> _Latest:
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
                                                        where=view.where(answer), note=one_line(answer.text)))
    return _Latest(lines=lines, kept=kept)


def _latest_section(view: AnswerView, title: str, topics: Sequence[Topic]) -> list[str]:
    latest = _latest_lines(view, topics)
    return section(title, [*latest.lines, *view.kept(latest.kept, spaced=bool(latest.lines))])


def _dated_section(view: AnswerView, title: str, flows: FlowRegistry,
                   belongs: Callable[[StoredAnswer], bool]) -> list[str]:
    """Every shared answer of this kind since the last session, with its date."""
    lines, kept = [], 0
    for answer in view.answers:
        if not (belongs(answer) and view.recent(answer) and view.counted(answer)):
            continue
        if not answer.shared:
            kept += 1
            continue
        lines.append(f"- {view.day(answer.created_at)}, {heading(flows, answer, view.words)}: {one_line(answer.text)}")
    lines += view.kept(kept, spaced=bool(lines))
    return section(title, lines)
