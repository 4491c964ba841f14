"""Ordinary words never trip the screen: every button label, every synonym a flow accepts, and a
corpus of ordinary answers to the bot's own questions screen `none`, with the model on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.registry import FlowRegistry
from safety.layered import default_screener
from safety.prefilter import WORD_END, WORD_START, BranchIndex
from safety.rules import ALL_RULES, FALLBACK_RULES
from safety.types import Tier

CORPUS = Path(__file__).resolve().parent / "corpus" / "ordinary_answers.txt"


def _button_labels() -> list[str]:
    registry = FlowRegistry.load()
    found: set[str] = set()
    for name in registry.names():
        for state in registry.spec(name).states:
            for choice in state.choices:
                found.add(choice.label)
                found.update(choice.synonyms)
    return sorted(found)


def test_the_corpus_of_ordinary_answers_is_big_enough_to_mean_something() -> None:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 300
    assert len(set(lines)) == len(lines)
    assert "send it" in lines and "change one" in [line.lower() for line in lines]


def test_every_ordinary_answer_screens_none() -> None:
    screener = default_screener()
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    flagged = [(line, s.tier.value, s.rules) for line in lines if (s := screener.screen(line)).tier is not Tier.NONE]
    assert flagged == []


def test_every_button_label_and_synonym_screens_none() -> None:
    labels = _button_labels()
    assert len(labels) > 20  # the flows really were read
    screener = default_screener()
    flagged = [(label, s.tier) for label in labels if (s := screener.screen(label)).tier is not Tier.NONE]
    assert flagged == []


@pytest.mark.parametrize("phrase", ["send it", "I'll send it tonight", "blend it", "amend it", "spend it", "attend it"])
def test_a_risk_phrase_inside_an_ordinary_word_never_fires(phrase: str) -> None:
    assert default_screener().screen(phrase).tier is Tier.NONE


def test_every_rule_branch_is_matched_at_word_boundaries_only() -> None:
    index = BranchIndex([(i, r.source) for i, r in enumerate((*ALL_RULES, *FALLBACK_RULES))])
    for branch_id in range(len(index.owners)):
        pattern = index.branch(branch_id).pattern
        assert WORD_START in pattern and pattern.endswith(WORD_END), pattern[:80]
    # and the boundaries hold: a branch that matches a phrase stops matching it glued inside a word
    end_it = re.compile(next(index.branch(b).pattern for b in range(len(index.owners))
                             if index.branch(b).search("i want to end it")))
    assert end_it.search("i want to end it") and not end_it.search("i want to send it")
