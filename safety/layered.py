"""The screener the bot runs: rules first, the learned layer on top, and the conversation read as a whole.

The layers only ever add. The rules decide what they are precise at and say why; the learned
layer reads the meaning of every free-text message and can raise the outcome (`model.*`), never
lower it, and no guard touches what it found. The coachee's last few turns within the hour are
screened joined with the new one as well, so a disclosure split over messages ("I've got my
mum's tablets" ... "tonight") is read as one; that reading counts only when it finds more than
every one of those turns did alone, so one earlier risk message doesn't colour every reply.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from safety.screener import RULESET_VERSION, RuleScreener
from safety.screener import default_screener as default_rule_screener
from safety.semantic.embedder import THREADS, default_embedder
from safety.semantic.layer import NOTHING, Reading, SemanticLayer
from safety.types import Screening, ScreenRequest, Tier, Turn

__all__ = ["JOINED_TURNS", "JOIN_WINDOW", "LayeredScreener", "ScreenRequest", "default_screener", "join_normalised"]

JOINED_TURNS = 3
"""Earlier coachee turns read together with the new one."""
JOIN_WINDOW = timedelta(hours=1)
"""Only turns this recent are joined: a message from yesterday is another conversation."""
JOINED_RULE = "context.joined_turns"
_ALONE_KEPT = 4096
"""Outcomes of single earlier turns kept, so each turn is screened alone once, not at every later turn."""


def join_normalised(parts: Sequence[str]) -> str:
    """Normalised turns as the one text the joined reading screens (training joins them the same way).

    A comma, not a full stop: "my shift ends at 8" then "then I'm going to kill myself" must read as
    one sentence for the rules that tie a time to an intent.
    """
    return " , ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class _Alone:
    tier: Tier
    normalised: str
    alert: bool
    """Any sign of risk alone: only then is the model asked to read the turns joined."""


ALERT_SCORE = 0.05
"""A turn the model gives at least this P(crisis or emergency) alone may be half of a split disclosure."""


def _alert(reading: Reading) -> bool:
    return reading.score >= ALERT_SCORE or reading.tier >= Tier.CHECK


class LayeredScreener:
    """Screens messages into `Screening`s; `screen_many` reads a batch with one model call."""

    def __init__(self, rules: RuleScreener | None = None, layer: SemanticLayer | None = None) -> None:
        self._rules = rules or default_rule_screener()
        self._layer = layer or SemanticLayer()
        self._alone: OrderedDict[str, _Alone] = OrderedDict()
        self._alone_lock = threading.Lock()  # the engine screens off its event loop, and in it on a rare re-screen
        self.version = f"{RULESET_VERSION}+model.{self._layer.version}"

    @property
    def rules(self) -> RuleScreener:
        return self._rules

    def screen(self, text: str, *, context: Sequence[Turn] = (), at: datetime | None = None) -> Screening:
        return self.screen_many([ScreenRequest.of(text, context=context, at=at)])[0]

    def screen_many(self, requests: Sequence[ScreenRequest]) -> list[Screening]:
        """Screen every request; the learned layer reads all their texts in one batch, then the joined
        turns of the conversations where any turn showed a sign of risk, in a second."""
        plans = [self._plan(request) for request in requests]
        owns = self._layer.read([p.normalised for p in plans], hints=[p.rules.tier for p in plans])
        needed = [i for i, p in enumerate(plans) if p.joined is not None and (p.earlier_alert or _alert(owns[i]))]
        joined: dict[int, Reading] = {}
        if needed:
            texts = [plans[i].joined or "" for i in needed]
            readings = self._layer.read(texts, hints=[plans[i].joined_rules for i in needed])
            joined = dict(zip(needed, readings, strict=True))
        for request, plan, own in zip(requests, plans, owns, strict=True):
            if not request.context:  # screened alone: the next turn needs neither rules nor model for it again
                self._remember(request.text, _Alone(max(plan.rules.tier, own.tier), plan.normalised,
                                                    alert=_alert(own) or plan.rules.tier >= Tier.CHECK))
        return [self._combine(p, owns[i], joined.get(i, NOTHING)) for i, p in enumerate(plans)]

    # --- one request ---------------------------------------------------------------------------

    def _plan(self, request: ScreenRequest) -> _Plan:
        screening, normalised = self._rules.screen_normalised(request.text, context=request.context)
        earlier = _recent_coachee_turns(request.context, at=request.at)
        if not earlier or not normalised:
            return _Plan(screening, normalised)
        alone = [self._screen_alone(turn.text) for turn in earlier]
        joined = join_normalised([*(a.normalised for a in alone), normalised])
        joined_rules = self._rules.assess(joined)
        return _Plan(
            screening,
            normalised,
            joined=joined,
            joined_rules=joined_rules.tier,
            joined_fired=joined_rules.fired,
            earlier_best=max(a.tier for a in alone),
            earlier_alert=any(a.alert for a in alone) or joined_rules.tier >= Tier.CHECK,
        )

    def _combine(self, plan: _Plan, own: Reading, joined: Reading) -> Screening:
        rules = plan.rules
        tier = max(rules.tier, own.tier)
        fired = set(rules.rules)
        if own.rule is not None and own.tier >= rules.tier:
            fired.add(own.rule)
        together = max(plan.joined_rules, joined.tier)
        if plan.joined is not None and together > max(tier, plan.earlier_best):
            tier = together
            fired.add(JOINED_RULE)
            if joined.rule is not None and joined.tier == together:
                fired.add(joined.rule)
            if plan.joined_rules == together:
                fired |= plan.joined_fired
        score = max(own.score, joined.score)
        return Screening(tier=tier, rules=tuple(sorted(fired)), ruleset_version=self.version, score=score)

    def _screen_alone(self, text: str) -> _Alone:
        """An earlier turn screened on its own (rules and model), remembered for the turns after it."""
        with self._alone_lock:
            known = self._alone.get(text)
            if known is not None:
                self._alone.move_to_end(text)
                return known
        screening, normalised = self._rules.screen_normalised(text)
        reading = self._layer.read([normalised], hints=[screening.tier])[0] if normalised else NOTHING
        alert = _alert(reading) or screening.tier >= Tier.CHECK
        known = _Alone(max(screening.tier, reading.tier), normalised, alert=alert)
        self._remember(text, known)
        return known

    def _remember(self, text: str, alone: _Alone) -> None:
        with self._alone_lock:
            self._alone[text] = alone
            self._alone.move_to_end(text)
            if len(self._alone) > _ALONE_KEPT:
                self._alone.popitem(last=False)


@dataclass(frozen=True, slots=True)
class _Plan:
    rules: Screening
    normalised: str
    joined: str | None = None
    joined_rules: Tier = Tier.NONE
    joined_fired: frozenset[str] = frozenset()
    earlier_best: Tier = Tier.NONE
    earlier_alert: bool = False


def _recent_coachee_turns(context: Sequence[Turn], *, at: datetime | None) -> list[Turn]:
    """The coachee's last few turns (oldest first), only those within the hour when times are known."""
    found: list[Turn] = []
    for turn in reversed(context):
        if turn.speaker != "coachee":
            continue
        if at is not None and turn.at is not None and at - turn.at > JOIN_WINDOW:
            break
        found.append(turn)
        if len(found) == JOINED_TURNS:
            break
    found.reverse()
    return found


def default_screener(threads: int = THREADS) -> LayeredScreener:
    """The shared layered screener (rules and model loaded once), its model on `threads` threads."""
    return _screener_on(threads)


@lru_cache(maxsize=2)
def _screener_on(threads: int) -> LayeredScreener:
    return LayeredScreener(layer=SemanticLayer(embedder=default_embedder(threads)))
