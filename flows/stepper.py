"""One turn of a flow: read the answer, move the Machine, and say the next thing. No I/O of its own.

What it needs to know about the coachee (their goal, last reading, open actions) it asks of a read-only
`FlowFacts`; what it decides comes back as a StepResult, which the engine stores in one transaction, so a
flow step is either all done or not at all.
"""

from __future__ import annotations

import string
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

from flows.asking import fingerprint, is_question_about_the_question
from flows.parsing import Parsed, Problem, fold, parse_answer, parse_review_pick
from flows.registry import (
    ITEMS_DONE,
    NEXT,
    TO_REVIEW,
    FlowError,
    FlowRegistry,
    branch_trigger,
    change_trigger,
    changeable,
)
from flows.reply import Button, Frozen, Reply
from flows.spec import ActionStatus, AnswerKind, Condition, FlowSpec, ProfileField, Remember, StateSpec

WORDING = Path(__file__).resolve().parent / "wording.toml"
MAX_TRIES = 3
# not said: words people answer with
SNOOZE_WORDS = frozenset({"not now", "later", "snooze", "not right now", "ask me later", "maybe later"})
# not said: words people answer with
SKIP_RUN_WORDS = frozenset({"skip", "skip this one", "skip it", "skip this", "/skip"})
REVIEW_ACTIONS = ("send", "change", "private")


class ActionItem(Frozen):
    """An action the coachee agreed to, as a loop over actions shows it."""

    id: int
    text: str
    due: date | None = None


class AnswerView(Frozen):
    question: str
    text: str


_OWN_WORDS: dict[str, Remember] = {"strengths_note": "strengths", "exception_note": "exception",
                                   "role_model_note": "role_model"}
"""Placeholders that reflect an answer back in the coachee's own words, and the answer each reflects."""


class FlowFacts(Protocol):
    """Read-only facts about the coachee that wording and conditions may use. Looked up only when needed."""

    def last_scale(self, *, other_than: str | None = None) -> int | None:
        """The latest reading, leaving out run `other_than` (so a changed answer compares with last time)."""

    def scale_journey(self) -> tuple[int, ...]: ...

    def remembered(self, what: Remember) -> str | None: ...

    def open_actions(self) -> tuple[ActionItem, ...]: ...

    def run_answers(self, run_id: str) -> tuple[AnswerView, ...]: ...


class NoFacts:
    """A coachee we know nothing more about (and the default in tests of the wording alone)."""

    def last_scale(self, *, other_than: str | None = None) -> int | None:
        return None

    def scale_journey(self) -> tuple[int, ...]:
        return ()

    def remembered(self, what: Remember) -> str | None:
        return None

    def open_actions(self) -> tuple[ActionItem, ...]:
        return ()

    def run_answers(self, run_id: str) -> tuple[AnswerView, ...]:
        return ()


@dataclass(frozen=True)
class FlowContext:
    """Who the flow is talking to, and where to look things up."""

    name: str
    coach: str
    today: date
    can_share: bool = True
    session_number: int = 1
    facts: FlowFacts = field(default_factory=NoFacts)


class Position(Frozen):
    """Where a conversation is in a flow.

    `history` lets /back return to earlier questions ("state" or "state@index" inside a loop); `items` and
    `index` are the loop over actions; `private` and `review_mode` belong to the review.
    """

    flow: str
    state: str
    run_id: str
    attempts: int = 0
    history: tuple[str, ...] = ()
    items: tuple[ActionItem, ...] = ()
    index: int = -1
    pending_action: str | None = None
    private: tuple[str, ...] = ()
    review_mode: Literal["change", "private"] | None = None
    changing: bool = False
    queried: str = ""
    """The fingerprint of a message taken as a question about this question: sent again, it is the answer."""

    @property
    def item(self) -> ActionItem | None:
        return self.items[self.index] if 0 <= self.index < len(self.items) else None


class RecordedAnswer(Frozen):
    flow: str
    run_id: str
    question: str
    text: str
    scale: int | None = None


class ProfileChange(Frozen):
    field: ProfileField
    value: str


class NewAction(Frozen):
    text: str
    due: date
    run_id: str


class ActionUpdate(Frozen):
    action_id: int
    status: ActionStatus


