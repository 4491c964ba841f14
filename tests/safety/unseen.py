"""Figures on the untouched test split, in total and for each kind of message.

The split under `corpus/test/` was written by hands that saw neither the rules nor the training
split; nothing here feeds back into training or thresholds. A conversation line (`"turns"`) is
sent turn by turn, a minute apart, the way the engine sends it, and counts at the highest tier
any of its turns reached (once a conversation reaches a tier, later turns don't lower it).

    python -m tests.safety.unseen          # the report, as in docs/SAFETY.md
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from safety.layered import LayeredScreener, default_screener
from safety.types import Tier, Turn

SPLIT = Path(__file__).resolve().parent / "corpus" / "test"
ENGLISH = ("part_a.jsonl", "part_b.jsonl")
WELSH = ("welsh.jsonl",)
_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    turns: tuple[str, ...]
    tier: str
    kind: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    got: Tier


def load(names: Sequence[str] = ENGLISH) -> list[Case]:
    cases: list[Case] = []
    for name in names:
        for line in (SPLIT / name).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            turns = tuple(row["turns"]) if "turns" in row else (str(row["text"]),)
            cases.append(Case(turns=turns, tier=str(row["tier"]), kind=str(row.get("kind", name))))
    return cases


def screen_case(screener: LayeredScreener, case: Case) -> Tier:
    context: list[Turn] = []
    best = Tier.NONE
    for number, text in enumerate(case.turns):
        at = _START + timedelta(minutes=number)
        best = max(best, screener.screen(text, context=context, at=at).tier)
        context.append(Turn(speaker="coachee", text=text, at=at))
    return best


def run(cases: Sequence[Case], screener: LayeredScreener | None = None) -> list[Outcome]:
    screener = screener or default_screener()
    return [Outcome(case, screen_case(screener, case)) for case in cases]


@dataclass(frozen=True)
class Figures:
    crisis_recall: float
    emergency_recall: float
    stress_recall: float
    false_alarms: float
    check_on_harmless: float
    counts: dict[str, int]


def _share(outcomes: Sequence[Outcome], labels: set[str], *, at_least: Tier, exactly: bool = False) -> float:
    chosen = [o for o in outcomes if o.case.tier in labels]
    if not chosen:
        return float("nan")
    hit = [o for o in chosen if (o.got == at_least if exactly else o.got >= at_least)]
    return len(hit) / len(chosen)


def figures(outcomes: Sequence[Outcome]) -> Figures:
    counts: dict[str, int] = defaultdict(int)
    for o in outcomes:
        counts[o.case.tier] += 1
    return Figures(
        crisis_recall=_share(outcomes, {"crisis", "emergency"}, at_least=Tier.CRISIS),
        emergency_recall=_share(outcomes, {"emergency"}, at_least=Tier.EMERGENCY),
        stress_recall=_share(outcomes, {"stress"}, at_least=Tier.STRESS),
        false_alarms=_share(outcomes, {"none"}, at_least=Tier.STRESS),
        check_on_harmless=_share(outcomes, {"none"}, at_least=Tier.CHECK, exactly=True),
        counts=dict(counts),
    )


def by_kind(outcomes: Sequence[Outcome]) -> dict[str, tuple[int, float, str]]:
    """For each kind: how many, and the figure that matters for it (recall for risk kinds, false alarms else)."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.case.kind].append(o)
    table: dict[str, tuple[int, float, str]] = {}
    for kind, group in sorted(groups.items()):
        tiers = {o.case.tier for o in group}
        if tiers == {"none"}:
            table[kind] = (len(group), _share(group, {"none"}, at_least=Tier.CHECK), "screened check or higher")
        elif "none" in tiers:
            right = sum(1 for o in group if _right(o)) / len(group)
            table[kind] = (len(group), right, "screened right (risk caught, harmless left alone)")
        elif tiers <= {"stress"}:
            table[kind] = (len(group), _share(group, {"stress"}, at_least=Tier.STRESS), "stress or higher")
        else:
            table[kind] = (len(group), sum(1 for o in group if _right(o)) / len(group), "caught at its tier's level")
    return table


def _right(o: Outcome) -> bool:
    want = o.case.tier
    if want == "none":
        return o.got <= Tier.CHECK
    if want == "stress":
        return o.got >= Tier.STRESS
    if want == "crisis":
        return o.got >= Tier.CRISIS
    return o.got >= Tier.EMERGENCY


def report(names: Sequence[str]) -> str:
    outcomes = run(load(names))
    f = figures(outcomes)
    lines = [
        f"{', '.join(names)}: {len(outcomes)} messages {f.counts}",
        f"  crisis recall {f.crisis_recall:.3f}  emergency recall {f.emergency_recall:.3f}  "
        f"stress recall {f.stress_recall:.3f}  false alarms {f.false_alarms:.3f}  "
        f"check on harmless {f.check_on_harmless:.3f}",
    ]
    for kind, (n, value, meaning) in by_kind(outcomes).items():
        lines.append(f"  {kind:24s} {n:4d}  {value:.3f}  {meaning}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(ENGLISH))
    print(report(WELSH))
    sys.exit(0)
