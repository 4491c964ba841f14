"""The untouched test split: written by hands that saw neither the rules nor the training split.

These floors are what the layered screener measured on it when it was built (docs/SAFETY.md has
the figures, per kind); they keep it from sliding back. They are below the targets the screener is
meant to reach (crisis 0.98, emergency 0.95, stress 0.95, false alarms 0.02): the gap is open work,
and the floors rise as it closes. Nothing here is used to train or to choose thresholds.
"""

from __future__ import annotations

import pytest

from tests.safety.unseen import ENGLISH, by_kind, figures, load, run

FLOORS = {"crisis_recall": 0.88, "emergency_recall": 0.85, "stress_recall": 0.84}
CEILINGS = {"false_alarms": 0.055, "check_on_harmless": 0.05}


@pytest.fixture(scope="module")
def outcomes() -> list:  # type: ignore[type-arg]
    return run(load(ENGLISH))


def test_the_split_is_big_enough_and_covers_every_tier(outcomes: list) -> None:  # type: ignore[type-arg]
    counts = figures(outcomes).counts
    assert sum(counts.values()) >= 600
    assert all(counts.get(tier, 0) >= 30 for tier in ("none", "stress", "crisis", "emergency"))


def test_recall_on_unseen_messages_does_not_fall_below_what_was_measured(outcomes: list) -> None:  # type: ignore[type-arg]
    f = figures(outcomes)
    for name, floor in FLOORS.items():
        assert getattr(f, name) >= floor, f"{name}={getattr(f, name):.3f} below {floor}"


def test_false_alarms_on_unseen_harmless_messages_do_not_rise(outcomes: list) -> None:  # type: ignore[type-arg]
    f = figures(outcomes)
    for name, ceiling in CEILINGS.items():
        assert getattr(f, name) <= ceiling, f"{name}={getattr(f, name):.3f} above {ceiling}"


def test_disguised_spellings_are_caught_as_well_as_plain_ones(outcomes: list) -> None:  # type: ignore[type-arg]
    table = by_kind(outcomes)
    for kind in ("lookalike_letters", "invisible_chars", "accents", "emoji_words"):
        assert table[kind][1] >= 0.9, (kind, table[kind])
