"""The screener's boundary types, shared by the screener, the routing and the engine."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Tier(str, Enum):
    """Risk tiers from POLICY.md, ordered: a higher tier always wins."""

    NONE = "none"
    CHECK = "check"
    STRESS = "stress"
    CRISIS = "crisis"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Tier):
            return NotImplemented
        return self.rank >= other.rank


_RANK = {Tier.NONE: 0, Tier.CHECK: 1, Tier.STRESS: 2, Tier.CRISIS: 3, Tier.EMERGENCY: 4}


class Turn(BaseModel):
    """One earlier line of the conversation, so a short reply ("yes", "I have them here") reads right."""

    model_config = ConfigDict(frozen=True)

    speaker: Literal["coachee", "bot"]
    text: str
    at: datetime | None = None
    """When it was said, so only turns close together are read as one disclosure (unknown: recent)."""


class Screening(BaseModel):
    """What the screener decided and why: the rule ids make every decision explainable."""

    model_config = ConfigDict(frozen=True)

    tier: Tier
    rules: tuple[str, ...] = ()
    ruleset_version: str
    score: float | None = None
    """The learned layer's P(crisis or emergency), when it read the message; the rules give none."""


class ScreenRequest(BaseModel):
    """One message to screen, with the conversation it came in (the batch API's unit)."""

    model_config = ConfigDict(frozen=True)

    text: str
    context: tuple[Turn, ...] = ()
    at: datetime | None = None

    @classmethod
    def of(cls, text: str, *, context: Sequence[Turn] = (), at: datetime | None = None) -> ScreenRequest:
        return cls(text=text, context=tuple(context), at=at)


class ServiceEntry(BaseModel):
    """One entry of the services directory shown when routing; the operator keeps it current.

    Here rather than in the config so that safety depends on nothing in bot/; the config reads it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tier: Tier
    name: str
    contact: str



SERVICES = Path(__file__).resolve().parent / "services.toml"


def default_services(path: Path = SERVICES) -> tuple[ServiceEntry, ...]:
    """The services directory that ships with the bot (the operator's own replaces it)."""
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["services"]
    return tuple(ServiceEntry.model_validate(row) for row in rows)
