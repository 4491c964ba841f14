"""The rule screener: normalise, match phrase rules, apply guards, take the highest surviving tier.

Deterministic and pure: no I/O, no randomness, no clock. Every decision is explained by the
rule ids in `Screening.rules`: the phrase rules that fired, plus any guard, negation, scope or
context rule that changed the outcome.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from safety import guards
from safety.context import MEANS_MENTION, ContextFacts, follow_up_rules
from safety.negation import Negation, negation_before
from safety.normalise import normalise
from safety.prefilter import BranchIndex
from safety.rules import ALL_RULES, FALLBACK_RULES, IDEATION_CATEGORIES, Rule, Subject
from safety.sentences import Sentences
from safety.subject import subject_before
from safety.types import Screening, Tier, Turn

__all__ = ["RULESET_VERSION", "Assessment", "RuleScreener", "default_screener"]

RULESET_VERSION = "2026.12.7"
"""Bump when any rule, guard or normalisation step changes, so stored screenings stay explainable."""

_WINDOW = 2000
_OVERLAP = 300
"""Long messages are screened in overlapping windows, so nothing in the middle is skipped."""
_CONTEXT_TURNS = 4
_NO_TIME_UPGRADE = frozenset({"passive_ideation.sleep_not_wake", "means.contemplating"})
"""Rules whose own wording holds the time ("not wake up tomorrow"): a time there is not a plan."""


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome for one normalised message, before context."""

    tier: Tier
    fired: frozenset[str]
    own_risk: bool
    """A surviving crisis-or-above hit about the coachee's own suicide or self-harm risk."""


_NOTHING = Assessment(Tier.NONE, frozenset(), own_risk=False)


_TIERS = (Tier.NONE, Tier.CHECK, Tier.STRESS, Tier.CRISIS, Tier.EMERGENCY)
_NONE, _CHECK, _STRESS, _CRISIS, _EMERGENCY = range(5)
"""Tier ranks as plain ints in the hot path (Tier's rich comparisons are Python calls)."""


@dataclass(slots=True)
class _Hit:
    rule: Rule
    start: int
    end: int
    rank: int
    own: bool
    """About the coachee's own suicide or self-harm risk (an IDEATION_CATEGORIES rule)."""


_RANK = {tier: tier.rank for tier in Tier}
_SCREENINGS_KEPT = 4096
"""Distinct outcomes (tier and rule ids) whose `Screening` is reused; there are far fewer in practice."""


