"""Loading flows from data, checking them at start-up, and building one `transitions` Machine per flow.

A bad flow is an error, not a warning: the bot refuses to start rather than strand a coachee mid-flow.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import get_args

from pydantic import ValidationError
from transitions import Machine

from flows.spec import SCALE_TRENDS, ActionStatus, AnswerKind, FlowSpec, StateSpec

DATA_DIR = Path(__file__).resolve().parent / "data"
PLACEHOLDERS = frozenset({"name", "coach", "last_scale", "session_number", "last_scale_note", "goal", "goal_note",
                          "strengths_note", "exception_note", "role_model_note", "scale_journey", "item"})
NEXT = "next"
ITEMS_DONE = "items_done"  # a loop head with no items left moves on to its `after` state
TO_REVIEW = "to_review"  # after changing an answer, straight back to the review

# transitions logs every binding it skips under model_override; that is by design here.
logging.getLogger("transitions").setLevel(logging.ERROR)


class FlowError(Exception):
    """A flow definition is invalid; the message names the flow, the state and the problem."""


def branch_trigger(value: str) -> str:
    return f"pick_{value}"


def change_trigger(state: str) -> str:
    """From a review to the question whose answer the coachee wants to change."""
    return f"change_{state}"


def changeable(state: StateSpec) -> bool:
    """Answers a review may send back for changing: plain ones, whose change can't alter the route."""
    return (state.record and not state.branches and state.for_each is None and state.action is None
            and state.answer in (AnswerKind.TEXT, AnswerKind.SCALE, AnswerKind.DATE))


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _check_state(flow: FlowSpec, state: StateSpec, names: set[str]) -> None:
    where = f"flow {flow.name!r}, state {state.name!r}"
    unknown = (_placeholders(state.say) | _placeholders(state.question) | _placeholders(state.help)) - PLACEHOLDERS
    if unknown:
        raise FlowError(f"{where}: unknown placeholder {{{sorted(unknown)[0]}}}")
    if state.final:
        if state.next or state.branches:
            raise FlowError(f"{where}: a closing state can't lead anywhere")
        if not state.say:
            raise FlowError(f"{where}: a closing state needs something to say")
        return
    if state.then is not None:
        raise FlowError(f"{where}: only a closing state can start another flow")
    if not state.question.strip():
        raise FlowError(f"{where}: missing question")
    for target in [state.next, state.after, *state.branches.values()]:
        if target is not None and target not in names:
            raise FlowError(f"{where}: leads to unknown state {target!r}")
    _check_features(flow, state, where)
    values = _answer_values(state)
    if state.answer is AnswerKind.CHOICE and not state.choices:
        raise FlowError(f"{where}: a choice question needs choices")
    if state.branches:
        if values is None:
            raise FlowError(f"{where}: only choice and yes/no answers can branch")
        stray = set(state.branches) - values
        if stray:
            raise FlowError(f"{where}: branch on {sorted(stray)[0]!r}, which is not a possible answer")
    covered = values is not None and values <= set(state.branches)
    if state.next is None and not covered:
        raise FlowError(f"{where}: no way on (needs 'next' or a branch for every answer)")
    if state.skippable and state.next is None:
        raise FlowError(f"{where}: a skippable question needs 'next'")


def _check_features(flow: FlowSpec, state: StateSpec, where: str) -> None:
    """The declarative extras each fit only certain questions; say so at start-up, not mid-conversation."""
    kind = state.answer
    if (state.for_each is None) != (state.after is None):
        raise FlowError(f"{where}: 'for_each' and 'after' go together")
    if state.only_if is not None and state.next is None:
        raise FlowError(f"{where}: a conditional question needs 'next' for when it doesn't apply")
    if kind is AnswerKind.REVIEW:
        if flow.sharing != "review":
            raise FlowError(f"{where}: a review needs the flow's sharing = \"review\"")
        if state.next is None or state.branches or state.skippable:
            raise FlowError(f"{where}: a review needs 'next' and no branches or skipping")
    if state.compare and kind is not AnswerKind.SCALE:
        raise FlowError(f"{where}: only a scale can compare with the last reading")
    if state.share and kind is not AnswerKind.YES_NO:
        raise FlowError(f"{where}: only a yes/no question can share answers")
    if state.remember is not None and kind is not AnswerKind.TEXT:
        raise FlowError(f"{where}: only a text answer can be remembered as the {state.remember}")
    roles = {"text": AnswerKind.TEXT, "due": AnswerKind.DATE, "status": AnswerKind.CHOICE}
    if state.action is not None and kind is not roles[state.action]:
        raise FlowError(f"{where}: an action {state.action} needs a {roles[state.action].value} answer")
    if state.action == "status" and state.for_each is None:
        raise FlowError(f"{where}: an action status is asked once per action, so it needs 'for_each'")
    unknown = {c.value for c in state.choices} - set(get_args(ActionStatus)) if state.action == "status" else set()
    if unknown:
        known = ", ".join(get_args(ActionStatus))
        raise FlowError(f"{where}: {', '.join(sorted(unknown))} is no action status ({known})")


def _answer_values(state: StateSpec) -> set[str] | None:
    if state.compare:
        return set(SCALE_TRENDS)
    if state.answer is AnswerKind.YES_NO:
        return {"yes", "no"}
    if state.answer is AnswerKind.CHOICE:
        return {choice.value for choice in state.choices}
    return None