class ShareRun(Frozen):
    """The coachee chose to send this run's answers to their coach, except the ones they kept private."""

    run_id: str
    private: tuple[str, ...] = ()


class StepResult(Frozen):
    """What a turn produced. `position` is None when the flow (and any flow it started) ended."""

    position: Position | None
    replies: tuple[Reply, ...] = ()
    answers: tuple[RecordedAnswer, ...] = ()
    profile: tuple[ProfileChange, ...] = ()
    finished: tuple[str, ...] = ()
    new_actions: tuple[NewAction, ...] = ()
    action_updates: tuple[ActionUpdate, ...] = ()
    shares: tuple[ShareRun, ...] = ()
    snooze: bool = False
    skipped: bool = False


class AskingWording(Frozen):
    """Answering a question about the question (flows/asking.py)."""

    general: str
    send_again: str
    markers: tuple[str, ...]
    plain: tuple[str, ...]


class Wording(Frozen):
    reasks: dict[str, str]
    notes: dict[str, str]
    review: dict[str, str]
    buttons: dict[str, str]
    asking: AskingWording

    @classmethod
    def load(cls, path: Path = WORDING) -> Wording:
        return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


def button_payload(position: Position, value: str) -> str:
    """Buttons carry flow, state and value, so a press on an old question can be recognised."""
    return f"{position.flow}:{position.state}:{value}"


@dataclass
class _Step:
    """What one turn is collecting; becomes a StepResult."""

    replies: list[Reply] = field(default_factory=list)
    answers: list[RecordedAnswer] = field(default_factory=list)
    profile: list[ProfileChange] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    new_actions: list[NewAction] = field(default_factory=list)
    action_updates: list[ActionUpdate] = field(default_factory=list)
    shares: list[ShareRun] = field(default_factory=list)

    def result(self, position: Position | None, **extra: bool) -> StepResult:
        return StepResult(
            position=position, replies=tuple(self.replies), answers=tuple(self.answers),
            profile=tuple(self.profile), finished=tuple(self.finished), new_actions=tuple(self.new_actions),
            action_updates=tuple(self.action_updates), shares=tuple(self.shares), **extra,
        )


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _history_entry(position: Position) -> str:
    return f"{position.state}@{position.index}" if position.index >= 0 else position.state


def _trend(scale: int | None, last: int | None) -> str:
    if scale is None or last is None:
        return "first"
    return "up" if scale > last else "down" if scale < last else "same"