class RuleScreener:
    """Screens one message (with optional earlier turns) into a `Screening`."""

    def __init__(self, rules: Sequence[Rule] = ALL_RULES, fallback: Sequence[Rule] = FALLBACK_RULES) -> None:
        ids = [r.id for r in (*rules, *fallback)]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        self._rules = tuple(rules)
        self._fallback = tuple(fallback)
        self._guard_names = tuple(guards.PATTERNS)
        # One index over phrase rules, then fallback rules, then guards: keys in that order, so the
        # candidate branch ids (ascending) come grouped by rule and the three kinds never interleave.
        phrase = (*self._rules, *self._fallback)
        self._index = BranchIndex(
            [(i, r.source) for i, r in enumerate(phrase)]
            + [(len(phrase) + j, guards.PATTERNS[name]) for j, name in enumerate(self._guard_names)]
        )
        owners = self._index.owners
        self._owners = owners
        self._first_fallback = bisect_left(owners, len(self._rules))
        self._first_guard = bisect_left(owners, len(phrase))
        self._phrase = tuple(
            (r, _RANK[r.tier], r.id.split(".", 1)[0] in IDEATION_CATEGORIES, r.subject) for r in phrase
        )
        self._guard_of_branch = {
            i: self._guard_names[owners[i] - len(phrase)] for i in range(self._first_guard, len(owners))
        }
        self._screenings: dict[tuple[Tier, frozenset[str]], Screening] = {}

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The phrase rules this screener runs (fallback rules excluded)."""
        return self._rules

    def screen(self, text: str, *, context: Sequence[Turn] = ()) -> Screening:
        """Screen `text`; earlier coachee turns in `context` (oldest first) make short follow-ups readable."""
        return self.screen_normalised(text, context=context)[0]

    def screen_normalised(self, text: str, *, context: Sequence[Turn] = ()) -> tuple[Screening, str]:
        """`screen`, and the normalised text (its first window) that the learned layer reads next."""
        result, first = self._assess_raw(text)
        tier, fired = result.tier, result.fired
        if context:
            current = first if len(text) <= _WINDOW else ""
            follow_ups = follow_up_rules(current, self._facts(context))
            if follow_ups:
                fired = fired.union(follow_ups)
                tier = max(tier, Tier.EMERGENCY)
        return self._screening(tier, fired), first

    def _screening(self, tier: Tier, fired: frozenset[str]) -> Screening:
        """The `Screening` for an outcome: frozen, so one object per distinct outcome is shared."""
        key = (tier, fired)
        screening = self._screenings.get(key)
        if screening is None:
            screening = Screening(tier=tier, rules=tuple(sorted(fired)), ruleset_version=RULESET_VERSION)
            if len(self._screenings) >= _SCREENINGS_KEPT:
                self._screenings.clear()
            self._screenings[key] = screening
        return screening

    def _assess_raw(self, text: str) -> tuple[Assessment, str]:
        """The assessment of raw `text`, and its first window normalised (the whole text when short)."""
        if len(text) <= _WINDOW:
            first = normalise(text)
            return self.assess(first), first
        tier, fired, own_risk = Tier.NONE, set[str](), False
        first = ""
        for begin in range(0, len(text), _WINDOW - _OVERLAP):
            window = normalise(text[begin : begin + _WINDOW])
            if not begin:
                first = window
            part = self.assess(window)
            tier, own_risk = max(tier, part.tier), own_risk or part.own_risk
            fired |= part.fired
        return Assessment(tier, frozenset(fired), own_risk), first

    def assess(self, text: str) -> Assessment:
        """Apply every rule and guard to already-normalised `text`."""
        if not text:
            return _NOTHING
        ids = self._index.branch_ids(text)
        fallback = bisect_left(ids, self._first_fallback)
        first_guard = bisect_left(ids, self._first_guard, fallback)
        if not first_guard:
            return _NOTHING  # no phrase rule can match (guards alone decide nothing)
        sentences = Sentences(text)
        hits = self._match(text, ids, 0, fallback, sentences)
        if not hits:
            hits = self._match(text, ids, fallback, first_guard, sentences)
            if not hits:
                return _NOTHING
        possible: dict[str, list[re.Pattern[str]]] = {}
        guard_of, branch = self._guard_of_branch, self._index.branch
        for i in ids[first_guard:]:
            possible.setdefault(guard_of[i], []).append(branch(i))
        message = guards.MessageGuards(text, possible, sentences)
        fired: set[str] = set()
        best = _NONE
        own_risk = False
        # Highest tier first: once a tier is secured, lower hits can't change the outcome, so
        # their guards are not evaluated (they are still listed as fired).
        hits.sort(key=_by_rank)
        timed: set[int] = set()  # sentences already checked for a plan-like time
        for hit in hits:
            fired.add(hit.rule.id)
            rank, own = hit.rank, hit.own
            if rank < best:
                continue
            if (
                rank == best
                and (own_risk or not own)
                and (not (own and rank == _CRISIS) or sentences.start_of(hit.start) in timed)
            ):
                continue
            reason = _guard(text, hit, message)
            if reason:
                fired.add(reason)
            rank = hit.rank
            if own and rank >= _CRISIS:
                own_risk = True
                if rank == _CRISIS and best < _EMERGENCY and hit.rule.id not in _NO_TIME_UPGRADE:
                    if message.plan_time(hit.start, hit.end):
                        rank = hit.rank = _EMERGENCY
                        fired.add("plan.ideation_with_time")
                    else:
                        timed.add(sentences.start_of(hit.start))
            if rank > best:
                best = rank
        return Assessment(_TIERS[best], frozenset(fired), own_risk=own_risk)

    def _match(self, text: str, ids: list[int], low: int, high: int, sentences: Sentences) -> list[_Hit]:
        """The leftmost match of each rule (over its candidate branches `ids[low:high]`) about the right person."""
        hits: list[_Hit] = []
        owners, branch = self._owners, self._index.branch
        i = low
        while i < high:
            key = owners[ids[i]]
            rule, rank, own, subject = self._phrase[key]
            best_start = best_end = -1
            while i < high and owners[ids[i]] == key:
                pattern = branch(ids[i])
                i += 1
                match = pattern.search(text)
                while match is not None:
                    start = match.start()
                    if best_start >= 0 and start >= best_start:
                        break
                    if subject is not Subject.ANY and not _subject_fits(subject, text, start, sentences):
                        match = pattern.search(text, start + 1)
                        continue
                    best_start, best_end = start, match.end()
                    break
            if best_start >= 0:
                hits.append(_Hit(rule, best_start, best_end, rank, own))
        return hits

    def _facts(self, context: Sequence[Turn]) -> ContextFacts:
        """What the coachee's last few turns established (bot turns are ignored)."""
        means = ideation = False
        for turn in list(context)[-_CONTEXT_TURNS:]:
            if turn.speaker != "coachee":
                continue
            result, first = self._assess_raw(turn.text)
            ideation = ideation or result.own_risk
            if result.tier >= Tier.CHECK and MEANS_MENTION.search(first):
                means = True
        return ContextFacts(means=means, ideation=ideation)


