"""One turn of a flow: read the answer, move the Machine, and say the next thing. Pure: no I/O.

The engine stores what this returns, in one transaction, so a flow step is either all done or not at all.
"""

from __future__ import annotations

import tomllib
import uuid
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.types import Button, Reply
from flows.parsing import Parsed, Problem, parse_answer
from flows.registry import NEXT, FlowError, FlowRegistry, branch_trigger
from flows.spec import AnswerKind, FlowSpec, ProfileField, StateSpec

WORDING = Path(__file__).resolve().parent / "wording.toml"
MAX_TRIES = 3


class FlowContext(BaseModel):
    """What the wording may mention about this coachee."""

    model_config = ConfigDict(frozen=True)

    name: str
    coach: str
    today: date
    last_scale: int | None = None
    session_number: int = 1

    def fill(self, text: str) -> str:
        return text.format(
            name=self.name,
            coach=self.coach,
            last_scale="" if self.last_scale is None else self.last_scale,
            session_number=self.session_number,
        )


class Position(BaseModel):
    """Where a conversation is in a flow; `history` lets /back return to earlier questions."""

    model_config = ConfigDict(frozen=True)

    flow: str
    state: str
    run_id: str
    attempts: int = 0
    history: tuple[str, ...] = ()


class RecordedAnswer(BaseModel):
    model_config = ConfigDict(frozen=True)

    flow: str
    run_id: str
    question: str
    text: str
    scale: int | None = None


class ProfileChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: ProfileField
    value: str


class StepResult(BaseModel):
    """What a turn produced. `position` is None when the flow (and any flow it started) ended."""

    model_config = ConfigDict(frozen=True)

    position: Position | None
    replies: tuple[Reply, ...] = ()
    answers: tuple[RecordedAnswer, ...] = ()
    profile: tuple[ProfileChange, ...] = ()
    finished: tuple[str, ...] = ()


class Wording(BaseModel):
    model_config = ConfigDict(frozen=True)

    reasks: dict[str, str]
    notes: dict[str, str]

    @classmethod
    def load(cls, path: Path = WORDING) -> Wording:
        return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


def button_payload(position: Position, value: str) -> str:
    """Buttons carry flow, state and value, so a press on an old question can be recognised."""
    return f"{position.flow}:{position.state}:{value}"