def validate(flow: FlowSpec) -> None:
    names = [state.name for state in flow.states]
    dupes = {name for name in names if names.count(name) > 1}
    if dupes:
        raise FlowError(f"flow {flow.name!r}: state {sorted(dupes)[0]!r} is declared twice")
    known = set(names)
    if flow.start not in known:
        raise FlowError(f"flow {flow.name!r}: start state {flow.start!r} is not declared")
    if flow.snoozable and not flow.snoozed_say:
        raise FlowError(f"flow {flow.name!r}: a snoozable flow needs 'snoozed_say'")
    if flow.skippable and not flow.skipped_say:
        raise FlowError(f"flow {flow.name!r}: a skippable flow needs 'skipped_say'")
    reviews = [state.name for state in flow.states if state.answer is AnswerKind.REVIEW]
    if flow.sharing == "review" and len(reviews) != 1:
        raise FlowError(f"flow {flow.name!r}: sharing by review needs exactly one review state")
    for state in flow.states:
        _check_state(flow, state, known)
    seen: set[str] = set()
    todo = [flow.start]
    while todo:
        current = flow.state(todo.pop())
        if current.name in seen:
            continue
        seen.add(current.name)
        todo.extend(t for t in [current.next, current.after, *current.branches.values()] if t is not None)
    unreachable = [name for name in names if name not in seen]
    if unreachable:
        raise FlowError(f"flow {flow.name!r}: state {unreachable[0]!r} can't be reached from {flow.start!r}")
    if not any(flow.state(name).final for name in seen):
        raise FlowError(f"flow {flow.name!r}: no closing state can be reached")


def _build_machine(flow: FlowSpec) -> Machine:
    machine = Machine(
        model=None,
        states=[state.name for state in flow.states],
        initial=flow.start,
        auto_transitions=False,
        model_override=True,
        ignore_invalid_triggers=False,
    )
    review = next((state.name for state in flow.states if state.answer is AnswerKind.REVIEW), None)
    for state in flow.states:
        if state.next is not None:
            machine.add_transition(NEXT, state.name, state.next)
        if state.after is not None:
            machine.add_transition(ITEMS_DONE, state.name, state.after)
        for value, target in state.branches.items():
            machine.add_transition(branch_trigger(value), state.name, target)
        if review is not None and changeable(state):
            machine.add_transition(change_trigger(state.name), review, state.name)
            machine.add_transition(TO_REVIEW, state.name, review)
    return machine


def _transition_table(machine: Machine) -> dict[tuple[str, str], str]:
    """(source state, trigger) -> destination, for every transition on the Machine. None has conditions, so the
    first transition for a source is the one firing the trigger would take (no destination: it stays put)."""
    table: dict[tuple[str, str], str] = {}
    for trigger, event in machine.events.items():
        for source, transitions in event.transitions.items():
            if transitions:
                dest = transitions[0].dest
                table[(source, trigger)] = source if dest is None else dest
    return table


class FlowRegistry:
    """Every flow, validated, each with its Machine built once at start-up."""

    def __init__(self, flows: Iterable[FlowSpec]) -> None:
        self._flows: dict[str, FlowSpec] = {}
        for flow in flows:
            if flow.name in self._flows:
                raise FlowError(f"flow {flow.name!r} is declared twice")
            validate(flow)
            self._flows[flow.name] = flow
        for flow in self._flows.values():
            for state in flow.states:
                if state.then is not None and state.then not in self._flows:
                    raise FlowError(f"flow {flow.name!r}, state {state.name!r}: starts unknown flow {state.then!r}")
        self._machines = {name: _build_machine(flow) for name, flow in self._flows.items()}
        # Every (state, trigger) -> target the Machines allow, read off them once: a step is then a lookup rather
        # than attaching a model to the shared Machine and firing its trigger (most of a flow step's time).
        self._targets = {name: _transition_table(machine) for name, machine in self._machines.items()}
        remembered: dict[str, set[str]] = {}
        for flow in self._flows.values():
            for state in flow.states:
                if state.remember is not None:
                    remembered.setdefault(state.remember, set()).add(state.name)
        self._remembered = {what: frozenset(names) for what, names in remembered.items()}

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Mapping[str, object]]) -> FlowRegistry:
        """Build from parsed data; `raw` maps a source name (file) to its content."""
        specs = []
        for source, content in raw.items():
            try:
                specs.append(FlowSpec.model_validate(content))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise FlowError(f"{source}: {where}: {first['msg']}") from None
        return cls(specs)

    @classmethod
    def load(cls, directory: Path = DATA_DIR) -> FlowRegistry:
        raw: dict[str, dict[str, object]] = {}
        for file in sorted(directory.glob("*.toml")):
            try:
                raw[file.name] = tomllib.loads(file.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise FlowError(f"{file.name}: not valid TOML: {exc}") from None
        return cls.from_mapping(raw)

    def remembered_questions(self, what: str) -> frozenset[str]:
        """Names of the questions whose answers are remembered as the goal (or strengths), in any flow."""
        return self._remembered.get(what, frozenset())

    def __contains__(self, name: object) -> bool:
        return name in self._flows

    def names(self) -> tuple[str, ...]:
        return tuple(self._flows)

    def spec(self, name: str) -> FlowSpec:
        try:
            return self._flows[name]
        except KeyError:
            raise FlowError(f"unknown flow {name!r}; known flows: {', '.join(sorted(self._flows))}") from None

    def advance(self, flow: str, state: str, trigger: str) -> str:
        """Where `trigger` leads from `state` on the flow's Machine: the new state."""
        target = self._targets[flow].get((state, trigger))
        if target is None:
            raise FlowError(f"flow {flow!r}: {trigger!r} is not possible from {state!r}")
        return target
