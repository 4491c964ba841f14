"""What the engine tells the rest of the bot, and what it lends them: the seam between the turn and its neighbours.

The engine is built with its listeners, so nothing is wired by setting attributes afterwards. A listener that
needs to start a flow (peer groups adding a member) is handed the engine's `FlowStarter` with the call, the way a
Bolt listener is handed `say`: no neighbour holds the engine, and no two objects need each other to be built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection

from bot.storage.records import Coach, Coachee
from bot.types import ConversationKey, Reply
from flows.stepper import StepResult

__all__ = ["NO_LISTENERS", "EngineListeners", "FlowStarter", "GroupCommand", "PromptRefused"]


class PromptRefused(Exception):
    """A flow can't be started for this coachee now (on hold, left the programme, no chat yet)."""


class FlowStarter(Protocol):
    def start_flow_in(
        self, conn: Connection, *, coachee_id: int, flow: str, key: ConversationKey, now: datetime
    ) -> None:
        """Start `flow` in the caller's transaction; raises PromptRefused when it mustn't start now."""


class GroupCommand(Protocol):
    def __call__(
        self, conn: Connection, coach: Coach, word: str, rest: str, *, now: datetime, starter: FlowStarter
    ) -> Reply: ...


def _nothing(*_: object) -> None:
    return None


@dataclass(frozen=True, slots=True)
class EngineListeners:
    """Each is called inside the turn's transaction except `outbox_written`, which comes after the commit."""

    outbox_written: Callable[[], None] = _nothing
    """Rows were committed to the outbox: the sender may go now instead of at its next look."""
    calendar_changed: Callable[[Connection, int, datetime], None] = _nothing
    """A coachee's sessions or time zone changed: plan their jobs again."""
    flow_stepped: Callable[[Connection, Coachee, StepResult, datetime], None] = _nothing
    """A flow stored answers (peer groups act on their own flows' answers)."""
    group_command: GroupCommand | None = None
    """A coach's peer-group command; None when peer groups are not wired in."""
    turn_handled: Callable[[str, str, float], None] = _nothing
    """A turn ended (the metrics count it): its transport, its outcome (the screen's tier, "unscreened" for a press
    or a file, "duplicate", "set_aside") and its seconds from arrival, lock wait included. Never who or what."""


NO_LISTENERS = EngineListeners()