class FlowRunner:
    """Drives flows from the registry; holds no per-conversation state of its own."""

    def __init__(self, registry: FlowRegistry, wording: Wording | None = None) -> None:
        self.registry = registry
        self.wording = wording or Wording.load()

    def start(self, flow: str, ctx: FlowContext) -> StepResult:
        spec = self.registry.spec(flow)
        position = Position(flow=flow, state=spec.start, run_id=uuid.uuid4().hex[:16])
        return self._arrive(spec, position, ctx, replies=(), answers=(), profile=(), finished=())

    def question(self, position: Position, ctx: FlowContext, *, lead: str = "") -> Reply:
        """The current question again, e.g. after a pause or a re-ask; `lead` goes before it."""
        state = self.registry.spec(position.flow).state(position.state)
        parts = [lead] if lead else []
        if state.say and not lead:
            parts.append(ctx.fill(state.say))
        parts.append(ctx.fill(state.question))
        return Reply(text="\n\n".join(parts), buttons=self._buttons(state, position))

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
        parsed = parse_answer(state, text or "", today=ctx.today)
        if isinstance(parsed, Problem):
            return self._reask(position, state, parsed, ctx)
        return self._accept(spec, state, position, parsed, ctx)

    def skip(self, position: Position, ctx: FlowContext) -> StepResult | None:
        """Skip an optional question; None when this one can't be skipped."""
        spec = self.registry.spec(position.flow)
        state = spec.state(position.state)
        if not state.skippable:
            return None
        return self._move(spec, position, NEXT, ctx, replies=(), answers=(), profile=())

    def back(self, position: Position, ctx: FlowContext) -> StepResult | None:
        """Return to the previous question so its answer can be changed; None at the first question."""
        if not position.history:
            return None
        previous = Position(
            flow=position.flow, state=position.history[-1], run_id=position.run_id, history=position.history[:-1]
        )
        return StepResult(position=previous, replies=(self.question(previous, ctx),))

    # internals

    def _buttons(self, state: StateSpec, position: Position) -> tuple[Button, ...]:
        if state.answer is AnswerKind.SCALE:
            return tuple(Button(label=str(n), payload=button_payload(position, str(n))) for n in range(1, 11))
        if state.answer is AnswerKind.YES_NO:
            return (
                Button(label="Yes", payload=button_payload(position, "yes")),
                Button(label="No", payload=button_payload(position, "no")),
            )
        return tuple(Button(label=c.label, payload=button_payload(position, c.value)) for c in state.choices)

    def _reask(self, position: Position, state: StateSpec, problem: Problem, ctx: FlowContext) -> StepResult:
        low, _, high = problem.detail.partition("|")
        lead = self.wording.reasks[problem.reason].format(low=low, high=high)
        tries = position.attempts + 1
        if tries >= MAX_TRIES:
            extras = []
            if self._buttons(state, position):
                extras.append(self.wording.notes["offer_help"])
            if state.skippable:
                extras.append(self.wording.notes["offer_skip"])
            lead = " ".join([lead, *extras])
        moved = position.model_copy(update={"attempts": tries})
        return StepResult(position=moved, replies=(self.question(moved, ctx, lead=lead),))

    def _accept(
        self, spec: FlowSpec, state: StateSpec, position: Position, parsed: Parsed, ctx: FlowContext
    ) -> StepResult:
        answers: tuple[RecordedAnswer, ...] = ()
        if state.record:
            answers = (RecordedAnswer(
                flow=spec.name, run_id=position.run_id, question=state.name, text=parsed.text, scale=parsed.scale
            ),)
        profile = (ProfileChange(field=state.profile, value=parsed.value),) if state.profile else ()
        replies = (Reply(text=self.wording.notes["trimmed"]),) if parsed.trimmed else ()
        trigger = branch_trigger(parsed.value) if parsed.value in state.branches else NEXT
        return self._move(spec, position, trigger, ctx, replies=replies, answers=answers, profile=profile)

    def _move(
        self,
        spec: FlowSpec,
        position: Position,
        trigger: str,
        ctx: FlowContext,
        *,
        replies: tuple[Reply, ...],
        answers: tuple[RecordedAnswer, ...],
        profile: tuple[ProfileChange, ...],
    ) -> StepResult:
        target = self.registry.advance(spec.name, position.state, trigger)
        moved = Position(
            flow=spec.name, state=target, run_id=position.run_id, history=(*position.history, position.state)
        )
        return self._arrive(spec, moved, ctx, replies=replies, answers=answers, profile=profile, finished=())

    def _arrive(
        self,
        spec: FlowSpec,
        position: Position,
        ctx: FlowContext,
        *,
        replies: tuple[Reply, ...],
        answers: tuple[RecordedAnswer, ...],
        profile: tuple[ProfileChange, ...],
        finished: tuple[str, ...],
    ) -> StepResult:
        state = spec.state(position.state)
        if not state.final:
            return StepResult(
                position=position, replies=(*replies, self.question(position, ctx)), answers=answers,
                profile=profile, finished=finished,
            )
        closing = (*replies, Reply(text=ctx.fill(state.say)))
        done = (*finished, spec.name)
        if state.then is None:
            return StepResult(position=None, replies=closing, answers=answers, profile=profile, finished=done)
        if state.then in finished:
            raise FlowError(f"flows loop back to {state.then!r}")
        following = self.registry.spec(state.then)
        nxt = Position(flow=following.name, state=following.start, run_id=uuid.uuid4().hex[:16])
        return self._arrive(following, nxt, ctx, replies=closing, answers=answers, profile=profile, finished=done)
