"""Flows are checked at start-up: every kind of mistake is refused with a clear message."""

from __future__ import annotations

import copy
import re
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
    assert set(registry.names()) == {"onboarding", "pre_session", "follow_up", "checkin", "post_session",
                                     "final_review", "journal", "group_join", "group_prep", "group_commit",
                                     "group_reflect"}


def test_a_loop_and_a_review_build_into_the_machine() -> None:
    registry = FlowRegistry.load()
    assert registry.advance("follow_up", "action_status", "pick_done") == "action_done"
    assert registry.advance("follow_up", "action_done", "next") == "action_status"
    assert registry.advance("follow_up", "action_status", "items_done") == "goal_choice"
    assert registry.advance("pre_session", "review", "change_goal") == "goal"
    assert registry.advance("pre_session", "miracle", "to_review") == "review"
    with pytest.raises(FlowError):  # a branching answer can't be sent back from the review
        registry.advance("follow_up", "review", "change_goal_choice")
    assert registry.remembered_questions("goal") == {"goal", "goal_changed", "new_goal"}


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
    ("loop without after", lambda f: f["states"][1].update(for_each="open_actions"), "'for_each' and 'after'"),
    ("loop to nowhere", lambda f: f["states"][1].update(for_each="open_actions", after="gone"),
     "unknown state 'gone'"),
    ("conditional without next", lambda f: f["states"][0].update(only_if="has_goal"), "conditional question"),
    ("review outside a review flow", lambda f: f["states"][1].update(answer="review"), "sharing = \"review\""),
    ("review flow without review", lambda f: f.update(sharing="review"), "exactly one review"),
    ("review that branches", lambda f: (f.update(sharing="review"), f["states"][0].update(answer="review")),
     "review needs 'next'"),
    ("compare on text", lambda f: f["states"][1].update(compare=True), "only a scale can compare"),
    ("share on text", lambda f: f["states"][1].update(share=True), "only a yes/no question can share"),
    ("remember a yes/no", lambda f: f["states"][0].update(remember="goal"), "only a text answer"),
    ("action due on text", lambda f: f["states"][1].update(action="due"), "action due needs a date"),
    ("action status outside a loop", lambda f: f["states"][0].update(
        answer="choice", action="status", branches={}, next="bye", choices=[{"value": "done", "label": "Done"}]),
     "needs 'for_each'"),
    ("action status nobody knows", lambda f: (f["states"][0].update(
        answer="choice", action="status", branches={}, next="bye", for_each="open_actions", after="bye",
        choices=[{"value": "done", "label": "Done"}, {"value": "abandoned", "label": "Gave up"}])),
     "abandoned is no action status"),
    ("snoozable without wording", lambda f: f.update(snoozable=True), "needs 'snoozed_say'"),
    ("skippable flow without wording", lambda f: f.update(skippable=True), "needs 'skipped_say'"),
    ("unknown condition", lambda f: f["states"][1].update(only_if="is_tuesday"), "only_if"),
]


@pytest.mark.parametrize(("label", "change", "message"), BAD_FLOWS, ids=[b[0] for b in BAD_FLOWS])
def test_invalid_flows_are_refused(label: str, change: Any, message: str) -> None:
    with pytest.raises(FlowError, match=re.escape(message)):
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
