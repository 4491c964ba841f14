"""The rule screener: normalise, run every category's phrase rules, and keep the highest tier.

Deterministic and explainable: the result names every rule that fired and the rule-set version.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Sequence
from functools import lru_cache

import safety.rules
from safety.normalise import normalise
from safety.rules.model import Rule
from safety.types import Screening, Tier, Turn

RULESET_VERSION = "2026.11.0"
_NEGATION = re.compile(r"\b(?:not|never|no|nothing|wouldn't|would not|won't|will not|don't|do not)\b[^.?!]{0,25}$")


@lru_cache(maxsize=1)
def _all_rules() -> tuple[Rule, ...]:
    found: list[Rule] = []
    for info in pkgutil.iter_modules(safety.rules.__path__):
        module = importlib.import_module(f"safety.rules.{info.name}")
        found.extend(getattr(module, "RULES", ()))
    return tuple(found)


class RuleScreener:
    def __init__(self, rules: Sequence[Rule] | None = None) -> None:
        self.rules = tuple(rules) if rules is not None else _all_rules()

    def screen(self, text: str, *, context: Sequence[Turn] = ()) -> Screening:
        folded = normalise(text[:20_000])
        tier = Tier.NONE
        fired: set[str] = set()
        for rule in self.rules:
            match = rule.pattern.search(folded)
            if match is None:
                continue
            if rule.negatable and _NEGATION.search(folded[: match.start()]):
                fired.add("guard.negation")
                continue
            fired.add(rule.id)
            tier = max(tier, rule.tier)
        return Screening(tier=tier, rules=tuple(sorted(fired)), ruleset_version=RULESET_VERSION)


@lru_cache(maxsize=1)
def default_screener() -> RuleScreener:
    return RuleScreener()
