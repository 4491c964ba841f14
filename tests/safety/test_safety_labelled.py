"""The POLICY.md targets on our own held-out-style labelled set and on the shared dev set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.safety.metrics import figures, load

HERE = Path(__file__).resolve().parent
LABELLED = HERE / "labelled.jsonl"
DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "safety" / "dev_set.jsonl"


def test_labelled_file_is_large_and_covers_every_tier() -> None:
    rows = load(LABELLED)
    assert len(rows) >= 300
    assert {r.tier for r in rows} == {"none", "check", "stress", "crisis", "emergency"}
    assert len({r.text for r in rows}) == len(rows), "no duplicate messages"


def test_targets_met_on_own_labelled_set() -> None:
    result = figures(load(LABELLED))
    assert not result.failures(), "\n".join([*result.failures(), *result.misses])


def test_targets_met_on_shared_dev_set() -> None:
    if not DEV_SET.exists():
        pytest.skip(f"shared dev set not found at {DEV_SET} (it lives outside the repo)")
    result = figures(load(DEV_SET))
    assert not result.failures(), "\n".join([*result.failures(), *result.misses])


def test_own_set_shares_no_sentence_with_dev_set() -> None:
    if not DEV_SET.exists():
        pytest.skip(f"shared dev set not found at {DEV_SET}")
    dev = {r.text.lower() for r in load(DEV_SET)}
    assert not [r.text for r in load(LABELLED) if r.text.lower() in dev]
