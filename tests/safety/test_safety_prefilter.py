"""The literal prefilter must never hide a match: a skipped rule would be a silent miss.

We generate strings from every rule branch's own regex and check that whenever the branch
matches, the prefilter lists it as a candidate; and that the lookahead the screener compiles in
front of a branch (`fast_start`) never changes where it matches.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import pytest

from safety import guards
from safety.normalise import normalise
from safety.prefilter import BranchIndex, fast_start, required_literals, split_branches
from safety.rules import ALL_RULES, FALLBACK_RULES

SAMPLES = 150


def _generate(items: Any, rnd: random.Random) -> str:
    out: list[str] = []
    for op, arg in items:
        if op is sre_parse.LITERAL:
            out.append(chr(arg))
        elif op is sre_parse.NOT_LITERAL:
            out.append("x" if chr(arg) != "x" else "y")
        elif op is sre_parse.ANY:
            out.append("a")
        elif op is sre_parse.IN:
            choices = [chr(a) for o, a in arg if o is sre_parse.LITERAL]
            choices += [chr(rnd.randint(a[0], a[1])) for o, a in arg if o is sre_parse.RANGE]
            out.append(rnd.choice(choices) if choices else "a")
        elif op is sre_parse.BRANCH:
            out.append(_generate(rnd.choice(arg[1]), rnd))
        elif op is sre_parse.SUBPATTERN:
            out.append(_generate(arg[-1], rnd))
        elif op in (sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT):
            low, high, item = arg
            out.extend(_generate(item, rnd) for _ in range(rnd.randint(low, min(high, low + 2))))
    return "".join(out)


def _samples(pattern: re.Pattern[str], seed: int) -> list[str]:
    rnd = random.Random(seed)
    tree = sre_parse.parse(pattern.pattern)
    texts = []
    for _ in range(SAMPLES):
        text = " ".join(_generate(tree, rnd).split())
        texts += [text, f"well {text} ok"]
    return texts


PHRASE_RULES = (*ALL_RULES, *FALLBACK_RULES)
PATTERNS = [(i, r.pattern) for i, r in enumerate(PHRASE_RULES)] + [
    (len(PHRASE_RULES) + j, p) for j, p in enumerate(guards.PATTERNS.values())
]
INDEX = BranchIndex(PATTERNS)
LABELLED = Path(__file__).resolve().parent / "labelled.jsonl"
MESSAGES = [normalise(str(json.loads(line)["text"])) for line in LABELLED.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize(("key", "pattern"), PATTERNS, ids=[f"p{k}" for k, _ in PATTERNS])
def test_prefilter_never_hides_a_match(key: int, pattern: re.Pattern[str]) -> None:
    matched = 0
    for seed, branch in enumerate(split_branches(pattern)):
        for text in _samples(branch, seed):
            if branch.search(text):
                matched += 1
                assert branch.pattern in INDEX.candidates(text).get(key, []), text
    assert matched > 0, "the generator should produce matching strings"


@pytest.mark.parametrize(("key", "pattern"), PATTERNS, ids=[f"p{k}" for k, _ in PATTERNS])
def test_literals_inside_long_tokens_are_found(key: int, pattern: re.Pattern[str]) -> None:
    """Long tokens take another lookup path (every key tried, not every substring): same answer."""
    for seed, branch in enumerate(split_branches(pattern)):
        for text in _samples(branch, seed)[:20]:
            glued = "q" * 300 + text
            if branch.search(glued):
                assert branch.pattern in INDEX.candidates(glued).get(key, []), glued


@pytest.mark.parametrize(("key", "pattern"), PATTERNS, ids=[f"p{k}" for k, _ in PATTERNS])
def test_fast_start_keeps_every_match(key: int, pattern: re.Pattern[str]) -> None:
    for seed, branch in enumerate(split_branches(pattern)):
        fast = re.compile(fast_start(branch.pattern))
        for text in [*_samples(branch, seed), *MESSAGES]:
            assert [m.span() for m in fast.finditer(text)] == [m.span() for m in branch.finditer(text)], text


def test_fast_start_only_adds_a_lookahead() -> None:
    assert fast_start(r"\b(?:want|wish) to die") == r"(?=[w])\b(?:want|wish) to die"
    assert fast_start(r"(?:want|wish) to die") == r"(?:want|wish) to die"  # the engine skips ahead itself
    assert fast_start(r"\b\w+ myself") == r"\b\w+ myself"  # first characters unknown
    assert fast_start(r"^(?:yes|no)\b") == r"^(?:yes|no)\b"  # anchored: tried at one position anyway


def test_every_branch_is_prefiltered() -> None:
    assert INDEX.unfiltered <= 2


def test_required_literals_are_required() -> None:
    pattern = re.compile(r"(?:want|wish) to (?:die|be dead)")
    literals = required_literals(pattern)
    assert literals is not None
    for text in ("i want to die", "wish to be dead"):
        assert any(lit in text for lit in literals)


def test_split_branches_is_exact() -> None:
    pattern = re.compile(r"(?:a|b)c|[|(]d|(?:e|(?:f|g))")
    branches = split_branches(pattern)
    assert len(branches) >= 3
    for text in ("ac", "bc", "|d", "(d", "e", "g", "zz"):
        assert bool(pattern.search(text)) == any(b.search(text) for b in branches)
