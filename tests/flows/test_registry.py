"""Flows are checked at start-up: every kind of mistake is refused with a clear message."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from flows.registry import FlowError, FlowRegistry, validate
from flows.spec import FlowSpec

GOOD: dict[str, Any] = {
    "name": "demo",
    "title": "Demo",
    "start": "ask",
    "states": [
        {"name": "ask", "question": "Ready?", "answer": "yes_no", "branches": {"yes": "goal", "no": "bye"}},
        {"name": "goal", "question": "Your goal, {name}?", "next": "bye", "skippable": True},
        {"name": "bye", "say": "Thanks.", "answer": "none"},
    ],
}


def _with(change: Any) -> dict[str, Any]:
    flow = copy.deepcopy(GOOD)
    change(flow)
    return flow


def test_the_shipped_flows_are_valid() -> None:
    registry = FlowRegistry.load()
    assert {"onboarding", "pre_session"} <= set(registry.names())


def test_a_good_flow_builds_and_advances() -> None:
    registry = FlowRegistry.from_mapping({"demo.toml": GOOD})
    assert registry.advance("demo", "ask", "pick_yes") == "goal"
    assert registry.advance("demo", "ask", "pick_no") == "bye"
    assert registry.advance("demo", "goal", "next") == "bye"
    with pytest.raises(FlowError):
        registry.advance("demo", "bye", "next")


BAD_FLOWS = [
    ("unknown state", lambda f: f["states"][1].update(next="nowhere"), "unknown state 'nowhere'"),
    ("bad start", lambda f: f.update(start="missing"), "start state 'missing'"),
    ("missing question", lambda f: f["states"][1].update(question=""), "missing question"),
    ("unreachable", lambda f: f["states"].append({"name": "orphan", "say": "x", "answer": "none"}),
     "'orphan' can't be reached"),
    ("duplicate", lambda f: f["states"].append(dict(f["states"][2])), "declared twice"),
    ("branch on impossible answer", lambda f: f["states"][0]["branches"].update(maybe="bye"),
     "not a possible answer"),
    ("no way on", lambda f: f["states"][0].update(branches={"yes": "goal"}), "no way on"),
    ("closing state leads on", lambda f: f["states"][2].update(next="ask"), "closing state can't lead"),
    ("unknown placeholder", lambda f: f["states"][1].update(question="Hi {surname}?"), "unknown placeholder"),
    ("choice without choices", lambda f: f["states"][1].update(answer="choice"), "needs choices"),
    ("skippable without next", lambda f: f["states"][0].update(skippable=True), "skippable question needs"),
    ("text can't branch", lambda f: f["states"][1].update(branches={"x": "bye"}), "can branch"),
    ("no closing state", lambda f: f.update(states=[
        {"name": "ask", "question": "Q?", "next": "ask"}]), "no closing state"),
]


@pytest.mark.parametrize(("label", "change", "message"), BAD_FLOWS, ids=[b[0] for b in BAD_FLOWS])
def test_invalid_flows_are_refused(label: str, change: Any, message: str) -> None:
    with pytest.raises(FlowError, match=message.replace("(", r"\(")):
        FlowRegistry.from_mapping({"demo.toml": _with(change)})


def test_a_malformed_definition_names_the_file_and_field() -> None:
    with pytest.raises(FlowError, match=r"demo.toml: states.0.answer"):
        FlowRegistry.from_mapping({"demo.toml": _with(lambda f: f["states"][0].update(answer="essay"))})


def test_starting_an_unknown_flow_is_refused() -> None:
    flow = _with(lambda f: f["states"][2].update(then="nope"))
    with pytest.raises(FlowError, match="starts unknown flow 'nope'"):
        FlowRegistry.from_mapping({"demo.toml": flow})


def test_validate_accepts_the_good_flow() -> None:
    validate(FlowSpec.model_validate(GOOD))


def test_broken_toml_is_refused(tmp_path: Any) -> None:
    (tmp_path / "x.toml").write_text("name = [")
    with pytest.raises(FlowError, match=r"x\.toml: not valid TOML"):
        FlowRegistry.load(tmp_path)
