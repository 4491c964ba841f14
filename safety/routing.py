"""What the bot does for each tier (POLICY.md), decided without I/O so it can be tested exhaustively."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from datetime import date
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from safety.types import Screening, ServiceEntry, Tier

REPLIES = Path(__file__).resolve().parent / "replies.toml"
CHECK_PAYLOAD = "safety:check:"


class Action(str, Enum):
    ASK_CHECK = "asked_check_question"
    CHECK_CLEARED = "check_cleared"
    STRESS = "stress_support"
    STRESS_AGAIN = "stress_support_repeat"
    CRISIS = "crisis_hold"
    EMERGENCY = "emergency_hold"
    ON_HOLD = "on_hold_reply"


class SafetyOutcome(BaseModel):
    """One routing decision. The engine applies it in the turn's single transaction."""

    model_config = ConfigDict(frozen=True)

    action: Action
    tier: Tier
    reply: str
    services: tuple[str, ...] = ()
    pause_flow: bool = False
    resume_flow: bool = False
    hold: bool = False
    pending_check: bool = False
    alert: bool = False
    notice: bool = False
    check_buttons: bool = False


class SafetyState(BaseModel):
    """What routing needs to know about the conversation so far."""

    model_config = ConfigDict(frozen=True)

    tier: Tier = Tier.NONE
    pending_check: bool = False
    on_hold: bool = False
    paused_for_stress: bool = False
    replies_on_hold: int = 0
    """How many times this hold has already answered a message; the reply varies with it."""


class Templates(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check_question: str
    check_cleared: str
    stress: str
    stress_again: str
    crisis: str
    emergency: str
    stranger_crisis: str
    """To someone not registered: no coach to tell, so no line saying the coach was told."""
    stranger_emergency: str
    services_checked: str
    on_hold: str
    on_hold_again: tuple[str, ...] = Field(min_length=1)
    """Later replies on the same hold, in turn, so a person who keeps writing isn't met by the same block."""
    stress_later: str
    """Added to the stress reply when a question was open: what they wrote wasn't kept as its answer."""
    resumed: str
    alert: str
    stress_notice: str
    stranger_alert: str
    stranger_alert_more: str
    """Added to a stranger's next alert: how many more such messages came in the hour after the last one."""

    @classmethod
    def load(cls, path: Path = REPLIES) -> Templates:
        return cls.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


# not said: words people answer the safety question with
_YES = {"yes", "y", "yeah", "yep", "yes i have", "i have", "sometimes", "a bit", "maybe", "kind of", "sort of"}
# not said: words people answer the safety question with
_NO = {"no", "n", "nope", "nah", "no i haven't", "i haven't", "no never", "never", "not at all", "no, never",
       "no i have not", "i have not", "no not at all"}


def read_check_answer(text: str | None, payload: str | None) -> str:
    """yes, no or unclear. Anything short of a clear no is taken seriously (POLICY.md)."""
    if payload is not None and payload.startswith(CHECK_PAYLOAD):
        value = payload.removeprefix(CHECK_PAYLOAD)
        return value if value in ("yes", "no") else "unclear"
    folded = " ".join((text or "").lower().replace("’", "'").strip(" .!").split())
    if folded in _NO or (folded.startswith(("no,", "no ", "nope", "nah")) and "but" not in folded):
        return "no"
    if folded in _YES or folded.startswith(("yes", "yeah", "yep")):
        return "yes"
    return "unclear"


class SafetyRouter:
    def __init__(self, *, services: Sequence[ServiceEntry], checked: date, templates: Templates | None = None):
        self.templates = templates or Templates.load()
        self._services = tuple(services)
        self.checked = checked

    def services_for(self, tier: Tier) -> tuple[ServiceEntry, ...]:
        if tier is Tier.STRESS:
            return tuple(s for s in self._services if s.tier is Tier.STRESS)
        if tier is Tier.EMERGENCY:
            return tuple(s for s in self._services if s.tier in (Tier.EMERGENCY, Tier.CRISIS))
        return tuple(s for s in self._services if s.tier is Tier.CRISIS)

    def services_text(self, tier: Tier) -> str:
        lines = [f"• {s.name}: {s.contact}" for s in self.services_for(tier)]
        lines.append(self.templates.services_checked.format(date=f"{self.checked:%d %B %Y}"))
        return "\n".join(lines)

    def route(
        self, *, screening: Screening | None, state: SafetyState, text: str | None, payload: str | None
    ) -> SafetyOutcome | None:
        """None means no safety routing: the message goes on to commands and flows."""
        found = screening.tier if screening else Tier.NONE
        if state.pending_check and found < Tier.CRISIS:
            answer = read_check_answer(text, payload)
            if answer == "no":
                return SafetyOutcome(action=Action.CHECK_CLEARED, tier=max(state.tier, Tier.CHECK),
                                     reply=self.templates.check_cleared, resume_flow=True)
            found = Tier.CRISIS  # yes, or unclear: treated as crisis
        if state.on_hold or state.tier >= Tier.CRISIS:
            if found > state.tier and found >= Tier.CRISIS:
                return self._hold(found)
            shown = max(found, state.tier)
            if shown is Tier.EMERGENCY and found is Tier.EMERGENCY:
                return self._hold(found).model_copy(update={"alert": False})
            return SafetyOutcome(action=Action.ON_HOLD, tier=max(state.tier, Tier.CRISIS),
                                 reply=self._on_hold_reply(state.replies_on_hold),
                                 services=self._names(Tier.CRISIS), hold=True)
        if found >= Tier.CRISIS:
            return self._hold(found)
        if found is Tier.STRESS:
            if state.paused_for_stress:
                return SafetyOutcome(action=Action.STRESS_AGAIN, tier=max(state.tier, Tier.STRESS),
                                     reply=self.templates.stress_again, services=self._names(Tier.STRESS),
                                     pause_flow=True)
            return SafetyOutcome(action=Action.STRESS, tier=max(state.tier, Tier.STRESS), reply=self.templates.stress,
                                 services=self._names(Tier.STRESS), pause_flow=True, notice=True)
        if found is Tier.CHECK:
            return SafetyOutcome(action=Action.ASK_CHECK, tier=max(state.tier, Tier.CHECK),
                                 reply=self.templates.check_question, pause_flow=True, pending_check=True,
                                 check_buttons=True)
        return None

    def _on_hold_reply(self, earlier: int) -> str:
        """The full block first, then shorter warm replies in turn; every few the full block comes back."""
        cycle = (self.templates.on_hold, *self.templates.on_hold_again)
        return cycle[earlier % len(cycle)]

    def first_service_text(self, tier: Tier) -> str:
        """One line to reach help, for the short replies: the first service of the tier."""
        services = self.services_for(tier)
        return f"{services[0].name}: {services[0].contact}" if services else self.services_text(tier)

    def _names(self, tier: Tier) -> tuple[str, ...]:
        return tuple(s.name for s in self.services_for(tier))

    def _hold(self, tier: Tier) -> SafetyOutcome:
        template = self.templates.emergency if tier is Tier.EMERGENCY else self.templates.crisis
        action = Action.EMERGENCY if tier is Tier.EMERGENCY else Action.CRISIS
        return SafetyOutcome(action=action, tier=tier, reply=template, services=self._names(tier), pause_flow=True,
                             hold=True, alert=True)
