"""Loading flows from data, checking them at start-up, and building one `transitions` Machine per flow.

A bad flow is an error, not a warning: the bot refuses to start rather than strand a coachee mid-flow.
"""

from __future__ import annotations

import logging
import string
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import ValidationError
from transitions import Machine, MachineError

from flows.spec import AnswerKind, FlowSpec, StateSpec

DATA_DIR = Path(__file__).resolve().parent / "data"
PLACEHOLDERS = frozenset({"name", "coach", "last_scale", "session_number"})
NEXT = "next"

# transitions logs every binding it skips under model_override; that is by design here.
logging.getLogger("transitions").setLevel(logging.ERROR)


class FlowError(Exception):
    """A flow definition is invalid; the message names the flow, the state and the problem."""


def branch_trigger(value: str) -> str:
    return f"pick_{value}"


class _Position:
    """The model attached to a Machine for one turn. `trigger` is bound by transitions."""

    def __init__(self) -> None:
        self.state = ""

    def trigger(self, name: str) -> bool:  # replaced per instance by transitions (model_override)
        raise NotImplementedError


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _check_state(flow: FlowSpec, state: StateSpec, names: set[str]) -> None:
    where = f"flow {flow.name!r}, state {state.name!r}"
    unknown = (_placeholders(state.say) | _placeholders(state.question)) - PLACEHOLDERS
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
    for target in [state.next, *state.branches.values()]:
        if target is not None and target not in names:
            raise FlowError(f"{where}: leads to unknown state {target!r}")
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


def _answer_values(state: StateSpec) -> set[str] | None:
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
    for state in flow.states:
        _check_state(flow, state, known)
    seen: set[str] = set()
    todo = [flow.start]
    while todo:
        current = flow.state(todo.pop())
        if current.name in seen:
            continue
        seen.add(current.name)
        todo.extend(t for t in [current.next, *current.branches.values()] if t is not None)
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
    for state in flow.states:
        if state.next is not None:
            machine.add_transition(NEXT, state.name, state.next)
        for value, target in state.branches.items():
            machine.add_transition(branch_trigger(value), state.name, target)
    return machine


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
        """Fire one trigger from `state` on the flow's shared Machine and return the new state."""
        machine = self._machines[flow]
        position = _Position()
        machine.add_model(position, initial=state)
        try:
            position.trigger(trigger)
        except (MachineError, AttributeError) as exc:
            raise FlowError(f"flow {flow!r}: {trigger!r} is not possible from {state!r}") from exc
        finally:
            machine.remove_model(position)
        return position.state
