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
    NONE = "none"  # a closing message: nothing to answer


ProfileField = Literal["consent_store", "consent_share", "timezone"]


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

    @property
    def final(self) -> bool:
        return self.answer is AnswerKind.NONE


class FlowSpec(BaseModel):
    """A whole conversation, from `start` to one of its closing states."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    start: str
    states: tuple[StateSpec, ...]

    def state(self, name: str) -> StateSpec:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(f"flow {self.name!r} has no state {name!r}")
