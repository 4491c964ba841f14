"""The untouched test split: written by hands that saw neither the rules nor the training split.

These floors are what the layered screener measured on it when it was built (docs/SAFETY.md has
the figures, per kind); they keep it from sliding back. They are below the targets the screener is
meant to reach (crisis 0.98, emergency 0.95, stress 0.95, false alarms 0.02): the gap is open work,
and the floors rise as it closes. Nothing here is used to train or to choose thresholds.
"""

from __future__ import annotations

import re

import pytest

from safety.train import DEFAULT_CORPUS, load_corpus
from tests.safety.unseen import ENGLISH, WELSH, by_kind, figures, load, run

FLOORS = {"crisis_recall": 0.88, "emergency_recall": 0.83, "stress_recall": 0.89}
WELSH_FLOORS = {"crisis_recall": 0.75, "emergency_recall": 0.75, "stress_recall": 0.4}
CEILINGS = {"false_alarms": 0.04, "check_on_harmless": 0.02}


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


def test_welsh_messages_are_read_as_well(  # written in Welsh: the rules are English, the head learned Welsh
) -> None:
    f = figures(run(load(WELSH)))
    for name, floor in WELSH_FLOORS.items():
        assert getattr(f, name) >= floor, f"Welsh {name}={getattr(f, name):.3f} below {floor}"
    assert f.false_alarms <= CEILINGS["false_alarms"]


def _same(text: str) -> str:
    """Two lines that differ only in case, spacing or punctuation are the same line."""
    return re.sub(r"\W+", " ", text.lower()).strip()


def test_no_training_line_is_also_in_the_test_split() -> None:
    trained = {_same(" ".join(example.turns)) for example in load_corpus(DEFAULT_CORPUS)}
    tested = {_same(" ".join(case.turns)) for case in load((*ENGLISH, *WELSH))}
    assert tested and trained
    shared = trained & tested
    assert not shared, f"{len(shared)} test-split lines are also training lines"