class FlowRunner:
    """Drives flows from the registry; holds no per-conversation state of its own."""

    def __init__(self, registry: FlowRegistry, wording: Wording | None = None) -> None:
        self.registry = registry
        self.wording = wording or Wording.load()

    # what the engine calls

    def start(self, flow: str, ctx: FlowContext) -> StepResult:
        spec = self.registry.spec(flow)
        position = Position(flow=flow, state=spec.start, run_id=uuid.uuid4().hex[:16])
        step = _Step()
        return step.result(self._arrive(spec, position, ctx, step))

    def question(self, position: Position, ctx: FlowContext, *, lead: str = "") -> Reply:
        """The current question again, e.g. after a pause or a re-ask; `lead` goes before it."""
        spec = self.registry.spec(position.flow)
        return self._ask(spec, position, ctx, _Step(), lead=lead)

    def answer(
        self, position: Position, ctx: FlowContext, *, text: str | None = None, payload: str | None = None
    ) -> StepResult:
        spec = self.registry.spec(position.flow)
        state = spec.state(position.state)
        if payload is not None:
            flow, _, rest = payload.partition(":")
            state_name, _, value = rest.partition(":")
            if flow != position.flow or state_name != position.state:
                lead = self.wording.reasks["stale_button"]
                return StepResult(position=position, replies=(self.question(position, ctx, lead=lead),))
            text = value
        folded = fold(text or "").rstrip("!. ")
        if spec.snoozable and folded in SNOOZE_WORDS:
            reply = Reply(text=self._fill(spec.snoozed_say, ctx, position))
            return StepResult(position=position, replies=(reply,), snooze=True)
        if spec.skippable and folded in SKIP_RUN_WORDS and not state.skippable:
            return self.skip_run(position, ctx)
        if state.answer is AnswerKind.REVIEW:
            return self._review_answer(spec, state, position, ctx, text or "")
        if payload is None and text and self._asks_about_it(state, position, text):
            return self._explain(spec, position, state, text, ctx)
        parsed = parse_answer(state, text or "", today=ctx.today)
        if isinstance(parsed, Problem):
            return self._reask(spec, position, state, parsed, ctx)
        return self._accept(spec, state, position, parsed, ctx)

    def skip(self, position: Position, ctx: FlowContext) -> StepResult | None:
        """Skip an optional question (or, in a flow that allows it, this run); None when neither is allowed."""
        spec = self.registry.spec(position.flow)
        state = spec.state(position.state)
        if state.skippable:
            step = _Step()
            return step.result(self._move(spec, position, NEXT, ctx, step))
        if spec.skippable:
            return self.skip_run(position, ctx)
        return None

    def skip_run(self, position: Position, ctx: FlowContext) -> StepResult:
        spec = self.registry.spec(position.flow)
        reply = Reply(text=self._fill(spec.skipped_say, ctx, position))
        return StepResult(position=None, replies=(reply,), finished=(spec.name,), skipped=True)

    def back(self, position: Position, ctx: FlowContext) -> StepResult | None:
        """Return to the previous question so its answer can be changed; None at the first question."""
        if not position.history:
            return None
        state, _, index = position.history[-1].partition("@")
        previous = position.model_copy(update={
            "state": state, "history": position.history[:-1], "attempts": 0, "queried": "", "review_mode": None,
            "changing": False, "index": int(index) if index else -1,
        })
        return StepResult(position=previous, replies=(self.question(previous, ctx),))

    # moving through a flow

    def _accept(
        self, spec: FlowSpec, state: StateSpec, position: Position, parsed: Parsed, ctx: FlowContext
    ) -> StepResult:
        step = _Step()
        item = position.item
        question, text = state.name, parsed.text
        if item is not None:
            question, text = f"{state.name}.{item.id}", f"{item.text}: {parsed.text}"
        if state.record:
            step.answers.append(RecordedAnswer(
                flow=spec.name, run_id=position.run_id, question=question, text=text, scale=parsed.scale))
        if state.profile:
            step.profile.append(ProfileChange(field=state.profile, value=parsed.value))
        if parsed.trimmed:
            step.replies.append(Reply(text=self.wording.notes["trimmed"]))
        if state.answer is AnswerKind.TIMEZONE:  # a place can be read more than one way: say which was taken
            step.replies.append(Reply(text=self.wording.notes["zone_echo"].format(zone=parsed.value)))
        if state.action == "text":
            position = position.model_copy(update={"pending_action": parsed.text})
        elif state.action == "due":
            due = date.fromisoformat(parsed.value)
            step.new_actions.append(NewAction(text=position.pending_action or "", due=due, run_id=position.run_id))
            position = position.model_copy(update={"pending_action": None})
            step.replies.append(Reply(text=self.wording.notes["date_echo"].format(date=f"{due:%A %-d %B}")))
        elif state.action == "status" and item is not None:
            step.action_updates.append(ActionUpdate(action_id=item.id, status=parsed.value))
        if state.share and parsed.value == "yes":
            step.shares.append(ShareRun(run_id=position.run_id))
        if position.changing:
            trigger = TO_REVIEW
        elif state.compare:
            trend = _trend(parsed.scale, ctx.facts.last_scale(other_than=position.run_id))
            trigger = branch_trigger(trend) if trend in state.branches else NEXT
        else:
            trigger = branch_trigger(parsed.value) if parsed.value in state.branches else NEXT
        return step.result(self._move(spec, position, trigger, ctx, step))

    def _move(self, spec: FlowSpec, position: Position, trigger: str, ctx: FlowContext, step: _Step) -> Position | None:
        target = self.registry.advance(spec.name, position.state, trigger)
        moved = position.model_copy(update={
            "state": target, "attempts": 0, "queried": "", "history": (*position.history, _history_entry(position)),
            "review_mode": None, "changing": False,
        })
        return self._arrive(spec, moved, ctx, step)

    def _arrive(self, spec: FlowSpec, position: Position, ctx: FlowContext, step: _Step) -> Position | None:
        """Settle on the next state to ask: pass over what doesn't apply, step loops, then ask or close."""
        for _ in range(len(spec.states) * 2 + 2):
            state = spec.state(position.state)
            if state.only_if is not None and not self._holds(state.only_if, ctx, step):
                position = position.model_copy(update={"state": self.registry.advance(spec.name, state.name, NEXT)})
                continue
            if state.for_each is not None:
                items = position.items if position.index >= 0 else ctx.facts.open_actions()
                index = position.index + 1
                if index >= len(items):
                    target = self.registry.advance(spec.name, state.name, ITEMS_DONE)
                    position = position.model_copy(update={"state": target, "index": -1})
                    continue
                position = position.model_copy(update={"items": items, "index": index})
            break
        else:
            raise FlowError(f"flow {spec.name!r}: conditions lead round in a circle at {position.state!r}")
        state = spec.state(position.state)
        if not state.final:
            step.replies.append(self._ask(spec, position, ctx, step))
            return position
        step.replies.append(Reply(text=self._fill(state.say, ctx, position, step)))
        step.finished.append(spec.name)
        if state.then is None:
            return None
        if state.then in step.finished:
            raise FlowError(f"flows loop back to {state.then!r}")
        following = self.registry.spec(state.then)
        nxt = Position(flow=following.name, state=following.start, run_id=uuid.uuid4().hex[:16])
        return self._arrive(following, nxt, ctx, step)

    def _holds(self, condition: Condition, ctx: FlowContext, step: _Step) -> bool:
        if condition == "can_share":
            return ctx.can_share
        if condition == "has_goal":
            return self._remembered("goal", ctx, step) is not None
        if condition == "has_last_scale":
            return ctx.facts.last_scale() is not None
        if condition == "has_role_model":
            return self._remembered("role_model", ctx, step) is not None
        return bool(ctx.facts.open_actions())

    # asking

    def _ask(self, spec: FlowSpec, position: Position, ctx: FlowContext, step: _Step, *, lead: str = "") -> Reply:
        state = spec.state(position.state)
        if state.answer is AnswerKind.REVIEW:
            return self._review_question(spec, state, position, ctx, step, lead=lead)
        parts = [lead] if lead else []
        if state.say and not lead:
            parts.append(self._fill(state.say, ctx, position, step))
        parts.append(self._fill(state.question, ctx, position, step))
        return Reply(text="\n\n".join(p for p in parts if p.strip()), buttons=self._buttons(spec, state, position))

    def _buttons(self, spec: FlowSpec, state: StateSpec, position: Position) -> tuple[Button, ...]:
        if state.answer is AnswerKind.SCALE:
            buttons = [Button(label=str(n), payload=button_payload(position, str(n))) for n in range(1, 11)]
        elif state.answer is AnswerKind.YES_NO:
            buttons = [Button(label=self.wording.buttons["yes"], payload=button_payload(position, "yes")),
                       Button(label=self.wording.buttons["no"], payload=button_payload(position, "no"))]
        else:
            buttons = [Button(label=c.label, payload=button_payload(position, c.value)) for c in state.choices]
        if not position.history and not position.changing:
            labels = self.wording.buttons
            if spec.snoozable:
                buttons.append(Button(label=labels["not_now"], payload=button_payload(position, "not now")))
            if spec.skippable:
                buttons.append(Button(label=labels["skip"], payload=button_payload(position, "skip")))
        return tuple(buttons)

    def _fill(self, text: str, ctx: FlowContext, position: Position, step: _Step | None = None) -> str:
        """Only the placeholders a text uses are looked up, so a plain question costs no queries."""
        values: dict[str, object] = {}
        notes = self.wording.notes
        for name in _placeholders(text):
            if name == "name":
                values[name] = ctx.name
            elif name == "coach":
                values[name] = ctx.coach
            elif name == "session_number":
                values[name] = ctx.session_number
            elif name == "last_scale":
                last = ctx.facts.last_scale(other_than=position.run_id)
                values[name] = "" if last is None else last
            elif name == "last_scale_note":
                last = ctx.facts.last_scale(other_than=position.run_id)
                values[name] = "" if last is None else notes["last_scale"].format(last_scale=last)
            elif name == "goal":
                values[name] = _short(self._remembered("goal", ctx, step) or notes["no_goal"])
            elif name == "goal_note":
                goal = self._remembered("goal", ctx, step)
                values[name] = notes["goal"].format(goal=_short(goal)) if goal else notes["no_goal_note"]
            elif name in _OWN_WORDS:  # their own words reflected back, or nothing when they gave none
                what = _OWN_WORDS[name]
                said = self._remembered(what, ctx, step)
                values[name] = notes[what].format(said=_short(said)) if said else ""
            elif name == "scale_journey":
                journey = ctx.facts.scale_journey()
                values[name] = (notes["journey"].format(journey=" → ".join(map(str, journey))) if journey
                                else notes["no_journey"])
            elif name == "item":
                item = position.item
                if item is None or item.due is None:
                    values[name] = "" if item is None else item.text
                else:
                    values[name] = notes["item_due"].format(text=item.text, due=f"{item.due:%-d %B}")
        return text.format(**values)

    def _remembered(self, what: Remember, ctx: FlowContext, step: _Step | None) -> str | None:
        """The latest answer remembered as the goal (or strengths), including one given in this very turn."""
        if step is not None:
            names = self.registry.remembered_questions(what)
            for answer in reversed(step.answers):
                if answer.question in names:
                    return answer.text
        return ctx.facts.remembered(what)

    def _asks_about_it(self, state: StateSpec, position: Position, text: str) -> bool:
        if state.answer is AnswerKind.NONE or fingerprint(text) == position.queried:
            return False
        return is_question_about_the_question(text, markers=self.wording.asking.markers,
                                             plain=self.wording.asking.plain)

    def _explain(
        self, spec: FlowSpec, position: Position, state: StateSpec, text: str, ctx: FlowContext
    ) -> StepResult:
        """Their question gets the state's own help (or the general one), then the question again; nothing is
        stored. The same words sent again are taken as the answer after all."""
        helping = self._fill(state.help or self.wording.asking.general, ctx, position)
        lead = " ".join([helping, self.wording.asking.send_again])
        moved = position.model_copy(update={"queried": fingerprint(text)})
        return StepResult(position=moved, replies=(self.question(moved, ctx, lead=lead),))

    def _reask(
        self, spec: FlowSpec, position: Position, state: StateSpec, problem: Problem, ctx: FlowContext
    ) -> StepResult:
        low, _, high = problem.detail.partition("|")
        lead = self.wording.reasks[problem.reason].format(low=low, high=high)
        tries = position.attempts + 1
        if tries >= MAX_TRIES:
            extras = []
            if self._buttons(spec, state, position):
                extras.append(self.wording.notes["offer_help"])
            if state.skippable:
                extras.append(self.wording.notes["offer_skip"])
            lead = " ".join([lead, *extras])
        moved = position.model_copy(update={"attempts": tries})
        return StepResult(position=moved, replies=(self.question(moved, ctx, lead=lead),))

    # the review: exactly what the coach will see, before it is sent

    def _summary(self, spec: FlowSpec, position: Position, ctx: FlowContext, step: _Step) -> list[AnswerView]:
        latest = {a.question: a for a in ctx.facts.run_answers(position.run_id)}
        for answer in step.answers:
            if answer.run_id == position.run_id:
                latest[answer.question] = AnswerView(question=answer.question, text=answer.text)
        order = {state.name: i for i, state in enumerate(spec.states)}
        return sorted(latest.values(), key=lambda a: order.get(a.question.split(".")[0], len(order)))

    def _heading(self, spec: FlowSpec, question: str) -> str:
        try:
            return spec.state(question.split(".")[0]).heading
        except KeyError:
            return question

    def _review_question(
        self, spec: FlowSpec, state: StateSpec, position: Position, ctx: FlowContext, step: _Step, *, lead: str
    ) -> Reply:
        words = self.wording.review
        answers = self._summary(spec, position, ctx, step)
        mode = position.review_mode
        if mode is not None:
            options = [a for a in answers if mode == "private" or changeable(spec.state(a.question.split(".")[0]))]
            buttons = []
            for answer in options:
                heading = self._heading(spec, answer.question)
                if mode == "private" and answer.question in position.private:
                    heading = words["share_again"].format(heading=heading)
                buttons.append(Button(label=heading[:60], payload=button_payload(position, answer.question)))
            buttons.append(Button(label=words["back_label"], payload=button_payload(position, "summary")))
            ask = words["pick_change"] if mode == "change" else words["pick_private"]
            return Reply(text="\n\n".join([lead, ask] if lead else [ask]), buttons=tuple(buttons))
        lines = []
        for answer in answers:
            shown = words["kept_private"] if answer.question in position.private else _short(answer.text, 600)
            lines.append(f"• {self._heading(spec, answer.question)}: {shown}")
        parts = [lead] if lead else []
        if state.say and not lead:
            parts.append(self._fill(state.say, ctx, position, step))
        parts.append("\n".join(lines) if lines else words["nothing"])
        parts.append(self._fill(state.question, ctx, position, step))
        actions = (
            Button(label=self._fill(words["send_label"], ctx, position), payload=button_payload(position, "send")),
            Button(label=words["change_label"], payload=button_payload(position, "change")),
            Button(label=words["private_label"], payload=button_payload(position, "private")),
        )
        return Reply(text="\n\n".join(parts), buttons=actions)

    def _review_answer(
        self, spec: FlowSpec, state: StateSpec, position: Position, ctx: FlowContext, text: str
    ) -> StepResult:
        words = self.wording.review
        step = _Step()
        mode = position.review_mode
        if mode is None:
            picked = parse_review_pick(text, options=REVIEW_ACTIONS, synonyms=_REVIEW_SYNONYMS)
            if picked is None:
                lead = words["reask"]
                return StepResult(position=position, replies=(self._ask(spec, position, ctx, step, lead=lead),))
            if picked == "send":
                step.shares.append(ShareRun(run_id=position.run_id, private=position.private))
                step.replies.append(Reply(text=self._fill(words["sent"], ctx, position)))
                return step.result(self._move(spec, position, NEXT, ctx, step))
            listing = position.model_copy(update={"review_mode": picked})
            return StepResult(position=listing, replies=(self._ask(spec, listing, ctx, step),))
        answers = self._summary(spec, position, ctx, step)
        options = [a.question for a in answers
                   if mode == "private" or changeable(spec.state(a.question.split(".")[0]))]
        labels = {q: self._heading(spec, q) for q in options}
        picked = parse_review_pick(text, options=(*options, "summary"), synonyms={**{
            fold(label): q for q, label in labels.items()}, **_SUMMARY_SYNONYMS})
        if picked is None:
            return StepResult(position=position, replies=(self._ask(spec, position, ctx, step, lead=words["reask"]),))
        if picked == "summary":
            back = position.model_copy(update={"review_mode": None})
            return StepResult(position=back, replies=(self._ask(spec, back, ctx, step),))
        if mode == "private":
            private = set(position.private) ^ {picked}
            note = words["now_private" if picked in private else "now_shared"].format(heading=labels[picked])
            back = position.model_copy(update={"review_mode": None, "private": tuple(sorted(private))})
            return StepResult(position=back, replies=(self._ask(spec, back, ctx, step, lead=note),))
        target = self.registry.advance(spec.name, state.name, change_trigger(picked))
        changing = position.model_copy(update={"state": target, "review_mode": None, "changing": True,
                                               "attempts": 0})
        lead = words["changing"].format(heading=labels[picked])
        return StepResult(position=changing, replies=(self._ask(spec, changing, ctx, step, lead=lead),))


# not said: words people answer the review with
_REVIEW_SYNONYMS = {
    "send": "send", "send it": "send", "yes": "send", "ok": "send", "okay": "send", "looks good": "send",
    "that's fine": "send", "fine": "send", "share": "send", "send to my coach": "send", "done": "send",
    "change": "change", "change an answer": "change", "edit": "change", "change something": "change",
    "private": "private", "keep private": "private", "keep an answer private": "private", "hide": "private",
    "keep something private": "private",
}
# not said: words people answer the review with
_SUMMARY_SYNONYMS = {"back": "summary", "back to the summary": "summary", "cancel": "summary", "none": "summary"}


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
