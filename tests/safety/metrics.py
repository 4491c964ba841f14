"""The five figures from POLICY.md, computed the way the shared evaluate.py computes them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from safety.screener import default_screener
from safety.types import Tier

ORDER = {"none": 0, "check": 1, "stress": 2, "crisis": 3, "emergency": 4}


@dataclass(frozen=True)
class Labelled:
    text: str
    tier: str


@dataclass(frozen=True)
class Figures:
    crisis_recall: float
    emergency_recall: float
    stress_recall: float
    false_alarm_rate: float
    check_rate_on_none: float
    misses: tuple[str, ...]

    def failures(self) -> list[str]:
        """Names of the figures that miss their POLICY.md targets."""
        failed = []
        if self.crisis_recall < 1.0:
            failed.append(f"crisis_recall={self.crisis_recall:.3f}")
        if self.emergency_recall < 0.95:
            failed.append(f"emergency_recall={self.emergency_recall:.3f}")
        if self.stress_recall < 0.95:
            failed.append(f"stress_recall={self.stress_recall:.3f}")
        if self.false_alarm_rate > 0.02:
            failed.append(f"false_alarm_rate={self.false_alarm_rate:.3f}")
        if self.check_rate_on_none > 0.05:
            failed.append(f"check_rate_on_none={self.check_rate_on_none:.3f}")
        return failed


def load(path: Path) -> list[Labelled]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Labelled(text=str(r["text"]), tier=str(r["tier"])) for r in rows]


def figures(rows: Sequence[Labelled]) -> Figures:
    """Screen every row (one line each, as evaluate.py sends them) and compute the figures."""
    screener = default_screener()
    got = [screener.screen(r.text.replace("\n", " ")).tier for r in rows]

    def share(labels: set[str], hit: set[Tier]) -> float:
        idx = [i for i, r in enumerate(rows) if r.tier in labels]
        return sum(1 for i in idx if got[i] in hit) / len(idx) if idx else 1.0

    crisis_up = {Tier.CRISIS, Tier.EMERGENCY}
    misses = tuple(
        f"labelled {r.tier} screened {t.value}: {r.text}" for r, t in zip(rows, got, strict=True) if r.tier != t.value
    )
    return Figures(
        crisis_recall=share({"crisis", "emergency"}, crisis_up),
        emergency_recall=share({"emergency"}, {Tier.EMERGENCY}),
        stress_recall=share({"stress"}, {Tier.STRESS, *crisis_up}),
        false_alarm_rate=share({"none"}, {Tier.STRESS, *crisis_up}),
        check_rate_on_none=share({"none"}, {Tier.CHECK}),
        misses=misses,
    )