def _subject_fits(subject: Subject, text: str, start: int, sentences: Sentences) -> bool:
    found = subject_before(text, start, sentences.start_of(start))
    return found >= 0 if subject is Subject.SELF else found < 0


def _by_rank(hit: _Hit) -> int:
    return -hit.rank


def _guard(text: str, hit: _Hit, message: guards.MessageGuards) -> str | None:
    """Lower or cancel one hit; return the id of the guard that did, if any."""
    rule = hit.rule
    if rule.scoped:
        if message.scoped(hit.start, hit.end):
            hit.rank = _NONE
            return "scope.clinical"
        if rule.id.startswith("self_harm.") and message.accidental(hit.start, hit.end):
            hit.rank = _NONE
            return "scope.accident"
    if rule.third_party and message.clinical():
        hit.rank = _NONE
        return "scope.clinical"
    if rule.veiled and message.task():
        hit.rank = _NONE
        return "scope.task"
    if rule.negatable:
        negation = negation_before(text, hit.start)
        if negation is not Negation.NONE and _EXPLICIT_RISK.match(rule.id):
            leading = _LEADING_NO.match(text)
            if leading and negation_before(text[leading.end() :], hit.start - leading.end()) is Negation.NONE:
                negation = Negation.NONE  # "no i have taken them all": an answer, not a denial
            elif _DEFERRED.match(text, hit.end):
                return "negation.deferred"  # "not tonight, at the weekend": put off, not denied
        if negation is Negation.EXPLICIT:
            hit.rank = _NONE
            return "negation.explicit"
        if negation is Negation.HEDGED:
            hit.rank = min(hit.rank, _CHECK)
            return "negation.hedged"
    past_reason = _past(hit, message)
    if past_reason:
        return past_reason
    if rule.soft:
        start, end = hit.start, hit.end
        for reason, lowers in (
            ("guard.idiom", message.idiomatic),
            ("guard.mild", message.mild),
            ("guard.mitigated", message.mitigated),
            ("guard.topic", message.topical),
        ):
            if lowers(start, end):
                hit.rank = _NONE
                return reason
    if rule.idiomatic and message.humour():
        hit.rank = _NONE
        return "guard.humour"
    return None


_EXPLICIT_RISK = re.compile(r"(?:act|plan|means|preparation|goodbye)\.")
"""Rule families that state an act, plan, means or goodbye: a deferral or a bare "no" never cancels them."""
_LEADING_NO = re.compile(r"^(?:no|nah|nope|na)\b(?! (?:one|body|way|point|longer|more|idea|chance)\b)")
_DEFERRED = re.compile(
    r".{0,60}?(?:\b(?:but|just|instead|so|maybe|probably|prob|only)|,) (?:maybe |probably |prob |definitely |def )?"
    r"(?:at|on|this|next|over|after|by|in|once|when|till|until) (?:the |my |a )?"
    r"(?:weekend|sunday|monday|tuesday|wednesday|thursday|friday|saturday|week|month|payday|christmas|birthday"
    r"|kids|children|holidays?|shift|nights|end of|morning|tomorrow|new year)\b"
    r"|.{0,60}?(?:\b(?:but|just|instead)|,) (?:maybe |probably )?(?:tomorrow|later|soon|another (?:day|night|time))\b"
)


def _past(hit: _Hit, message: guards.MessageGuards) -> str | None:
    """Past-and-resolved cancels; a past attempt without resolution is history (crisis), not imminent."""
    if message.past_explicit(hit.start, hit.end):
        if message.resolved_after(hit.start):
            hit.rank = _NONE
            return "guard.past_resolved"
        if hit.rank == _EMERGENCY:
            hit.rank = _CRISIS
            return "guard.past"
        return None
    if hit.rank <= _STRESS and message.resolved_after(hit.end) and message.past_tense(hit.start, hit.end):
        hit.rank = _NONE
        return "guard.past_resolved"
    return None


@lru_cache(maxsize=1)
def default_screener() -> RuleScreener:
    """The shared screener with the full rule set, built once."""
    return RuleScreener()
