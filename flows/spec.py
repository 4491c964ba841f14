"""A flow declared as data: its states, each state's question and answer type, and where answers lead."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class AnswerKind(str, Enum):
    TEXT = "text"
    SCALE = "scale"
    CHOICE = "choice"
    YES_NO = "yes_no"
    DATE = "date"
    TIMEZONE = "timezone"
    REVIEW = "review"  # the summary the coach will see: send it, change an answer, or keep one private
    NONE = "none"  # a closing message: nothing to answer


ProfileField = Literal["consent_store", "consent_share", "timezone"]
# Facts a state can depend on; a state whose condition doesn't hold is passed over via `next`.
Condition = Literal["can_share", "has_goal", "has_last_scale", "has_open_actions", "has_role_model"]
# Answers the rest of the programme remembers: the goal shown in check-ins; strengths, a time it went well and a
# role model reflected back in the coachee's own words (stage 5, acknowledgement), never praise of our own.
Remember = Literal["goal", "strengths", "exception", "role_model"]
# What a state does with the coachee's actions: name one, give its due date, or say how it went.
ActionRole = Literal["text", "due", "status"]
ActionStatus = Literal["open", "done", "partly", "not_yet"]
"""How an agreed action stands; the choices of a flow's action-status question are these."""
# Where answers go: shared per the coachee's consent, only after they send a review, or kept private
# unless they share an entry.
Sharing = Literal["consent", "review", "private"]
SCALE_TRENDS = ("up", "same", "down", "first")


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str
    label: str
    synonyms: tuple[str, ...] = ()


class StateSpec(BaseModel):
    """One step of a flow. `say` comes before the question; `next` and `branches` say where an answer leads."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    say: str = ""
    question: str = ""
    answer: AnswerKind = AnswerKind.TEXT
    choices: tuple[Choice, ...] = ()
    skippable: bool = False
    next: str | None = None
    branches: dict[str, str] = Field(default_factory=dict)
    profile: ProfileField | None = None
    record: bool = True
    hint: str = ""
    then: str | None = None  # on a closing state: the flow that starts next
    label: str = ""  # a short heading for the review and the coach's digest
    only_if: Condition | None = None
    for_each: Literal["open_actions"] | None = None  # a loop head: asked once per item, then `after`
    after: str | None = None
    action: ActionRole | None = None
    compare: bool = False  # a scale that branches on the trend against the last reading
    remember: Remember | None = None
    share: bool = False  # a yes/no whose "yes" shares this run's answers with the coach
    help: str = ""  # said when they ask about the question itself ("what do you mean?"), before it is asked again

    @property
    def final(self) -> bool:
        return self.answer is AnswerKind.NONE

    @property
    def heading(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


class FlowSpec(BaseModel):
    """A whole conversation, from `start` to one of its closing states."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    start: str
    states: tuple[StateSpec, ...]
    sharing: Sharing = "consent"
    snoozable: bool = False  # "not now" puts it off for a while
    skippable: bool = False  # "skip" at any question drops this one run of the flow
    snoozed_say: str = ""
    skipped_say: str = ""

    def state(self, name: str) -> StateSpec:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(f"flow {self.name!r} has no state {name!r}")
